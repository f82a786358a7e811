package io.streamseek.flink.serde;

import io.streamseek.schemas.DeadLetter;
import io.streamseek.schemas.ErrorCode;
import io.streamseek.schemas.PipelineStage;
import io.streamseek.schemas.PromptRequest;
import io.streamseek.schemas.registry.RegistryClientConfig;
import io.streamseek.schemas.serde.ConfluentAvroDeserializer;
import io.streamseek.schemas.testutils.LocalKafkaStack;
import io.streamseek.schemas.testutils.SampleRecords;
import io.streamseek.schemas.testutils.TopicReader;
import io.streamseek.schemas.topics.Topic;
import io.streamseek.schemas.wire.ConfluentAvroCodec;
import io.streamseek.schemas.wire.ConfluentWireFormat;
import io.streamseek.schemas.wire.DecodeLimits;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.types.Either;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Flink side of the contract on a MiniCluster with a real broker and registry: a KafkaSource
 * reads good records and poison pills from one partition, good records are written back through
 * our serialization schema and poison pills become dead letters, both with exactly-once KafkaSinks.
 */
class ConfluentAvroSchemasITCase {

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    private static final String ECHO = "prompts-echo";
    private static LocalKafkaStack stack;

    @BeforeAll
    static void start() throws Exception {
        stack = LocalKafkaStack.start();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(Topic.PROMPTS.topicName(), 1, (short) 1), new NewTopic(ECHO, 1, (short) 1),
                    new NewTopic(Topic.DEAD_LETTERS.topicName(), 1, (short) 1))).all().get();
        }
    }

    @AfterAll
    static void stop() {
        stack.close();
    }

    @Test
    void goodRecordsPassAndPoisonPillsBecomeDeadLetters() throws Exception {
        ConfluentAvroCodec<PromptRequest> codec = new ConfluentAvroCodec<>(PromptRequest.class, stack.registryClient(), DecodeLimits.DEFAULT);
        byte[] good1 = codec.encode(Topic.PROMPTS.valueSubject(), SampleRecords.textPrompt("req-0"), true);
        byte[] good2 = codec.encode(Topic.PROMPTS.valueSubject(), SampleRecords.chatPrompt("req-2"), true);
        byte[] good3 = codec.encode(Topic.PROMPTS.valueSubject(), SampleRecords.textPrompt("req-4"), true);
        byte[] unknownId = good1.clone();
        ConfluentWireFormat.writeHeader(777_777, unknownId);
        List<byte[]> values = List.of(good1, "{\"oops\":1}".getBytes(StandardCharsets.UTF_8), good2,
                Arrays.copyOf(good2, good2.length - 5), good3, unknownId);
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                stack.bootstrapServers()), new StringSerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < values.size(); i++) {
                producer.send(new ProducerRecord<>(Topic.PROMPTS.topicName(), 0, "req-" + i, values.get(i))).get();
            }
        }

        RegistryClientFactory registry = new RestRegistryClientFactory(Map.of(RegistryClientConfig.URL, stack.registryUrl()));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1);
        env.enableCheckpointing(500);
        KafkaSource<Either<DeadLetter, PromptRequest>> source = KafkaSource.<Either<DeadLetter, PromptRequest>>builder()
                .setBootstrapServers(stack.bootstrapServers())
                .setTopics(Topic.PROMPTS.topicName())
                .setGroupId("serde-itcase")
                .setStartingOffsets(OffsetsInitializer.earliest())
                .setBounded(OffsetsInitializer.latest())
                .setDeserializer(new ConfluentAvroDeserializationSchema<>(PromptRequest.class, registry, DecodeLimits.DEFAULT))
                .build();
        DataStream<Either<DeadLetter, PromptRequest>> decoded = env.fromSource(source, WatermarkStrategy.noWatermarks(), "prompts");
        decoded.filter(Either::isRight).map(Either::right).returns(new AvroTypeInfo<>(PromptRequest.class))
                .sinkTo(exactlyOnce(new ConfluentAvroSerializationSchema<>(PromptRequest.class, ECHO, PromptRequest::getRequestId, registry, true), "echo"));
        decoded.filter(Either::isLeft).map(Either::left).returns(new AvroTypeInfo<>(DeadLetter.class))
                .sinkTo(exactlyOnce(new ConfluentAvroSerializationSchema<>(DeadLetter.class, Topic.DEAD_LETTERS.topicName(),
                        DeadLetter::getRequestId, registry, true), "dead-letters"));
        env.execute("serde-itcase");

        List<ConsumerRecord<String, PromptRequest>> echoed = TopicReader.readCommitted(stack.bootstrapServers(), ECHO, 3,
                new StringDeserializer(), new ConfluentAvroDeserializer<>(PromptRequest.class, stack.registryClient()));
        assertThat(echoed).extracting(ConsumerRecord::key).containsExactly("req-0", "req-2", "req-4");
        assertThat(echoed).extracting(ConsumerRecord::value).containsExactly(
                SampleRecords.textPrompt("req-0"), SampleRecords.chatPrompt("req-2"), SampleRecords.textPrompt("req-4"));

        List<ConsumerRecord<String, DeadLetter>> dead = TopicReader.readCommitted(stack.bootstrapServers(), Topic.DEAD_LETTERS.topicName(), 3,
                new StringDeserializer(), new ConfluentAvroDeserializer<>(DeadLetter.class, stack.registryClient()));
        assertThat(dead).extracting(r -> r.value().getErrorCode())
                .containsExactly(ErrorCode.BAD_MAGIC_BYTE, ErrorCode.TRUNCATED_PAYLOAD, ErrorCode.UNKNOWN_SCHEMA_ID);
        assertThat(dead).extracting(r -> r.value().getSourceOffset()).containsExactly(1L, 3L, 5L);
        assertThat(dead).extracting(r -> r.value().getRequestId()).containsExactly("req-1", "req-3", "req-5");
        for (ConsumerRecord<String, DeadLetter> record : dead) {
            DeadLetter letter = record.value();
            assertThat(letter.getStage()).isEqualTo(PipelineStage.DESERIALIZATION);
            assertThat(letter.getSourceTopic()).isEqualTo(Topic.PROMPTS.topicName());
            assertThat(bytes(letter.getOriginalValue())).isEqualTo(values.get((int) letter.getSourceOffset()));
            assertThat(bytes(letter.getOriginalKey())).isEqualTo(letter.getRequestId().getBytes(StandardCharsets.UTF_8));
            assertThat(letter.getErrorMessage()).isNotBlank();
        }
    }

    private static <T> KafkaSink<T> exactlyOnce(ConfluentAvroSerializationSchema<?> schema, String name) {
        @SuppressWarnings("unchecked")
        org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema<T> typed =
                (org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema<T>) schema;
        return KafkaSink.<T>builder()
                .setBootstrapServers(stack.bootstrapServers())
                .setRecordSerializer(typed)
                .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
                .setTransactionalIdPrefix("serde-itcase-" + name)
                // Below the broker's transaction.max.timeout.ms (15 minutes by default).
                .setProperty(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, "60000")
                .build();
    }

    private static byte[] bytes(ByteBuffer buffer) {
        ByteBuffer copy = buffer.duplicate();
        byte[] bytes = new byte[copy.remaining()];
        copy.get(bytes);
        return bytes;
    }
}
