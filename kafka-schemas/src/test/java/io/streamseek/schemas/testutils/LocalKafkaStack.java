package io.streamseek.schemas.testutils;

import io.streamseek.schemas.local.EmbeddedKafkaBroker;
import io.streamseek.schemas.registry.RegistryClientConfig;
import io.streamseek.schemas.registry.RestSchemaRegistryClient;
import io.streamseek.schemas.registry.embedded.EmbeddedSchemaRegistry;

import java.util.Map;

/**
 * A real KRaft broker and the embedded schema registry on loopback, for one test class: start it in
 * {@code @BeforeAll}, close it in {@code @AfterAll}.
 */
public final class LocalKafkaStack implements AutoCloseable {

    private final EmbeddedKafkaBroker broker;
    private final EmbeddedSchemaRegistry registry;

    private LocalKafkaStack(EmbeddedKafkaBroker broker, EmbeddedSchemaRegistry registry) {
        this.broker = broker;
        this.registry = registry;
    }

    public static LocalKafkaStack start() {
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().build().start();
        try {
            return new LocalKafkaStack(broker, EmbeddedSchemaRegistry.builder().bootstrapServers(broker.bootstrapServers()).build().start());
        } catch (RuntimeException e) {
            broker.close();
            throw e;
        }
    }

    public String bootstrapServers() {
        return broker.bootstrapServers();
    }

    public String registryUrl() {
        return registry.url();
    }

    public EmbeddedKafkaBroker broker() {
        return broker;
    }

    /** A new client of our own to this stack's registry. */
    public RestSchemaRegistryClient registryClient() {
        return RestSchemaRegistryClient.create(Map.of(RegistryClientConfig.URL, registryUrl()));
    }

    @Override
    public void close() {
        registry.close();
        broker.close();
    }
}
