package io.streamseek.flink.job;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.config.ConfigResource;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The exactly-once sinks' transaction timeout, checked before the job starts. Too short, and a
 * transaction open across a checkpoint and a restart is aborted by the broker: committed results
 * would be lost. Longer than the brokers allow, and every transaction fails to begin. Both are
 * configuration errors, so the job refuses to start and says which bound is broken and how to fix it.
 */
public final class TransactionTimeoutCheck {

    static final String BROKER_MAX = "transaction.max.timeout.ms";

    private TransactionTimeoutCheck() {
    }

    /** Fails with the reason when {@code timeout} is not above {@code checkpointInterval + maxRestart}. */
    public static void checkAgainstCheckpoints(Duration timeout, Duration checkpointInterval, Duration maxRestart) {
        Duration needed = checkpointInterval.plus(maxRestart);
        if (timeout.compareTo(needed) <= 0) {
            throw new IllegalArgumentException("streamseek.sink.transaction-timeout is " + timeout + " but must exceed the checkpoint interval ("
                    + checkpointInterval + ") plus the longest restart (" + maxRestart + ") = " + needed
                    + ", or the broker aborts transactions that hold results of a completed checkpoint");
        }
    }

    /** Fails with the reason when {@code timeout} exceeds any broker's {@code transaction.max.timeout.ms}. */
    public static void checkAgainstBrokers(Duration timeout, String bootstrapServers, Map<String, String> kafkaProperties) throws Exception {
        Map<String, Object> config = new HashMap<>(kafkaProperties);
        config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000);
        try (Admin admin = Admin.create(config)) {
            Collection<Node> brokers = admin.describeCluster().nodes().get(30, TimeUnit.SECONDS);
            List<ConfigResource> resources = brokers.stream()
                    .map(node -> new ConfigResource(ConfigResource.Type.BROKER, node.idString())).toList();
            Map<ConfigResource, Config> configs = admin.describeConfigs(resources).all().get(30, TimeUnit.SECONDS);
            for (Map.Entry<ConfigResource, Config> entry : configs.entrySet()) {
                ConfigEntry max = entry.getValue().get(BROKER_MAX);
                if (max != null && max.value() != null && timeout.toMillis() > Long.parseLong(max.value())) {
                    throw new IllegalArgumentException("streamseek.sink.transaction-timeout is " + timeout + " (" + timeout.toMillis()
                            + " ms) but broker " + entry.getKey().name() + " allows at most " + BROKER_MAX + "=" + max.value()
                            + "; lower the timeout or raise the broker setting");
                }
            }
        }
    }
}
