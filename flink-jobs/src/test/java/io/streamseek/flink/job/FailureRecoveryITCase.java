package io.streamseek.flink.job;

import io.streamseek.flink.inference.Outcome;
import io.streamseek.flink.inference.RequestPreparer;
import io.streamseek.gpu.engine.Engine;
import io.streamseek.gpu.engine.EngineConfig;
import io.streamseek.gpu.engine.GenerationResult;
import io.streamseek.gpu.engine.RequestHandle;
import io.streamseek.gpu.loader.Checkpoint;
import io.streamseek.gpu.loader.DType;
import io.streamseek.gpu.model.DeepSeekModel;
import io.streamseek.gpu.model.ModelLoader;
import io.streamseek.gpu.tokenizer.ChatTemplate;
import io.streamseek.gpu.tokenizer.Tokenizer;
import io.streamseek.schemas.Completion;
import io.streamseek.schemas.DeadLetter;
import io.streamseek.schemas.ErrorCode;
import io.streamseek.schemas.FinishReason;
import io.streamseek.schemas.PromptRequest;
import io.streamseek.schemas.SamplingParams;
import io.streamseek.schemas.TextPrompt;
import io.streamseek.schemas.TokenCost;
import io.streamseek.schemas.serde.ConfluentAvroDeserializer;
import io.streamseek.schemas.testutils.LocalKafkaStack;
import io.streamseek.schemas.testutils.TopicReader;
import io.streamseek.schemas.topics.Topic;
import io.streamseek.schemas.wire.ConfluentAvroCodec;
import io.streamseek.schemas.wire.DecodeLimits;

import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.state.CheckpointListener;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The job under failures: 1,000+ prompts through the running job while it is killed four times —
 * an operator throwing mid-stream, a TaskManager lost, a failure in the middle of a checkpoint
 * after the sinks pre-committed their transactions, and a failure after the job has gone idle with
 * only empty checkpoints — once for each {@link Delivery} mode. Afterwards, read with
 * read_committed consumers, every request_id has a completion whose text equals that of a run
 * without failures, every served one exactly one token cost, and every rejection exactly one dead
 * letter. What differs: exactly-once has exactly one completion per request_id; at-least-once may
 * have a second one, for a request re-run after a failure, and then with the same text.
 */
class FailureRecoveryITCase {

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    private static final int PROMPTS = 1_000;
    private static final int INVALID = 10;
    private static LocalKafkaStack stack;
    @TempDir
    static Path models;
    private static Path modelDir;

    @BeforeAll
    static void start() throws Exception {
        modelDir = JobFixtures.tinyModel(models.resolve("tiny"), 11, DType.BF16);
    }

    /** Each mode on a broker of its own, so that each reads only its own results. */
    @ParameterizedTest(name = "streamseek.delivery = {0}")
    @ValueSource(strings = {"exactly-once", "at-least-once"})
    void everyRequestIsAnsweredWithTheSameTextAndBilledOnceAfterFourFailures(String delivery, @InjectMiniCluster MiniCluster cluster) throws Exception {
        stack = LocalKafkaStack.start();
        try {
            JobFixtures.createContractTopics(stack.bootstrapServers());
            fourFailures(Delivery.of(delivery), cluster);
        } finally {
            stack.close();
        }
    }

    private void fourFailures(Delivery delivery, MiniCluster cluster) throws Exception {
        Instant now = Instant.now();
        Map<String, PromptRequest> requests = new LinkedHashMap<>();
        String[] tenants = {"acme", "globex", "initech", "umbrella"};
        for (int i = 0; i < PROMPTS; i++) {
            String id = "req-" + i;
            requests.put(id, PromptRequest.newBuilder()
                    .setRequestId(id)
                    .setTenantId(tenants[i % tenants.length])
                    .setInput(TextPrompt.newBuilder().setText("event " + i + " from the stream, " + (i * 7919 % 1000)).build())
                    .setSampling(SamplingParams.newBuilder().setMaxTokens(2 + i % 5).setTemperature(i % 3 == 0 ? 0f : 0.9f)
                            .setTopP(i % 3 == 2 ? 0.8f : 1f).build())
                    .setCreatedAt(now)
                    .build());
        }
        for (int i = 0; i < INVALID; i++) {
            String id = "bad-" + i;
            requests.put(id, PromptRequest.newBuilder()
                    .setRequestId(id)
                    .setTenantId("acme")
                    .setInput(TextPrompt.newBuilder().setText(i % 2 == 0 ? "" : "fine").build())
                    .setSampling(SamplingParams.newBuilder().setMaxTokens(i % 2 == 0 ? 3 : 0).build())
                    .setCreatedAt(now)
                    .build());
        }
        Map<String, String> expectedText = referenceTexts(requests);

        Injector.reset(PROMPTS / 4, PROMPTS / 2, 3 * PROMPTS / 4);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.configure(Configuration.fromMap(Map.of(
                "restart-strategy.type", "fixed-delay",
                "restart-strategy.fixed-delay.attempts", "20",
                "restart-strategy.fixed-delay.delay", "200 ms")));
        env.setParallelism(2);
        // No checkpoint interval here: the job takes its default, streamseek.checkpoint.interval, the one users get.
        InferenceJob.build(env, jobConfig(delivery), outcomes -> outcomes.map(new Injector()).returns(Outcome.typeInfo()).name("failure-injector"));
        JobClient job = env.executeAsync("failure-recovery-itcase");

        produce(requests);
        // The TaskManager goes when the injector has seen half of the outcomes; a fresh one takes over.
        assertThat(Injector.taskManagerLoss.await(5, TimeUnit.MINUTES)).as("half of the outcomes reached the injector").isTrue();
        cluster.terminateTaskManager(0).get();
        cluster.startTaskManager();

        int total = requests.size();
        List<ConsumerRecord<String, Completion>> completions = awaitAllCommitted(total);
        // All results are committed: the job is now idle, taking empty checkpoints. Fail it once more there.
        Injector.failWhileIdle.set(true);
        assertThat(Injector.idleFailure.await(2, TimeUnit.MINUTES)).as("a failure while idle").isTrue();
        awaitAllCommitted(total);
        assertThat(Injector.restoredAfterIdleFailure.await(2, TimeUnit.MINUTES)).as("recovery after the idle failure").isTrue();
        job.cancel().get();

        completions = read(Topic.COMPLETIONS, total, Completion.class);
        assertThat(Injector.failures.get()).as("failures injected by operators").isEqualTo(3);
        assertThat(Injector.checkpointFailed).as("the failure after pre-commit happened").isTrue();
        if (delivery == Delivery.EXACTLY_ONCE) {
            assertThat(completions).as("one completion per request").hasSize(total);
        }
        Map<String, List<Completion>> byId = completions.stream().collect(Collectors.groupingBy(ConsumerRecord::key, LinkedHashMap::new,
                Collectors.mapping(ConsumerRecord::value, Collectors.toList())));
        assertThat(byId.keySet()).isEqualTo(requests.keySet());
        for (Map.Entry<String, String> e : expectedText.entrySet()) {
            assertThat(byId.get(e.getKey())).as(e.getKey()).extracting(Completion::getText).containsOnly(e.getValue());
        }
        System.out.printf("%s, checkpoint interval %s: %d completions for %d requests after four failures%n", delivery.optionValue(),
                InferenceJobOptions.CHECKPOINT_INTERVAL.defaultValue(), completions.size(), total);
        List<String> served = byId.values().stream().map(answers -> answers.get(0)).filter(c -> c.getFinishReason() != FinishReason.REJECTED)
                .map(Completion::getRequestId).toList();
        assertThat(served).hasSize(PROMPTS);

        List<ConsumerRecord<String, TokenCost>> costs = read(Topic.TOKEN_COSTS, PROMPTS, TokenCost.class);
        assertThat(costs).extracting(ConsumerRecord::key).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(served);
        List<ConsumerRecord<String, DeadLetter>> dead = read(Topic.DEAD_LETTERS, INVALID, DeadLetter.class);
        assertThat(dead).extracting(r -> r.value().getRequestId()).doesNotHaveDuplicates()
                .containsExactlyInAnyOrderElementsOf(requests.keySet().stream().filter(id -> id.startsWith("bad-")).toList());
        assertThat(dead).extracting(r -> r.value().getErrorCode()).containsOnly(ErrorCode.EMPTY_INPUT, ErrorCode.INVALID_SAMPLING_PARAMETERS);
    }

    /**
     * Fails the job in three ways, once each, at given outcome counts (counted across restarts, in
     * this JVM): throwing from {@code map}; releasing the test thread to kill the TaskManager; and
     * throwing from {@code snapshotState}, which Flink calls after the chained sinks downstream have
     * pre-committed their transactions for that checkpoint. Then, on request, throws once from a
     * checkpoint taken while no data flows, and signals when a restored instance runs again.
     */
    static final class Injector extends RichMapFunction<Outcome, Outcome> implements CheckpointedFunction, CheckpointListener {

        private static final long serialVersionUID = 1L;
        static final AtomicInteger seen = new AtomicInteger();
        static final AtomicInteger failures = new AtomicInteger();
        /** Checkpoints completed so far: each failure waits for one more, so recovery starts from committed results. */
        static final AtomicInteger completedCheckpoints = new AtomicInteger();
        static final AtomicBoolean failWhileIdle = new AtomicBoolean();
        static volatile CountDownLatch taskManagerLoss;
        static volatile CountDownLatch idleFailure;
        static volatile CountDownLatch restoredAfterIdleFailure;
        private static volatile int failAt;
        private static volatile int loseTaskManagerAt;
        private static volatile int failInCheckpointAfter;
        private static final AtomicBoolean mapFailed = new AtomicBoolean();
        static final AtomicBoolean checkpointFailed = new AtomicBoolean();

        static void reset(int failAtOutcome, int loseTaskManagerAtOutcome, int failInCheckpointAfterOutcome) {
            seen.set(0);
            failures.set(0);
            completedCheckpoints.set(0);
            failWhileIdle.set(false);
            mapFailed.set(false);
            checkpointFailed.set(false);
            failAt = failAtOutcome;
            loseTaskManagerAt = loseTaskManagerAtOutcome;
            failInCheckpointAfter = failInCheckpointAfterOutcome;
            taskManagerLoss = new CountDownLatch(1);
            idleFailure = new CountDownLatch(1);
            restoredAfterIdleFailure = new CountDownLatch(1);
        }

        @Override
        public Outcome map(Outcome outcome) {
            int n = seen.incrementAndGet();
            if (n >= failAt && completedCheckpoints.get() >= 1 && mapFailed.compareAndSet(false, true)) {
                failures.incrementAndGet();
                throw new IllegalStateException("injected: an operator fails after " + n + " outcomes");
            }
            if (n >= loseTaskManagerAt && mapFailed.get() && completedCheckpoints.get() >= 2) {
                taskManagerLoss.countDown();
            }
            return outcome;
        }

        @Override
        public void snapshotState(FunctionSnapshotContext context) {
            if (seen.get() >= failInCheckpointAfter && taskManagerLoss.getCount() == 0 && completedCheckpoints.get() >= 3
                    && checkpointFailed.compareAndSet(false, true)) {
                failures.incrementAndGet();
                throw new IllegalStateException("injected: checkpoint " + context.getCheckpointId() + " fails after the sinks pre-committed");
            }
            if (failWhileIdle.compareAndSet(true, false)) {
                failures.incrementAndGet();
                idleFailure.countDown();
                throw new IllegalStateException("injected: checkpoint " + context.getCheckpointId() + " fails while the job is idle");
            }
        }

        @Override
        public void notifyCheckpointComplete(long checkpointId) {
            completedCheckpoints.incrementAndGet();
        }

        @Override
        public void initializeState(FunctionInitializationContext context) {
            if (context.isRestored() && idleFailure.getCount() == 0) {
                restoredAfterIdleFailure.countDown();
            }
        }
    }

    /** Each request's text from an engine of its own, without Flink and without failures. */
    private static Map<String, String> referenceTexts(Map<String, PromptRequest> requests) throws Exception {
        DeepSeekModel model;
        try (Checkpoint checkpoint = Checkpoint.open(modelDir)) {
            model = ModelLoader.load(checkpoint);
        }
        Map<String, String> texts = new HashMap<>();
        try (Tokenizer tokenizer = Tokenizer.load(modelDir);
             Engine engine = new Engine(model, EngineConfig.builder().maxNumSeqs(16).maxWaiting(2 * requests.size()).threads(2).build())) {
            RequestPreparer preparer = new RequestPreparer("tiny", model.spec().maxPositions(), tokenizer,
                    tokenizer.chatTemplate() == null ? null : new ChatTemplate(tokenizer.chatTemplate()));
            Map<String, RequestHandle> handles = new LinkedHashMap<>();
            for (PromptRequest request : requests.values()) {
                if (preparer.prepare(request, Instant.now()) instanceof RequestPreparer.Accepted accepted) {
                    handles.put(request.getRequestId(), engine.submit(accepted.request(), null));
                }
            }
            for (Map.Entry<String, RequestHandle> e : handles.entrySet()) {
                GenerationResult result = e.getValue().result().get(5, TimeUnit.MINUTES);
                texts.put(e.getKey(), tokenizer.decode(result.tokens(), true));
            }
        }
        return texts;
    }

    private static void produce(Map<String, PromptRequest> requests) throws Exception {
        ConfluentAvroCodec<PromptRequest> codec = new ConfluentAvroCodec<>(PromptRequest.class, stack.registryClient(), DecodeLimits.DEFAULT);
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                stack.bootstrapServers(), ProducerConfig.LINGER_MS_CONFIG, 5), new StringSerializer(), new ByteArraySerializer())) {
            for (PromptRequest request : requests.values()) {
                producer.send(new ProducerRecord<>(Topic.PROMPTS.topicName(), request.getRequestId(),
                        codec.encode(Topic.PROMPTS.valueSubject(), request, true)));
            }
            producer.flush();
        }
    }

    private static Configuration jobConfig(Delivery delivery) {
        return Configuration.fromMap(Map.of(
                InferenceJobOptions.DELIVERY.key(), delivery.optionValue(),
                InferenceJobOptions.BOOTSTRAP_SERVERS.key(), stack.bootstrapServers(),
                InferenceJobOptions.REGISTRY_URL.key(), stack.registryUrl(),
                InferenceJobOptions.MODEL_PATH.key(), modelDir.toString(),
                InferenceJobOptions.MODEL_NAME.key(), "tiny",
                InferenceJobOptions.TRANSACTION_TIMEOUT.key(), "60 s",
                InferenceJobOptions.MAX_RESTART.key(), "10 s",
                InferenceJobOptions.THREADS.key(), "2",
                InferenceJobOptions.INFERENCE_CAPACITY.key(), "32",
                InferenceJobOptions.GROUP_ID.key(), "failure-recovery"));
    }

    /**
     * Waits until every completion, token cost and dead letter is committed. Completions alone are
     * not enough: at least once they are visible before the checkpoint that commits the token costs.
     */
    private static List<ConsumerRecord<String, Completion>> awaitAllCommitted(int total) {
        List<ConsumerRecord<String, Completion>> completions = awaitCommitted(Topic.COMPLETIONS, total, Completion.class);
        awaitCommitted(Topic.TOKEN_COSTS, PROMPTS, TokenCost.class);
        awaitCommitted(Topic.DEAD_LETTERS, INVALID, DeadLetter.class);
        return completions;
    }

    /** Waits, by reading, until {@code expected} distinct keys are committed (or five minutes pass), and returns what was read. */
    private static <V extends org.apache.avro.specific.SpecificRecordBase> List<ConsumerRecord<String, V>> awaitCommitted(
            Topic topic, int expected, Class<V> type) {
        long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
        List<ConsumerRecord<String, V>> records = read(topic, expected, type);
        while (records.stream().map(ConsumerRecord::key).distinct().count() < expected && System.nanoTime() < deadline) {
            records = read(topic, expected, type);
        }
        return records;
    }

    private static <V extends org.apache.avro.specific.SpecificRecordBase> List<ConsumerRecord<String, V>> read(Topic topic, int expected, Class<V> type) {
        return JobFixtures.read(stack, topic, expected, type);
    }
}
