package io.streamseek.schemas.local;

import io.streamseek.schemas.topics.Topic;
import io.streamseek.schemas.topics.TopicProvisioner;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EmbeddedKafkaBrokerITCase {

    @Test
    void servesAndCreatesContractTopicsIdempotently() throws Exception {
        Path dataDir;
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().build().start();
             Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
            dataDir = broker.dataDir();
            TopicProvisioner provisioner = new TopicProvisioner(admin, (short) 1, 30_000);
            String[] all = Arrays.stream(Topic.values()).map(Topic::topicName).toArray(String[]::new);

            assertThat(provisioner.ensureContractTopics()).containsExactlyInAnyOrder(all);
            assertThat(provisioner.ensureContractTopics()).isEmpty();

            Map<String, TopicDescription> described = admin.describeTopics(List.of(all)).allTopicNames().get();
            for (Topic topic : Topic.values()) {
                assertThat(described.get(topic.topicName()).partitions()).hasSize(topic.defaultPartitions());
            }

            String topic = Topic.PROMPTS.topicName();
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()),
                    new StringSerializer(), new StringSerializer())) {
                producer.send(new ProducerRecord<>(topic, 0, "k", "v")).get();
            }
            try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                    ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()),
                    new StringDeserializer(), new StringDeserializer())) {
                TopicPartition partition = new TopicPartition(topic, 0);
                consumer.assign(List.of(partition));
                consumer.seekToBeginning(List.of(partition));
                List<ConsumerRecord<String, String>> records = new ArrayList<>();
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (records.isEmpty() && System.nanoTime() < deadline) {
                    consumer.poll(Duration.ofMillis(200)).forEach(records::add);
                }
                assertThat(records).singleElement().satisfies(r -> {
                    assertThat(r.key()).isEqualTo("k");
                    assertThat(r.value()).isEqualTo("v");
                });
            }
        }
        assertThat(dataDir).doesNotExist();
    }

    @Test
    void keptDataDirectoryResumesWithItsTopics(@TempDir Path dir) throws Exception {
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().dataDir(dir).build().start();
             Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
            new TopicProvisioner(admin, (short) 1, 30_000).ensureContractTopics();
        }
        assertThat(Files.list(dir)).isNotEmpty();
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().dataDir(dir).build().start();
             Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
            assertThat(new TopicProvisioner(admin, (short) 1, 30_000).ensureContractTopics()).isEmpty();
        }
    }

    @Test
    void takenPortIsNamedInTheError() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().port(taken.getLocalPort()).build();
            assertThatThrownBy(broker::start)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessage("Port " + taken.getLocalPort() + " for Kafka is already taken on 127.0.0.1; "
                            + "stop what is using it or choose another port");
            broker.close();
        }
    }
}
