package io.streamseek.infra.audit;

import io.streamseek.flink.source.RecordOrigin;
import io.streamseek.schemas.DeadLetter;
import io.streamseek.schemas.ErrorCode;
import io.streamseek.schemas.PipelineStage;
import io.streamseek.schemas.PromptRequest;
import io.streamseek.schemas.SamplingParams;
import io.streamseek.schemas.TextPrompt;
import io.streamseek.schemas.local.EmbeddedKafkaBroker;
import io.streamseek.schemas.registry.RegistryClientConfig;
import io.streamseek.schemas.registry.RestSchemaRegistryClient;
import io.streamseek.schemas.registry.SchemaRegistryClient;
import io.streamseek.schemas.registry.embedded.EmbeddedSchemaRegistry;
import io.streamseek.schemas.topics.Topic;
import io.streamseek.schemas.wire.ConfluentAvroCodec;
import io.streamseek.schemas.wire.DecodeLimits;

import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The audit against a real broker and registry: a prompt whose completion was written in an
 * aborted transaction, below the job's committed offset, is named as missing (what Flink's loss
 * window leaves behind); one above it is pending; one whose completion is committed while the audit
 * settles (a job commits offsets and results at the same checkpoint, in no fixed order) is not; completions and dead letters, by request id or
 * by the coordinates of an undecodable record, count as answers; a replay is the missing prompt's
 * bytes again, with the replay header.
 */
class AnswerAuditITCase {

    private static EmbeddedKafkaBroker broker;
    private static EmbeddedSchemaRegistry registryServer;
    private static SchemaRegistryClient registry;

    @BeforeAll
    static void start() throws Exception {
        broker = EmbeddedKafkaBroker.builder().build().start();
        registryServer = EmbeddedSchemaRegistry.builder().bootstrapServers(broker.bootstrapServers()).build().start();
        registry = RestSchemaRegistryClient.create(Map.of(RegistryClientConfig.URL, registryServer.url()));
        try (Admin admin = Admin.create(Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(Topic.PROMPTS.topicName(), 1, (short) 1),
                    new NewTopic(Topic.COMPLETIONS.topicName(), 2, (short) 1), new NewTopic(Topic.DEAD_LETTERS.topicName(), 1, (short) 1))).all().get();
        }
    }

    @AfterAll
    static void stop() {
        registryServer.close();
        broker.close();
    }

    @Test
    void namesThePromptsConsumedByACheckpointButNeverAnswered() throws Exception {
        ConfluentAvroCodec<PromptRequest> prompts = new ConfluentAvroCodec<>(PromptRequest.class, registry, DecodeLimits.DEFAULT);
        try (KafkaProducer<String, byte[]> producer = producer(null)) {
            for (String id : List.of("r-0", "r-1", "r-2")) {
                send(producer, Topic.PROMPTS, id, prompts.encode(Topic.PROMPTS.valueSubject(), prompt(id), true));
            }
            send(producer, Topic.PROMPTS, null, new byte[] {9, 9, 9}); // offset 3: undecodable
            for (String id : List.of("r-4", "r-6", "r-5")) { // offsets 4, 5, 6
                send(producer, Topic.PROMPTS, id, prompts.encode(Topic.PROMPTS.valueSubject(), prompt(id), true));
            }

            ConfluentAvroCodec<DeadLetter> letters = new ConfluentAvroCodec<>(DeadLetter.class, registry, DecodeLimits.DEFAULT);
            send(producer, Topic.DEAD_LETTERS, "r-2", letters.encode(Topic.DEAD_LETTERS.valueSubject(), deadLetter(2, "r-2"), true));
            send(producer, Topic.DEAD_LETTERS, null, letters.encode(Topic.DEAD_LETTERS.valueSubject(), deadLetter(3, null), true));
        }
        try (KafkaProducer<String, byte[]> committed = producer("audit-test-committed")) {
            committed.initTransactions();
            committed.beginTransaction();
            send(committed, Topic.COMPLETIONS, "r-0", new byte[] {0});
            send(committed, Topic.COMPLETIONS, "r-1", new byte[] {0});
            committed.commitTransaction();
        }
        try (KafkaProducer<String, byte[]> aborted = producer("audit-test-aborted")) {
            aborted.initTransactions();
            aborted.beginTransaction();
            send(aborted, Topic.COMPLETIONS, "r-4", new byte[] {0}); // what a broker's transaction timeout does to a result
            aborted.abortTransaction();
        }

        try (Admin admin = Admin.create(Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
            admin.alterConsumerGroupOffsets("streamseek-inference",
                    Map.of(new TopicPartition(Topic.PROMPTS.topicName(), 0), new OffsetAndMetadata(6))).all().get();
        }

        // r-6 is consumed (the offset committed past it) but its answer lands only while the audit
        // settles, as a job's offsets may be committed a moment before its sinks' transactions are.
        List<String> progress = new ArrayList<>();
        AnswerAudit.Report report = new AnswerAudit(Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()), registry,
                AnswerAudit.Topics.defaults(), line -> {
                    progress.add(line);
                    if (line.contains("look missing")) {
                        commitCompletion("r-6");
                    }
                }).run(null, Duration.ofMillis(1));

        assertThat(report.prompts()).isEqualTo(7);
        assertThat(report.answeredByCompletion()).as("r-0, r-1, and r-6 once the audit settled").isEqualTo(3);
        assertThat(report.answeredByDeadLetter()).isEqualTo(2);
        assertThat(report.missing()).extracting(AnswerAudit.Unanswered::requestId, AnswerAudit.Unanswered::offset)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("r-4", 4L));
        assertThat(report.pending()).extracting(AnswerAudit.Unanswered::requestId).containsExactly("r-5");
        assertThat(report.committedOffsets()).isEqualTo(Map.of(0, 6L));
        assertThat(progress).contains("prompts: 7 records read", "completions: 2 records read", "completions: 1 records read");
        assertThat(report.missing().get(0).toString()).startsWith("r-4 prompts-0@4 ");

        AnswerAudit audit = new AnswerAudit(Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()), registry,
                AnswerAudit.Topics.defaults(), line -> { });
        assertThat(audit.replay(report.missing())).isEqualTo(1);
        AnswerAudit.Report afterReplay = audit.run(null, Duration.ZERO);
        assertThat(afterReplay.pending()).as("the replayed copy waits for the job, past its committed offset")
                .extracting(AnswerAudit.Unanswered::requestId, AnswerAudit.Unanswered::offset)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("r-5", 6L), org.assertj.core.groups.Tuple.tuple("r-4", 7L));
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            TopicPartition prompts0 = new TopicPartition(Topic.PROMPTS.topicName(), 0);
            consumer.assign(List.of(prompts0));
            consumer.seek(prompts0, 4);
            List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
            while (records.size() < 4) {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
            ConsumerRecord<byte[], byte[]> original = records.get(0);
            ConsumerRecord<byte[], byte[]> again = records.get(3);
            assertThat(again.key()).isEqualTo(original.key());
            assertThat(again.value()).as("the prompt's bytes as they were").isEqualTo(original.value());
            assertThat(new String(again.headers().lastHeader(RecordOrigin.REPLAY_HEADER).value(), StandardCharsets.UTF_8)).isEqualTo("prompts-0@4");
        }

        AnswerAudit.Report later = new AnswerAudit(Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()), registry,
                AnswerAudit.Topics.defaults(), line -> { }).run(Instant.now().plusSeconds(3600), Duration.ZERO);
        assertThat(later.prompts()).as("--since after every record").isZero();
    }

    private static void commitCompletion(String id) {
        try (KafkaProducer<String, byte[]> producer = producer("audit-test-" + id)) {
            producer.initTransactions();
            producer.beginTransaction();
            send(producer, Topic.COMPLETIONS, id, new byte[] {0});
            producer.commitTransaction();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static PromptRequest prompt(String id) {
        return PromptRequest.newBuilder().setRequestId(id).setTenantId("acme").setInput(new TextPrompt("hello"))
                .setSampling(SamplingParams.newBuilder().build()).setCreatedAt(Instant.now()).build();
    }

    private static DeadLetter deadLetter(long offset, String requestId) {
        return DeadLetter.newBuilder().setSourceTopic(Topic.PROMPTS.topicName()).setSourcePartition(0).setSourceOffset(offset)
                .setRequestId(requestId).setErrorCode(requestId == null ? ErrorCode.BAD_MAGIC_BYTE : ErrorCode.INVALID_REQUEST)
                .setErrorMessage("test").setStage(requestId == null ? PipelineStage.DESERIALIZATION : PipelineStage.VALIDATION)
                .setFailedAt(Instant.now()).build();
    }

    private static KafkaProducer<String, byte[]> producer(String transactionalId) {
        Map<String, Object> config = new java.util.HashMap<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()));
        if (transactionalId != null) {
            config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        }
        return new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer());
    }

    private static void send(KafkaProducer<String, byte[]> producer, Topic topic, String key, byte[] value) throws Exception {
        producer.send(new ProducerRecord<>(topic.topicName(), 0, key, value)).get();
    }
}
