package io.streamseek.schemas.registry.embedded;

import io.streamseek.schemas.local.EmbeddedKafkaBroker;
import io.streamseek.schemas.registry.CompatibilityLevel;

import com.sun.net.httpserver.HttpServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A schema registry for local runs and tests, speaking the part of the Confluent Schema Registry
 * REST API that Confluent's clients use (see {@link RegistryHttpHandler}) on 127.0.0.1, and storing
 * every schema and setting in a compacted Kafka topic so a restart keeps every id.
 *
 * <p>One instance writes a given topic; it is not a cluster and not for production, where
 * {@code schema.registry.url} points at a Confluent Schema Registry or a compatible one.
 *
 * <pre>{@code
 * try (EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.builder()
 *         .bootstrapServers(broker.bootstrapServers()).build().start()) {
 *     String url = registry.url();
 * }
 * }</pre>
 */
public final class EmbeddedSchemaRegistry implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedSchemaRegistry.class);

    private final Builder options;
    private HttpServer server;
    private ExecutorService executor;
    private SchemaLog log;

    private EmbeddedSchemaRegistry(Builder options) {
        this.options = options;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Replays the schema topic, then serves HTTP. */
    public synchronized EmbeddedSchemaRegistry start() {
        if (server != null) {
            throw new IllegalStateException("The schema registry is already running at " + url());
        }
        int port = options.port == 0 ? 0 : EmbeddedKafkaBroker.checkPortFree(options.port, "the schema registry");
        log = new SchemaLog(options.bootstrapServers, options.topic, options.timeout);
        SchemaStore store = new SchemaStore(options.defaultCompatibility);
        int records = log.replayInto(store);
        RegistryService service = new RegistryService(store, log);
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 64);
        } catch (IOException e) {
            log.close();
            throw new UncheckedIOException("Cannot serve the schema registry on 127.0.0.1:" + port, e);
        }
        executor = Executors.newFixedThreadPool(4, runnable -> {
            Thread thread = new Thread(runnable, "schema-registry-http");
            thread.setDaemon(true);
            return thread;
        });
        server.setExecutor(executor);
        server.createContext("/", new RegistryHttpHandler(service, options.basicAuthUserInfo));
        server.start();
        LOG.info("Schema registry serving at {} (topic {}, {} log records, {} schemas recovered)",
                url(), options.topic, records, service.schemaCount());
        return this;
    }

    /** The base URL, e.g. {@code http://127.0.0.1:8081}. */
    public String url() {
        if (server == null) {
            throw new IllegalStateException("The schema registry is not running; call start() first");
        }
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @Override
    public synchronized void close() {
        if (server != null) {
            server.stop(0);
            executor.shutdownNow();
            log.close();
            server = null;
        }
    }

    /** Options of an {@link EmbeddedSchemaRegistry}. */
    public static final class Builder {
        private String bootstrapServers;
        private int port;
        private String topic = "_schemas";
        private CompatibilityLevel defaultCompatibility = CompatibilityLevel.BACKWARD;
        private String basicAuthUserInfo;
        private Duration timeout = Duration.ofSeconds(30);

        private Builder() {
        }

        /** The Kafka cluster holding the schema topic. Required. */
        public Builder bootstrapServers(String bootstrapServers) {
            this.bootstrapServers = bootstrapServers;
            return this;
        }

        /** The HTTP port on 127.0.0.1; 0 (the default) picks a free one. Confluent's default is 8081. */
        public Builder port(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port must be in 0..65535, was " + port);
            }
            this.port = port;
            return this;
        }

        /** The compacted topic storing schemas; {@code _schemas} by default, as Confluent's. */
        public Builder topic(String topic) {
            this.topic = Objects.requireNonNull(topic, "topic");
            return this;
        }

        /** The global compatibility level until one is set through the API; BACKWARD by default, as Confluent's. */
        public Builder defaultCompatibility(CompatibilityLevel level) {
            this.defaultCompatibility = Objects.requireNonNull(level, "level");
            return this;
        }

        /** Requires HTTP basic authentication with this {@code user:password}; none by default. */
        public Builder basicAuth(String userInfo) {
            this.basicAuthUserInfo = userInfo;
            return this;
        }

        /** How long Kafka operations may take; 30 s by default. */
        public Builder timeout(Duration timeout) {
            this.timeout = Objects.requireNonNull(timeout, "timeout");
            return this;
        }

        public EmbeddedSchemaRegistry build() {
            if (bootstrapServers == null || bootstrapServers.isBlank()) {
                throw new IllegalArgumentException("The embedded schema registry needs bootstrapServers: the Kafka cluster that stores its schemas");
            }
            return new EmbeddedSchemaRegistry(this);
        }
    }
}
