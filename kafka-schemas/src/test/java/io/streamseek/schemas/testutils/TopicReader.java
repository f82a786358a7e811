package io.streamseek.schemas.testutils;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Deserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Reads one partition from its beginning with a {@code read_committed} consumer until
 * {@code expected} records arrived and the end offset is reached, or 30 seconds passed: tests then
 * assert on exactly what was committed, never on a sleep.
 */
public final class TopicReader {

    private TopicReader() {
    }

    public static <K, V> List<ConsumerRecord<K, V>> readCommitted(String bootstrapServers, String topic, int expected,
                                                                  Deserializer<K> keys, Deserializer<V> values) {
        try (KafkaConsumer<K, V> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), keys, values)) {
            TopicPartition partition = new TopicPartition(topic, 0);
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            List<ConsumerRecord<K, V>> records = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (System.nanoTime() < deadline
                    && (records.size() < expected || consumer.position(partition) < consumer.endOffsets(List.of(partition)).get(partition))) {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
            return records;
        }
    }
}
