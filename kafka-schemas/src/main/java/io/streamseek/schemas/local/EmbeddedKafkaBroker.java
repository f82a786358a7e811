package io.streamseek.schemas.local;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real Kafka broker in KRaft mode (combined broker and controller) on loopback, for tests of
 * every module and for the local stack: a cluster of one by default, or one node of a cluster whose
 * other nodes run in their own processes ({@link Builder#clusterNode}). It is the server from the
 * {@code org.apache.kafka:kafka_2.13} jars, started in this JVM: transactions, compaction and
 * consumer groups behave as on a cluster.
 *
 * <pre>{@code
 * try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().build().start()) {
 *     String bootstrap = broker.bootstrapServers();
 * }
 * }</pre>
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);
    private static final String BROKER_LISTENER = "PLAINTEXT";
    private static final String CONTROLLER_LISTENER = "CONTROLLER";

    private final int requestedPort;
    private final int nodeId;
    private final int requestedControllerPort;
    private final String voters;
    private final String clusterId;
    private final int replicas;
    private final Path dataDir;
    private final boolean deleteDataDirOnClose;
    private final Map<String, String> overrides;
    private final Duration startTimeout;

    private KafkaRaftServer server;
    private int port;

    private EmbeddedKafkaBroker(Builder builder) {
        this.requestedPort = builder.port;
        this.nodeId = builder.nodeId;
        this.requestedControllerPort = builder.controllerPort;
        this.voters = builder.voters;
        this.clusterId = builder.clusterId;
        this.replicas = builder.replicas;
        this.overrides = Map.copyOf(builder.overrides);
        this.startTimeout = builder.startTimeout;
        try {
            if (builder.dataDir == null) {
                this.dataDir = Files.createTempDirectory("streamseek-kafka-");
                this.deleteDataDirOnClose = true;
            } else {
                this.dataDir = Files.createDirectories(builder.dataDir);
                this.deleteDataDirOnClose = false;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create the broker's data directory", e);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Formats the log directory when it is new (a kept directory is resumed with its cluster id and
     * data), starts the broker and returns once it answers metadata requests.
     *
     * @throws IllegalStateException naming the port when it is taken, or when the broker does not
     *     come up within the start timeout
     */
    public synchronized EmbeddedKafkaBroker start() {
        if (server != null) {
            throw new IllegalStateException("The broker is already running on port " + port);
        }
        port = requestedPort == 0 ? freePort() : checkPortFree(requestedPort, "Kafka");
        int controllerPort = requestedControllerPort;
        // Each free port is released once found, so the kernel may offer the broker's again.
        while (controllerPort == 0 || (requestedControllerPort == 0 && controllerPort == port)) {
            controllerPort = freePort();
        }
        Map<String, String> props = brokerConfig(controllerPort);
        KafkaConfig config = new KafkaConfig(props, false);
        format(config);
        long started = System.nanoTime();
        server = new KafkaRaftServer(config, Time.SYSTEM);
        server.startup();
        awaitServing();
        LOG.info("Kafka broker (KRaft) serving on {} after {} ms, data in {}",
                bootstrapServers(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started), dataDir);
        return this;
    }

    /** {@code host:port} for {@code bootstrap.servers}. */
    public String bootstrapServers() {
        if (server == null) {
            throw new IllegalStateException("The broker is not running; call start() first");
        }
        return "127.0.0.1:" + port;
    }

    /** The directory holding the broker's logs and metadata. */
    public Path dataDir() {
        return dataDir;
    }

    /** Stops the broker and, for a temporary data directory, deletes it. */
    @Override
    public synchronized void close() {
        if (server != null) {
            server.shutdown();
            server.awaitShutdown();
            server = null;
        }
        if (deleteDataDirOnClose) {
            deleteRecursively(dataDir);
        }
    }

    private Map<String, String> brokerConfig(int controllerPort) {
        Map<String, String> props = new HashMap<>();
        props.put("process.roles", "broker,controller");
        props.put("node.id", Integer.toString(nodeId));
        props.put("controller.quorum.voters", voters != null ? voters : nodeId + "@127.0.0.1:" + controllerPort);
        props.put("listeners", BROKER_LISTENER + "://127.0.0.1:" + port + "," + CONTROLLER_LISTENER + "://127.0.0.1:" + controllerPort);
        props.put("advertised.listeners", BROKER_LISTENER + "://127.0.0.1:" + port);
        props.put("controller.listener.names", CONTROLLER_LISTENER);
        props.put("inter.broker.listener.name", BROKER_LISTENER);
        props.put("listener.security.protocol.map", BROKER_LISTENER + ":PLAINTEXT," + CONTROLLER_LISTENER + ":PLAINTEXT");
        props.put("log.dirs", dataDir.resolve("logs").toString());
        // Every internal topic, and every topic created without a replication factor, has
        // `replicas` replicas, of which min(2, replicas) must be in sync for a write to count: one
        // node alone, or a cluster that survives a broker down. Few partitions keep start-up fast.
        String rf = Integer.toString(replicas);
        String minIsr = Integer.toString(Math.min(2, replicas));
        props.put("default.replication.factor", rf);
        props.put("min.insync.replicas", minIsr);
        props.put("offsets.topic.replication.factor", rf);
        props.put("offsets.topic.num.partitions", "4");
        props.put("transaction.state.log.replication.factor", rf);
        props.put("transaction.state.log.min.isr", minIsr);
        props.put("transaction.state.log.num.partitions", "4");
        props.put("share.coordinator.state.topic.replication.factor", rf);
        props.put("share.coordinator.state.topic.min.isr", minIsr);
        props.put("group.initial.rebalance.delay.ms", "0");
        props.put("num.partitions", "1");
        props.put("auto.create.topics.enable", "false");
        props.put("log.flush.interval.messages", Long.toString(Long.MAX_VALUE));
        props.putAll(overrides);
        return props;
    }

    private void format(KafkaConfig config) {
        String logDir = dataDir.resolve("logs").toString();
        if (Files.exists(dataDir.resolve("logs").resolve("meta.properties"))) {
            return; // a kept directory resumes with its own cluster id and data
        }
        try {
            new Formatter()
                    .setPrintStream(new PrintStream(PrintStream.nullOutputStream()))
                    .setNodeId(nodeId)
                    .setClusterId(clusterId != null ? clusterId : Uuid.randomUuid().toString())
                    .setControllerListenerName(CONTROLLER_LISTENER)
                    .setMetadataLogDirectory(logDir)
                    .addDirectory(logDir)
                    .run();
        } catch (Exception e) {
            throw new IllegalStateException("Cannot format the KRaft log directory " + logDir + ": " + e.getMessage(), e);
        }
    }

    private void awaitServing() {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) startTimeout.toMillis());
        try (Admin admin = Admin.create(props)) {
            admin.describeCluster().nodes().get(startTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            close();
            throw new IllegalStateException("The Kafka broker on 127.0.0.1:" + port + " did not serve within " + startTimeout, e);
        }
    }

    /** Binds an ephemeral loopback port and releases it for the caller to use. */
    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot find a free loopback port", e);
        }
    }

    /** Returns {@code port} if it can be bound on loopback, otherwise fails with a message naming it. */
    public static int checkPortFree(int port, String what) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            return port;
        } catch (IOException e) {
            throw new IllegalStateException("Port " + port + " for " + what + " is already taken on 127.0.0.1; "
                    + "stop what is using it or choose another port", e);
        }
    }

    private static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            LOG.warn("Could not delete {}: {}", dir, e.getMessage());
        }
    }

    /** Options of an {@link EmbeddedKafkaBroker}. */
    public static final class Builder {
        private int port;
        private int nodeId = 1;
        private int controllerPort;
        private String voters;
        private String clusterId;
        private int replicas = 1;
        private Path dataDir;
        private final Map<String, String> overrides = new HashMap<>();
        private Duration startTimeout = Duration.ofSeconds(60);

        private Builder() {
        }

        /** The client port on 127.0.0.1; 0 (the default) picks a free one. */
        public Builder port(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port must be in 0..65535, was " + port);
            }
            this.port = port;
            return this;
        }

        /**
         * One node of a KRaft cluster of several (each broker and controller, in its own process):
         * its {@code node.id}, the port of its controller listener, {@code controller.quorum.voters}
         * of the whole cluster ({@code id@127.0.0.1:port,...}) and the cluster id every node's
         * storage is formatted with (a new directory only; a kept one keeps its own). By default a
         * cluster of one: node 1, a free controller port, a random cluster id.
         */
        public Builder clusterNode(int nodeId, int controllerPort, String voters, String clusterId) {
            if (nodeId < 0) {
                throw new IllegalArgumentException("node.id must be non-negative, was " + nodeId);
            }
            this.nodeId = nodeId;
            this.controllerPort = controllerPort;
            this.voters = voters;
            this.clusterId = clusterId;
            return this;
        }

        /**
         * Replicas of every internal topic and the default for new topics; {@code min.insync.replicas}
         * (and the transaction log's) is {@code min(2, replicas)}. 1 by default: a single node.
         */
        public Builder replicas(int replicas) {
            if (replicas < 1) {
                throw new IllegalArgumentException("replicas must be at least 1, was " + replicas);
            }
            this.replicas = replicas;
            return this;
        }

        /** A directory kept across restarts; by default a temporary one deleted on close. */
        public Builder dataDir(Path dataDir) {
            this.dataDir = dataDir;
            return this;
        }

        /** Overrides one broker config, e.g. {@code transaction.max.timeout.ms}. */
        public Builder brokerConfig(String key, String value) {
            overrides.put(key, value);
            return this;
        }

        /** How long {@link #start()} waits for the broker to serve; 60 s by default. */
        public Builder startTimeout(Duration startTimeout) {
            this.startTimeout = startTimeout;
            return this;
        }

        public EmbeddedKafkaBroker build() {
            return new EmbeddedKafkaBroker(this);
        }
    }
}
