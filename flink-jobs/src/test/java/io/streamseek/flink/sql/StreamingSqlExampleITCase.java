package io.streamseek.flink.sql;

import io.streamseek.gpu.config.ModelPreset;
import io.streamseek.gpu.loader.DType;
import io.streamseek.gpu.loader.RandomCheckpoint;
import io.streamseek.gpu.tokenizer.TokenizerFiles;
import io.streamseek.schemas.local.EmbeddedKafkaBroker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
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
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * README example 1 as a test: a Kafka topic of JSON tickets through ML_PREDICT into a Kafka topic
 * written exactly once, and a windowed cost per tenant into another, from the one script
 * {@code ./streamseek sql} would run. Run twice: once as it is, once with a failure injected
 * after inference mid-run (Flink restores from its last checkpoint and re-issues the calls in
 * flight). Both give every ticket exactly one committed answer, the same texts, and rollups that
 * count every ticket once and add up to the committed answers' costs.
 */
class StreamingSqlExampleITCase {

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int TICKETS = 40;

    @TempDir
    static Path dir;
    static Path model;
    static EmbeddedKafkaBroker kafka;

    @BeforeAll
    static void start() throws Exception {
        model = dir.resolve("tiny");
        RandomCheckpoint.write(ModelPreset.TINY.config(), model, 23, DType.BF16, false, null);
        TokenizerFiles.write(model, ModelPreset.TINY.config().vocabSize(), ModelPreset.TINY.config().maxPositionEmbeddings());
        kafka = EmbeddedKafkaBroker.builder().build().start();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
            List<NewTopic> topics = new ArrayList<>();
            for (String topic : List.of("tickets", "answers-clean", "costs-clean", "answers-failure", "costs-failure")) {
                topics.add(new NewTopic(topic, 1, (short) 1));
            }
            admin.createTopics(topics).all().get();
        }
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                kafka.bootstrapServers()), new StringSerializer(), new StringSerializer())) {
            for (int i = 0; i < TICKETS; i++) {
                String ticket = JSON.writeValueAsString(Map.of("id", "T-" + i, "tenant", i % 3 == 0 ? "acme" : "globex",
                        "prompt", "Ticket " + i + ": invoices for March are missing from the export"));
                producer.send(new ProducerRecord<>("tickets", "T-" + i, ticket)).get();
            }
        }
    }

    @AfterAll
    static void stop() {
        kafka.close();
    }

    @Test
    void everyTicketGetsOneCommittedAnswerAndTheSameTextWhenAFailureIsInjected() throws Exception {
        FailOnce.arm(-1);
        Result clean = run("clean");
        FailOnce.arm(TICKETS / 2);
        Result recovered = run("failure");
        assertThat(FailOnce.failed).as("the injected failure happened").isTrue();

        for (Result result : List.of(clean, recovered)) {
            assertThat(result.answers).hasSize(TICKETS);
            assertThat(result.duplicates).isZero();
            BigDecimal answered = BigDecimal.ZERO;
            for (JsonNode answer : result.answers.values()) {
                assertThat(answer.get("finish_reason").asText()).isIn("LENGTH", "STOP_TOKEN");
                assertThat(answer.get("completion_tokens").asInt()).isBetween(1, 6);
                answered = answered.add(new BigDecimal(answer.get("cost").asText()));
            }
            long requests = 0;
            BigDecimal rolledUp = BigDecimal.ZERO;
            for (JsonNode window : result.costs) {
                requests += window.get("requests").asLong();
                rolledUp = rolledUp.add(new BigDecimal(window.get("cost").asText()));
            }
            assertThat(requests).as("rollups count every ticket once").isEqualTo(TICKETS);
            assertThat(rolledUp).as("rollups add up to the answers' costs").isEqualByComparingTo(answered);
        }
        for (String id : clean.answers.keySet()) {
            assertThat(recovered.answers.get(id).get("completion").asText()).as(id).isEqualTo(clean.answers.get(id).get("completion").asText());
        }
    }

    private record Result(Map<String, JsonNode> answers, int duplicates, List<JsonNode> costs) {
    }

    private Result run(String name) throws Exception {
        String script = Files.readString(Path.of("src/test/resources/sql/streaming-kafka.sql"))
                .replace("${BOOTSTRAP}", kafka.bootstrapServers())
                .replace("${MODEL}", model.toString())
                .replace("${RUN}", name);
        TableEnvironment tables = TableEnvironment.create(EnvironmentSettings.inStreamingMode());
        tables.getConfig().set("restart-strategy.type", "fixed-delay");
        tables.getConfig().set("restart-strategy.fixed-delay.attempts", "2");
        tables.getConfig().set("restart-strategy.fixed-delay.delay", "200 ms");
        tables.executeSql("CREATE TEMPORARY FUNCTION fail_once AS '" + FailOnce.class.getName() + "'");
        List<String> statements = SqlScript.statements(script);
        statements.add(0, "SET 'execution.checkpointing.interval' = '300 ms'");
        SqlSession.awaitAll(SqlSession.run(tables, statements, System.out), Duration.ofMinutes(5));

        Map<String, JsonNode> answers = new HashMap<>();
        int duplicates = 0;
        for (JsonNode answer : readCommitted("answers-" + name)) {
            if (answers.put(answer.get("id").asText(), answer) != null) {
                duplicates++;
            }
        }
        return new Result(answers, duplicates, readCommitted("costs-" + name));
    }

    /** Every committed record of a one-partition topic, as a read_committed consumer sees it. */
    private static List<JsonNode> readCommitted(String topic) throws Exception {
        Map<String, Object> config = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed", ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        List<JsonNode> records = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(config, new StringDeserializer(), new StringDeserializer())) {
            TopicPartition partition = new TopicPartition(topic, 0);
            consumer.assign(List.of(partition));
            long end = consumer.endOffsets(List.of(partition)).get(partition);
            while (consumer.position(partition) < end) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                    records.add(JSON.readTree(record.value()));
                }
            }
        }
        return records;
    }
}
