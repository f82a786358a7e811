package io.streamseek.schemas.serde;

import io.streamseek.schemas.testutils.LocalKafkaStack;
import io.streamseek.schemas.testutils.SampleRecords;
import io.streamseek.schemas.testutils.TopicReader;
import io.streamseek.schemas.topics.Topic;
import io.streamseek.schemas.topics.TopicProvisioner;
import io.streamseek.schemas.wire.ConfluentWireFormat;

import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.avro.registry.confluent.shaded.io.confluent.kafka.schemaregistry.avro.AvroSchema;
import org.apache.flink.avro.registry.confluent.shaded.io.confluent.kafka.schemaregistry.client.CachedSchemaRegistryClient;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every contract schema through the real registry and a real broker: produced with our serializer,
 * read back with our deserializer, and the writer schema id in each record's header resolved by
 * Confluent's own client to the subject's registered schema.
 */
class ContractRoundTripITCase {

    private static LocalKafkaStack stack;

    @BeforeAll
    static void start() {
        stack = LocalKafkaStack.start();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers()))) {
            new TopicProvisioner(admin, (short) 1, 30_000).ensureContractTopics();
        }
    }

    @AfterAll
    static void stop() {
        stack.close();
    }

    @ParameterizedTest
    @EnumSource(Topic.class)
    @SuppressWarnings("unchecked")
    <T extends SpecificRecord> void roundTripsThroughBrokerAndRegistry(Topic topic) throws Exception {
        List<T> records = (List<T>) SampleRecords.perTopic().get(topic);
        Class<T> type = (Class<T>) records.get(0).getClass();
        String name = topic.topicName();

        try (KafkaProducer<String, T> producer = new KafkaProducer<>(
                Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers()),
                new StringSerializer(), new ConfluentAvroSerializer<>(type, stack.registryClient()))) {
            for (int i = 0; i < records.size(); i++) {
                producer.send(new ProducerRecord<>(name, 0, "key-" + i, records.get(i))).get();
            }
        }

        List<ConsumerRecord<String, T>> read = TopicReader.readCommitted(stack.bootstrapServers(), name, records.size(),
                new StringDeserializer(), new ConfluentAvroDeserializer<>(type, stack.registryClient()));
        assertThat(read).extracting(ConsumerRecord::value).containsExactlyElementsOf(records);

        List<ConsumerRecord<String, byte[]>> raw = TopicReader.readCommitted(stack.bootstrapServers(), name, records.size(),
                new StringDeserializer(), new ByteArrayDeserializer());
        int id = ConfluentWireFormat.schemaId(raw.get(0).value());
        CachedSchemaRegistryClient confluent = new CachedSchemaRegistryClient(stack.registryUrl(), 10);
        assertThat(confluent.getLatestSchemaMetadata(topic.valueSubject()).getId()).isEqualTo(id);
        assertThat(confluent.getSchemaById(id).canonicalString())
                .isEqualTo(new AvroSchema(topic.valueSchema().toString()).canonicalString());
    }
}
