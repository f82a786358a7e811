package io.streamseek.schemas.registry.embedded;

import io.streamseek.schemas.registry.CompatibilityLevel;
import io.streamseek.schemas.topics.TopicProvisioner;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The registry's durable log: a single-partition compacted Kafka topic of Confluent's own record
 * shapes — key {@code {"keytype":"SCHEMA","subject","version","magic":1}} with value
 * {@code {"subject","version","id","schema","deleted"}}, and key
 * {@code {"keytype":"CONFIG","subject","magic":0}} with value {@code {"compatibilityLevel"}} (a
 * tombstone removes a subject's level). One writer per topic: the embedded registry is not a cluster.
 */
final class SchemaLog implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String topic;
    private final String bootstrapServers;
    private final Duration timeout;
    private final KafkaProducer<byte[], byte[]> producer;

    SchemaLog(String bootstrapServers, String topic, Duration timeout) {
        this.topic = topic;
        this.bootstrapServers = bootstrapServers;
        this.timeout = timeout;
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis()))) {
            new TopicProvisioner(admin, (short) 1, timeout.toMillis()).ensure(List.of(
                    new NewTopic(topic, Optional.of(1), Optional.empty())
                            .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT))));
        }
        this.producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.LINGER_MS_CONFIG, 0,
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) timeout.toMillis(),
                ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.max(1, timeout.toMillis() / 2)),
                new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** Replays every record from the beginning into {@code store}; returns the number of records read. */
    int replayInto(SchemaStore store) {
        TopicPartition partition = new TopicPartition(topic, 0);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            long end = consumer.endOffsets(List.of(partition), timeout).get(partition);
            long deadline = System.nanoTime() + timeout.toNanos();
            int records = 0;
            while (consumer.position(partition, timeout) < end) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("Reading the schema log " + topic + " did not reach offset " + end + " within " + timeout);
                }
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    apply(record.key(), record.value(), store);
                    records++;
                }
            }
            return records;
        }
    }

    void appendSchema(String subject, int version, int id, String schema) {
        ObjectNode key = JSON.createObjectNode().put("keytype", "SCHEMA").put("subject", subject).put("version", version).put("magic", 1);
        ObjectNode value = JSON.createObjectNode().put("subject", subject).put("version", version).put("id", id)
                .put("schema", schema).put("deleted", false);
        send(key, value);
    }

    void appendConfig(String subjectOrNull, CompatibilityLevel levelOrNull) {
        ObjectNode key = JSON.createObjectNode().put("keytype", "CONFIG").put("magic", 0);
        if (subjectOrNull == null) {
            key.putNull("subject");
        } else {
            key.put("subject", subjectOrNull);
        }
        send(key, levelOrNull == null ? null : JSON.createObjectNode().put("compatibilityLevel", levelOrNull.name()));
    }

    private void send(ObjectNode key, ObjectNode value) {
        try {
            producer.send(new ProducerRecord<>(topic, 0, JSON.writeValueAsBytes(key), value == null ? null : JSON.writeValueAsBytes(value)))
                    .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (ExecutionException | TimeoutException e) {
            throw new RegistryError(500, 50001, "Could not store the change in " + topic + ": " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryError(500, 50001, "Interrupted while storing the change in " + topic);
        }
    }

    private static void apply(byte[] keyBytes, byte[] valueBytes, SchemaStore store) {
        try {
            JsonNode key = JSON.readTree(keyBytes);
            String keytype = key.path("keytype").asText();
            if (keytype.equals("SCHEMA") && valueBytes != null) {
                JsonNode value = JSON.readTree(valueBytes);
                if (!value.path("deleted").asBoolean(false)) {
                    store.applySchema(value.get("subject").asText(), value.get("version").asInt(), value.get("id").asInt(), value.get("schema").asText());
                }
            } else if (keytype.equals("CONFIG")) {
                String subject = key.hasNonNull("subject") ? key.get("subject").asText() : null;
                CompatibilityLevel level = valueBytes == null ? null
                        : CompatibilityLevel.valueOf(JSON.readTree(valueBytes).get("compatibilityLevel").asText());
                store.applyConfig(subject, level);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Corrupt record in the schema log", e);
        }
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
