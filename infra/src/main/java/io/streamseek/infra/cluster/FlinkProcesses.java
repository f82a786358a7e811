package io.streamseek.infra.cluster;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessSpec;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessUtils;
import org.apache.flink.runtime.jobmanager.JobManagerProcessSpec;
import org.apache.flink.runtime.jobmanager.JobManagerProcessUtils;
import org.apache.flink.runtime.util.config.memory.ProcessMemoryUtils;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Flink side of the local cluster: its {@code config.yaml} (ZooKeeper high availability, file
 * system checkpoints, savepoints and HA store under the data folder) and the command lines of the
 * JobManager and TaskManager JVMs — with the heap, direct-memory and metaspace limits and the
 * derived memory settings that Flink's own start scripts compute, computed here by the same Flink
 * classes (what {@code BashJavaUtils} does for {@code taskmanager.sh}).
 */
final class FlinkProcesses {

    /** The options Flink's scripts give its JVMs on Java 17, and the Vector API the engine's CPU kernels need. */
    static final List<String> JVM_OPTIONS = List.of("--add-modules", "jdk.incubator.vector",
            "--add-opens", "java.base/java.util=ALL-UNNAMED", "--add-opens", "java.base/java.lang=ALL-UNNAMED",
            "--add-opens", "java.base/java.lang.reflect=ALL-UNNAMED", "--add-opens", "java.base/java.io=ALL-UNNAMED",
            "--add-opens", "java.base/java.nio=ALL-UNNAMED", "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
            "--add-opens", "java.base/java.net=ALL-UNNAMED", "--add-opens", "java.base/java.text=ALL-UNNAMED",
            "--add-opens", "java.base/java.time=ALL-UNNAMED", "--add-opens", "java.base/java.util.concurrent=ALL-UNNAMED",
            "--add-opens", "java.base/java.util.concurrent.atomic=ALL-UNNAMED",
            "--add-opens", "java.base/java.util.concurrent.locks=ALL-UNNAMED", "--add-opens", "java.base/java.math=ALL-UNNAMED");

    private final Path conf;
    private final Map<String, String> config;

    /**
     * @param slots task slots per TaskManager
     * @param taskManagerMemory {@code taskmanager.memory.process.size}, e.g. {@code 2g}: the engine's
     *     weights and latent cache live in the task heap
     */
    FlinkProcesses(Path data, String zookeeperQuorum, int restPort, int rpcPort, int blobPort, int slots, String taskManagerMemory) {
        this.conf = confDir(data);
        Path flink = data.resolve("flink").toAbsolutePath();
        Map<String, String> c = new LinkedHashMap<>();
        c.put("jobmanager.rpc.address", "127.0.0.1");
        c.put("jobmanager.bind-host", "127.0.0.1");
        c.put("jobmanager.rpc.port", Integer.toString(rpcPort));
        c.put("blob.server.port", Integer.toString(blobPort));
        c.put("rest.address", "127.0.0.1");
        c.put("rest.bind-address", "127.0.0.1");
        c.put("rest.port", Integer.toString(restPort));
        c.put("taskmanager.host", "127.0.0.1");
        c.put("taskmanager.bind-host", "127.0.0.1");
        c.put("taskmanager.numberOfTaskSlots", Integer.toString(slots));
        c.put("jobmanager.memory.process.size", "1024m");
        c.put("taskmanager.memory.process.size", taskManagerMemory);
        // Managed memory is RocksDB's; the engine's memory is task heap.
        c.put("taskmanager.memory.managed.fraction", "0.1");
        c.put("high-availability.type", "zookeeper");
        c.put("high-availability.zookeeper.quorum", zookeeperQuorum);
        c.put("high-availability.storageDir", flink.resolve("ha").toUri().toString());
        c.put("high-availability.cluster-id", "/streamseek");
        // The idempotency state holds every request id of the last streamseek.idempotency.ttl: RocksDB
        // keeps it on disk rather than in the heap the engine needs, and incremental checkpoints upload
        // only the files that changed, not the whole window each time.
        c.put("state.backend.type", "rocksdb");
        c.put("execution.checkpointing.incremental", "true");
        c.put("execution.checkpointing.dir", flink.resolve("checkpoints").toUri().toString());
        c.put("execution.checkpointing.savepoint-dir", flink.resolve("savepoints").toUri().toString());
        // A killed TaskManager is noticed in seconds, not the default 50 s, on this one machine.
        c.put("heartbeat.interval", "2000");
        c.put("heartbeat.timeout", "10000");
        c.put("metrics.reporter.prom.factory.class", "org.apache.flink.metrics.prometheus.PrometheusReporterFactory");
        c.put("metrics.reporter.prom.port", "9250-9269");
        this.config = c;
    }

    /** Writes {@code config.yaml} (flat keys, as Flink reads them). */
    void writeConfig() throws IOException {
        Files.createDirectories(conf);
        StringBuilder yaml = new StringBuilder("# Written by ./streamseek cluster up: the local cluster's Flink configuration.\n");
        for (Map.Entry<String, String> e : config.entrySet()) {
            yaml.append(e.getKey()).append(": ").append(e.getValue()).append('\n');
        }
        Files.writeString(conf.resolve("config.yaml"), yaml);
    }

    /** @param prefix the java binary and the options every process of the cluster gets */
    List<String> jobManager(List<String> prefix, String classpath) {
        Configuration configuration = Configuration.fromMap(config);
        JobManagerProcessSpec spec = JobManagerProcessUtils.processSpecFromConfig(configuration);
        List<String> command = new ArrayList<>(prefix);
        command.addAll(split(JobManagerProcessUtils.generateJvmParametersStr(spec, configuration)));
        command.addAll(JVM_OPTIONS);
        command.addAll(List.of("-cp", classpath, "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint",
                "--configDir", conf.toAbsolutePath().toString()));
        command.addAll(split(JobManagerProcessUtils.generateDynamicConfigsStr(spec)));
        return command;
    }

    List<String> taskManager(List<String> prefix, String classpath, int index, int rpcPort) {
        TaskExecutorProcessSpec spec = TaskExecutorProcessUtils.processSpecFromConfig(Configuration.fromMap(config));
        List<String> command = new ArrayList<>(prefix);
        command.addAll(split(ProcessMemoryUtils.generateJvmParametersStr(spec)));
        command.addAll(JVM_OPTIONS);
        command.addAll(List.of("-cp", classpath, "org.apache.flink.runtime.taskexecutor.TaskManagerRunner",
                "--configDir", conf.toAbsolutePath().toString(),
                // The same identity after a restart: its slots, logs and metrics keep their name.
                "-D", "taskmanager.resource-id=taskmanager-" + index,
                "-D", "taskmanager.rpc.port=" + rpcPort));
        command.addAll(split(TaskExecutorProcessUtils.generateDynamicConfigsStr(spec)));
        return command;
    }

    /**
     * Flink's SQL Gateway with its REST endpoint on {@code port}: the distribution's classpath plus its
     * {@code opt/} jar, this cluster's {@code config.yaml} (read from {@code FLINK_CONF_DIR}, which
     * every process of the cluster gets) and jobs submitted to the session cluster, whose JobManager
     * it finds through ZooKeeper as every client of an HA cluster does.
     */
    static List<String> sqlGateway(List<String> prefix, String classpath, int port) {
        List<String> command = new ArrayList<>(prefix);
        command.add("-Xmx512m");
        command.addAll(JVM_OPTIONS);
        command.addAll(List.of("-cp", classpath, "org.apache.flink.table.gateway.SqlGateway",
                "-Dsql-gateway.endpoint.rest.address=127.0.0.1", "-Dsql-gateway.endpoint.rest.bind-address=127.0.0.1",
                "-Dsql-gateway.endpoint.rest.port=" + port, "-Dexecution.target=remote"));
        return command;
    }

    /** The folder of {@code config.yaml}: {@code FLINK_CONF_DIR} of the cluster's processes and of the SQL client. */
    static Path confDir(Path data) {
        return data.resolve("flink").resolve("conf").toAbsolutePath();
    }

    private static List<String> split(String arguments) {
        return Arrays.stream(arguments.trim().split("\\s+")).filter(s -> !s.isEmpty()).toList();
    }
}
