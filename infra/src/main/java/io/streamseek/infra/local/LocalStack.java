package io.streamseek.infra.local;

import io.streamseek.schemas.local.EmbeddedKafkaBroker;
import io.streamseek.schemas.registry.ContractSchemas;
import io.streamseek.schemas.registry.RegistryClientConfig;
import io.streamseek.schemas.registry.RestSchemaRegistryClient;
import io.streamseek.schemas.registry.embedded.EmbeddedSchemaRegistry;
import io.streamseek.schemas.topics.TopicProvisioner;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

import java.nio.file.Path;
import java.util.Map;

/**
 * Kafka (KRaft) and the schema registry on loopback at fixed ports, with the contract's topics and
 * schemas:
 * what {@code ./streamseek demo} runs the job against. The broker keeps its log under
 * {@code data/kafka}. A port already taken fails with a message naming it and what wanted it.
 */
public final class LocalStack implements AutoCloseable {

    private final EmbeddedKafkaBroker broker;
    private final EmbeddedSchemaRegistry registry;
    private LocalStack(EmbeddedKafkaBroker broker, EmbeddedSchemaRegistry registry) {
        this.broker = broker;
        this.registry = registry;
    }

    public static LocalStack start(Path data, int kafkaPort, int registryPort) {
        EmbeddedKafkaBroker.checkPortFree(kafkaPort, "Kafka (--kafka-port)");
        EmbeddedKafkaBroker.checkPortFree(registryPort, "the schema registry (--registry-port)");
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().port(kafkaPort).dataDir(data.resolve("kafka")).build().start();
        try {
            EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.builder().bootstrapServers(broker.bootstrapServers())
                    .port(registryPort).build().start();
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
                new TopicProvisioner(admin, (short) 1, 30_000).ensureContractTopics();
                registerContract(registry.url());
                return new LocalStack(broker, registry);
            } catch (RuntimeException e) {
                registry.close();
                throw e;
            }
        } catch (RuntimeException e) {
            broker.close();
            throw e;
        }
    }

    /**
     * Registers every contract schema (and its subject's compatibility level), so that a Confluent
     * client with {@code auto.register.schemas=false} can produce at once.
     */
    public static void registerContract(String registryUrl) {
        try (RestSchemaRegistryClient client = RestSchemaRegistryClient.create(Map.of(RegistryClientConfig.URL, registryUrl))) {
            ContractSchemas.register(client, ContractSchemas.DEFAULT_COMPATIBILITY);
        }
    }

    public String bootstrapServers() {
        return broker.bootstrapServers();
    }

    public String registryUrl() {
        return registry.url();
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
