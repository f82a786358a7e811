package io.streamseek.infra.audit;

import io.streamseek.flink.job.InferenceJobOptions;
import io.streamseek.flink.source.RecordOrigin;
import io.streamseek.schemas.DeadLetter;
import io.streamseek.schemas.PromptRequest;
import io.streamseek.schemas.registry.SchemaRegistryClient;
import io.streamseek.schemas.wire.ConfluentAvroCodec;
import io.streamseek.schemas.wire.DecodeLimits;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Every prompt matched against its answer: a completion or a dead letter, read committed. A prompt
 * is <em>missing</em> when the job's consumer group has committed an offset past it (a completed
 * checkpoint consumed it, so it will not be read again) and no answer exists; it is
 * <em>pending</em> when the group has not got that far yet. Missing prompts are what Flink's
 * exactly-once Kafka sinks lose when a job comes back from a checkpoint later than their
 * transaction timeout (see {@code TransactionTimeoutWatch} in flink-jobs); {@link #replay}
 * produces them again, marked so that the job's idempotency filter, which has seen their ids,
 * lets each through once more.
 *
 * <p>It holds every answered request id in memory: {@code since} bounds the topics' range read.
 */
public final class AnswerAudit {

    private static final Duration STALL = Duration.ofMinutes(2);

    private final Map<String, Object> kafka;
    private final SchemaRegistryClient registry;
    private final Topics topics;
    private final Consumer<String> progress;

    /**
     * The job's topics and consumer group, as its {@code streamseek.topics.*} and
     * {@code streamseek.kafka.group-id} options name them.
     */
    public record Topics(String prompts, String completions, String deadLetters, String group) {
        /** The job's defaults. */
        public static Topics defaults() {
            return new Topics(InferenceJobOptions.PROMPTS_TOPIC.defaultValue(), InferenceJobOptions.COMPLETIONS_TOPIC.defaultValue(),
                    InferenceJobOptions.DEAD_LETTERS_TOPIC.defaultValue(), InferenceJobOptions.GROUP_ID.defaultValue());
        }
    }

    /**
     * @param kafka    Kafka client settings, {@code bootstrap.servers} among them
     * @param progress a line now and then while topics are read
     */
    public AnswerAudit(Map<String, Object> kafka, SchemaRegistryClient registry, Topics topics, Consumer<String> progress) {
        this.kafka = Map.copyOf(kafka);
        this.registry = registry;
        this.topics = topics;
        this.progress = progress;
    }

    /** A prompt without an answer; {@code requestId} is null when the record could not be decoded. */
    public record Unanswered(String requestId, String topic, int partition, long offset, Instant timestamp) {
        @Override
        public String toString() {
            return (requestId == null ? "(undecodable)" : requestId) + " " + topic + "-" + partition + "@" + offset + " " + timestamp;
        }
    }

    /** The audit's result; {@code missing} is what a report must name. */
    public record Report(long prompts, long answeredByCompletion, long answeredByDeadLetter, List<Unanswered> missing,
                         List<Unanswered> pending, Map<Integer, Long> committedOffsets) {
    }

    /** How long a prompt that looks missing is given for its answer to appear, by default. */
    public static final Duration DEFAULT_SETTLE = Duration.ofSeconds(30);

    /**
     * Audits the prompts produced since {@code since} (or all of them, when null). The job commits
     * its consumer offsets and its sinks' transactions at the same checkpoint, in no fixed order, so
     * a prompt answered in the newest checkpoint can look missing for a moment: prompts that look
     * missing are checked again against the answers committed within {@code settle}.
     */
    public Report run(Instant since, Duration settle) throws Exception {
        Map<TopicPartition, Long> committed = committedOffsets();
        Answers answers = new Answers(new ConfluentAvroCodec<>(DeadLetter.class, registry, DecodeLimits.DEFAULT));
        Map<TopicPartition, Long> completionsRead = read(topics.completions(), since, Map.of(), answers::completion);
        Map<TopicPartition, Long> lettersRead = read(topics.deadLetters(), since, Map.of(), answers::deadLetter);

        ConfluentAvroCodec<PromptRequest> prompts = new ConfluentAvroCodec<>(PromptRequest.class, registry, DecodeLimits.DEFAULT);
        long[] counts = new long[3];
        List<Unanswered> missing = new ArrayList<>();
        List<Unanswered> pending = new ArrayList<>();
        read(topics.prompts(), since, Map.of(), r -> {
            counts[0]++;
            Unanswered u = new Unanswered(requestId(prompts, r), r.topic(), r.partition(), r.offset(), Instant.ofEpochMilli(r.timestamp()));
            if (!answers.count(u, counts)) {
                Long consumedUpTo = committed.get(new TopicPartition(r.topic(), r.partition()));
                (consumedUpTo != null && r.offset() < consumedUpTo ? missing : pending).add(u);
            }
        });
        if (!missing.isEmpty() && !settle.isZero()) {
            progress.accept(missing.size() + " prompts look missing; reading the answers committed in the next " + settle.toSeconds()
                    + " s before naming them");
            Thread.sleep(settle.toMillis()); // giving the job's sinks time to commit, not waiting for anything of ours
            read(topics.completions(), null, completionsRead, answers::completion);
            read(topics.deadLetters(), null, lettersRead, answers::deadLetter);
            missing.removeIf(u -> answers.count(u, counts));
        }
        Map<Integer, Long> offsets = new java.util.TreeMap<>();
        committed.forEach((tp, offset) -> offsets.put(tp.partition(), offset));
        return new Report(counts[0], counts[1], counts[2], missing, pending, offsets);
    }

    /** The request ids (and, for records that never decoded, the coordinates) answered so far. */
    private final class Answers {
        private final ConfluentAvroCodec<DeadLetter> deadLetters;
        private final Set<String> completed = new HashSet<>();
        private final Set<String> deadLetterIds = new HashSet<>();
        private final Set<Long> deadLetterOffsets = new HashSet<>(); // partition << 48 | offset

        Answers(ConfluentAvroCodec<DeadLetter> deadLetters) {
            this.deadLetters = deadLetters;
        }

        void completion(ConsumerRecord<byte[], byte[]> r) {
            if (r.key() != null) {
                completed.add(new String(r.key(), StandardCharsets.UTF_8)); // the sink keys completions by request_id
            }
        }

        void deadLetter(ConsumerRecord<byte[], byte[]> r) {
            DeadLetter letter = deadLetters.decode(r.value());
            if (letter.getRequestId() != null) {
                deadLetterIds.add(letter.getRequestId());
            }
            if (topics.prompts().equals(letter.getSourceTopic().toString())) {
                deadLetterOffsets.add(coordinates(letter.getSourcePartition(), letter.getSourceOffset()));
            }
        }

        /** Whether {@code u} is answered; counts it in {@code counts[1]} (completion) or {@code counts[2]} (dead letter). */
        boolean count(Unanswered u, long[] counts) {
            if (u.requestId() != null && completed.contains(u.requestId())) {
                counts[1]++;
                return true;
            }
            if ((u.requestId() != null && deadLetterIds.contains(u.requestId())) || deadLetterOffsets.contains(coordinates(u.partition(), u.offset()))) {
                counts[2]++;
                return true;
            }
            return false;
        }
    }

    /**
     * Produces each of {@code missing} again, its key and value bytes as they were, with the
     * {@link RecordOrigin#REPLAY_HEADER} header: the job's idempotency filter, which saw these
     * request ids, lets each through once more. Returns how many were produced.
     */
    public int replay(List<Unanswered> missing) throws Exception {
        Map<String, Object> consumerConfig = new HashMap<>(kafka);
        consumerConfig.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        consumerConfig.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        consumerConfig.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1);
        Map<String, Object> producerConfig = new HashMap<>(kafka);
        producerConfig.put(ProducerConfig.ACKS_CONFIG, "all");
        producerConfig.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        int produced = 0;
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerConfig, new ByteArrayDeserializer(), new ByteArrayDeserializer());
             KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerConfig, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (Unanswered u : missing) {
                TopicPartition partition = new TopicPartition(u.topic(), u.partition());
                consumer.assign(List.of(partition));
                consumer.seek(partition, u.offset());
                ConsumerRecord<byte[], byte[]> original = null;
                long deadline = System.nanoTime() + STALL.toNanos();
                while (original == null) {
                    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                        original = r;
                    }
                    if (original == null && System.nanoTime() > deadline) {
                        throw new IllegalStateException("could not read " + u + " again within " + STALL.toSeconds() + " s");
                    }
                }
                if (original.offset() != u.offset()) {
                    throw new IllegalStateException(u + " is no longer on the topic (retention?); the next record there is at offset " + original.offset());
                }
                ProducerRecord<byte[], byte[]> again = new ProducerRecord<>(u.topic(), null, original.key(), original.value());
                original.headers().forEach(h -> again.headers().add(h));
                again.headers().add(RecordOrigin.REPLAY_HEADER, (u.topic() + "-" + u.partition() + "@" + u.offset()).getBytes(StandardCharsets.UTF_8));
                producer.send(again).get();
                produced++;
            }
        }
        return produced;
    }

    private static String requestId(ConfluentAvroCodec<PromptRequest> codec, ConsumerRecord<byte[], byte[]> r) {
        if (r.value() == null) {
            return null;
        }
        try {
            return codec.decode(r.value()).getRequestId().toString();
        } catch (RuntimeException e) {
            return null; // undecodable: the job dead-letters it by its coordinates
        }
    }

    private static long coordinates(int partition, long offset) {
        return ((long) partition << 48) | offset;
    }

    private Map<TopicPartition, Long> committedOffsets() throws Exception {
        Map<String, Object> config = new HashMap<>(kafka);
        config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) STALL.toMillis());
        try (Admin admin = Admin.create(config)) {
            Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(topics.group()).partitionsToOffsetAndMetadata()
                    .get(STALL.toMillis(), TimeUnit.MILLISECONDS);
            Map<TopicPartition, Long> prompts = new HashMap<>();
            offsets.forEach((tp, om) -> {
                if (om != null && tp.topic().equals(topics.prompts())) {
                    prompts.put(tp, om.offset());
                }
            });
            return prompts;
        }
    }

    /**
     * Every committed record of {@code topic} to the end it has now, from {@code from} where it
     * names a partition, else from {@code since}, else from the beginning. Returns the offsets it
     * read up to.
     */
    private Map<TopicPartition, Long> read(String topic, Instant since, Map<TopicPartition, Long> from,
                                           Consumer<ConsumerRecord<byte[], byte[]>> each) {
        Map<String, Object> config = new HashMap<>(kafka);
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) STALL.toMillis());
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream().map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            from.forEach((p, offset) -> {
                if (partitions.contains(p)) {
                    consumer.seek(p, offset);
                }
            });
            if (since != null && from.isEmpty()) {
                Map<TopicPartition, Long> times = new HashMap<>();
                partitions.forEach(p -> times.put(p, since.toEpochMilli()));
                for (Map.Entry<TopicPartition, OffsetAndTimestamp> e : consumer.offsetsForTimes(times).entrySet()) {
                    if (e.getValue() == null) {
                        consumer.seekToEnd(List.of(e.getKey())); // nothing that recent
                    } else {
                        consumer.seek(e.getKey(), e.getValue().offset());
                    }
                }
            }
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions); // read_committed: the last stable offsets
            long read = 0;
            long lastProgress = System.nanoTime();
            while (!partitions.stream().allMatch(p -> consumer.position(p) >= ends.get(p))) {
                long before = read;
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    if (r.offset() < ends.get(new TopicPartition(r.topic(), r.partition()))) {
                        each.accept(r);
                        read++;
                    }
                }
                if (read != before) {
                    lastProgress = System.nanoTime();
                    if (read / 100_000 != before / 100_000) {
                        progress.accept(topic + ": " + read + " records read");
                    }
                } else if (System.nanoTime() - lastProgress > STALL.toNanos()) {
                    throw new IllegalStateException("reading " + topic + " made no progress for " + STALL.toSeconds()
                            + " s (at " + consumer.assignment().stream().map(p -> p + "@" + consumer.position(p)).sorted().toList()
                            + ", ends " + ends + "): are the brokers up?");
                }
            }
            progress.accept(topic + ": " + read + " records read");
            return ends;
        }
    }
}
