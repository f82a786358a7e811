package io.streamseek.schemas.wire;

import io.streamseek.schemas.Completion;
import io.streamseek.schemas.ErrorCode;
import io.streamseek.schemas.PromptRequest;
import io.streamseek.schemas.serde.ConfluentAvroDeserializer;
import io.streamseek.schemas.testutils.LocalKafkaStack;
import io.streamseek.schemas.testutils.SampleRecords;
import io.streamseek.schemas.testutils.TopicReader;
import io.streamseek.schemas.topics.Topic;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/** Bad payloads against the real registry: each ends in the typed error, and none poisons what follows. */
class DecoderRobustnessITCase {

    private static LocalKafkaStack stack;
    private static ConfluentAvroCodec<PromptRequest> prompts;
    private static byte[] validText;
    private static byte[] validChat;
    private static byte[] completion;

    @BeforeAll
    static void start() {
        stack = LocalKafkaStack.start();
        prompts = new ConfluentAvroCodec<>(PromptRequest.class, stack.registryClient(), DecodeLimits.DEFAULT);
        validText = prompts.encode(Topic.PROMPTS.valueSubject(), SampleRecords.textPrompt("r-text"), true);
        validChat = prompts.encode(Topic.PROMPTS.valueSubject(), SampleRecords.chatPrompt("r-chat"), true);
        completion = new ConfluentAvroCodec<>(Completion.class, stack.registryClient(), DecodeLimits.DEFAULT)
                .encode(Topic.COMPLETIONS.valueSubject(), SampleRecords.completion("r-done"), true);
    }

    @AfterAll
    static void stop() {
        stack.close();
    }

    @Test
    void validCorruptValidValidOnOnePartitionThroughOneDeserializer() throws Exception {
        String topic = "poison-sequence";
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
        }
        // Corruptions that stop a decoder mid-record, the case that poisons a reused decoder.
        List<byte[]> corrupt = List.of(
                Arrays.copyOf(validText, validText.length - 7),
                "{\"request_id\":\"x\"}".getBytes(StandardCharsets.UTF_8),
                withHugeStringLength(validText));
        List<byte[]> sent = new ArrayList<>();
        for (byte[] bad : corrupt) {
            sent.addAll(List.of(validText, bad, validChat, validText));
        }
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                stack.bootstrapServers()), new ByteArraySerializer(), new ByteArraySerializer())) {
            for (byte[] value : sent) {
                producer.send(new ProducerRecord<>(topic, 0, null, value)).get();
            }
        }
        ConfluentAvroDeserializer<PromptRequest> deserializer = new ConfluentAvroDeserializer<>(PromptRequest.class, stack.registryClient());
        List<String> outcomes = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> record : TopicReader.readCommitted(stack.bootstrapServers(), topic, sent.size(),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            try {
                outcomes.add(deserializer.deserialize(topic, record.value()).getRequestId());
            } catch (WireFormatException e) {
                outcomes.add(e.code().name());
            }
        }
        assertThat(outcomes).containsExactly(
                "r-text", "TRUNCATED_PAYLOAD", "r-chat", "r-text",
                "r-text", "BAD_MAGIC_BYTE", "r-chat", "r-text",
                "r-text", "MALFORMED_AVRO", "r-chat", "r-text");
    }

    @Test
    void aRecordOfAnotherSchemaIsASchemaMismatch() {
        int completionId = ConfluentWireFormat.schemaId(completion);
        assertThatThrownBy(() -> prompts.decode(completion))
                .isInstanceOfSatisfying(WireFormatException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.SCHEMA_MISMATCH))
                .hasMessageStartingWith("Schema id " + completionId + " (io.streamseek.schemas.Completion) cannot be read as io.streamseek.schemas.PromptRequest: ");
    }

    @Test
    void anUnknownSchemaIdIsNamed() {
        byte[] payload = validText.clone();
        ConfluentWireFormat.writeHeader(99_999, payload);
        assertThatThrownBy(() -> prompts.decode(payload))
                .isInstanceOfSatisfying(WireFormatException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNKNOWN_SCHEMA_ID))
                .hasMessageStartingWith("Unknown schema id 99999: the schema registry has no schema with this id");
    }

    @Test
    void tenThousandRandomAndMutatedPayloadsEndInTheTypedErrorWithinBoundedMemory() {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        Map<ErrorCode, Integer> errors = new EnumMap<>(ErrorCode.class);
        int[] decoded = {0};
        long[] maxAllocated = {0};
        PayloadFuzzer fuzzer = new PayloadFuzzer(20261122L, validText, validChat, completion);
        assertTimeoutPreemptively(Duration.ofMinutes(3), () -> {
            long thread = Thread.currentThread().getId(); // the timeout runs this on its own thread
            for (int i = 0; i < 10_000; i++) {
                byte[] payload = fuzzer.next();
                long before = threads.getThreadAllocatedBytes(thread);
                Optional<ErrorCode> outcome = decode(payload);
                maxAllocated[0] = Math.max(maxAllocated[0], threads.getThreadAllocatedBytes(thread) - before);
                outcome.ifPresentOrElse(code -> errors.merge(code, 1, Integer::sum), () -> decoded[0]++);
            }
        });
        System.out.printf("fuzz: %d decoded, errors %s, most bytes allocated by one decode %d%n", decoded[0], errors, maxAllocated[0]);
        assertThat(errors.keySet()).contains(ErrorCode.BAD_MAGIC_BYTE, ErrorCode.TRUNCATED_PAYLOAD, ErrorCode.MALFORMED_AVRO,
                ErrorCode.UNKNOWN_SCHEMA_ID, ErrorCode.SCHEMA_MISMATCH);
        assertThat(errors.values().stream().mapToInt(Integer::intValue).sum() + decoded[0]).isEqualTo(10_000);
        // The payloads are at most a few hundred bytes; no decode may allocate what a length prefix claims.
        assertThat(maxAllocated[0]).isLessThan(4L << 20);
    }

    /** Empty when the payload decoded; the error code when it did not. Anything else fails the test. */
    private static Optional<ErrorCode> decode(byte[] payload) {
        try {
            prompts.decode(payload);
            return Optional.empty();
        } catch (WireFormatException e) {
            return Optional.of(e.code());
        } catch (Throwable t) {
            fail("payload " + HexFormat.of().formatHex(payload) + " escaped the typed error with " + t, t);
            return Optional.empty();
        }
    }

    /** The first string length of the record (request_id) replaced with a claim of ~1 GiB. */
    private static byte[] withHugeStringLength(byte[] valid) {
        byte[] payload = Arrays.copyOf(valid, valid.length + 4);
        System.arraycopy(valid, 6, payload, 10, valid.length - 6);
        payload[5] = (byte) 0x80;
        payload[6] = (byte) 0x80;
        payload[7] = (byte) 0x80;
        payload[8] = (byte) 0x80;
        payload[9] = 0x08;
        return payload;
    }
}
