package io.streamseek.infra.local;

import io.streamseek.flink.job.InferenceJob;
import io.streamseek.flink.job.InferenceJobOptions;
import io.streamseek.gpu.loader.Checkpoint;
import io.streamseek.schemas.local.EmbeddedKafkaBroker;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.nio.file.Path;
import java.util.Map;

/**
 * The inference job on a local Flink MiniCluster with its Web UI and Flink's Prometheus reporter,
 * against a {@link LocalStack}: what {@code demo} and {@code up} run.
 */
public final class LocalJob {

    private LocalJob() {
    }

    /**
     * Submits the job and returns at once.
     *
     * @param name the consumer group and transactional-id prefix: the same name resumes from the
     *     same committed offsets
     * @param savepoint the location (as Flink gave it) of a savepoint to resume from, or null
     */
    public static JobClient submit(LocalStack stack, Path model, int webPort, int metricsPort, String name, String savepoint) throws Exception {
        return submit(stack, model, webPort, metricsPort, name, savepoint, Map.of());
    }

    /** {@link #submit}, with further job options ({@code streamseek.*}) over the local defaults. */
    public static JobClient submit(LocalStack stack, Path model, int webPort, int metricsPort, String name, String savepoint,
                                   Map<String, String> jobOptions) throws Exception {
        // A checkpoint that cannot be opened is named here, before Flink would retry loading it.
        try (Checkpoint checkpoint = Checkpoint.open(model)) {
            checkpoint.config();
        }
        EmbeddedKafkaBroker.checkPortFree(webPort, "the Flink Web UI (--web-port)");
        EmbeddedKafkaBroker.checkPortFree(metricsPort, "Prometheus metrics (--metrics-port)");
        Configuration cluster = new Configuration();
        cluster.set(RestOptions.BIND_ADDRESS, "127.0.0.1");
        cluster.set(RestOptions.PORT, webPort);
        cluster.setString("metrics.reporter.prom.factory.class", "org.apache.flink.metrics.prometheus.PrometheusReporterFactory");
        cluster.setString("metrics.reporter.prom.port", String.valueOf(metricsPort));
        // A few quick restarts, then the job fails and says why, instead of retrying forever.
        cluster.setString("restart-strategy.type", "fixed-delay");
        cluster.setString("restart-strategy.fixed-delay.attempts", "3");
        cluster.setString("restart-strategy.fixed-delay.delay", "1 s");
        if (savepoint != null) {
            cluster.setString("execution.savepoint.path", savepoint);
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironmentWithWebUI(cluster);
        env.setParallelism(1);
        Map<String, String> options = new java.util.HashMap<>(Map.of(
                InferenceJobOptions.BOOTSTRAP_SERVERS.key(), stack.bootstrapServers(),
                InferenceJobOptions.REGISTRY_URL.key(), stack.registryUrl(),
                InferenceJobOptions.MODEL_PATH.key(), model.toAbsolutePath().toString(),
                InferenceJobOptions.GROUP_ID.key(), name,
                InferenceJobOptions.TRANSACTIONAL_ID_PREFIX.key(), name));
        options.putAll(jobOptions);
        InferenceJob.build(env, Configuration.fromMap(options));
        return env.executeAsync("streamseek-inference");
    }
}
