package io.streamseek.infra.local;

import io.streamseek.schemas.local.EmbeddedKafkaBroker;
import io.streamseek.schemas.registry.embedded.EmbeddedSchemaRegistry;
import io.streamseek.schemas.topics.TopicProvisioner;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Kafka (KRaft) and the schema registry on loopback at fixed ports, with the contract's topics:
 * what {@code ./streamseek demo} runs the job against. The broker keeps its log under
 * {@code data/kafka}. A port already taken fails with a message naming it and what wanted it.
 */
public final class LocalStack implements AutoCloseable {

    private final EmbeddedKafkaBroker broker;
    private final EmbeddedSchemaRegistry registry;
    private final List<String> topics;

    private LocalStack(EmbeddedKafkaBroker broker, EmbeddedSchemaRegistry registry, List<String> topics) {
        this.broker = broker;
        this.registry = registry;
        this.topics = topics;
    }

    public static LocalStack start(Path data, int kafkaPort, int registryPort) {
        EmbeddedKafkaBroker.checkPortFree(kafkaPort, "Kafka (--kafka-port)");
        EmbeddedKafkaBroker.checkPortFree(registryPort, "the schema registry (--registry-port)");
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().port(kafkaPort).dataDir(data.resolve("kafka")).build().start();
        try {
            EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.builder().bootstrapServers(broker.bootstrapServers())
                    .port(registryPort).build().start();
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
                List<String> created = new TopicProvisioner(admin, (short) 1, 30_000).ensureContractTopics();
                return new LocalStack(broker, registry, created);
            } catch (RuntimeException e) {
                registry.close();
                throw e;
            }
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

    /** Topics this start created (an existing data folder already has them). */
    public List<String> createdTopics() {
        return topics;
    }

    @Override
    public void close() {
        try {
            registry.close();
        } finally {
            broker.close();
        }
    }
}
