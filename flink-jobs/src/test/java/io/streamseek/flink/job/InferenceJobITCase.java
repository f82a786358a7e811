package io.streamseek.flink.job;

import io.streamseek.gpu.config.ModelPreset;
import io.streamseek.gpu.loader.DType;
import io.streamseek.schemas.ChatMessage;
import io.streamseek.schemas.ChatPrompt;
import io.streamseek.schemas.ChatRole;
import io.streamseek.schemas.Completion;
import io.streamseek.schemas.CostRollup;
import io.streamseek.schemas.DeadLetter;
import io.streamseek.schemas.ErrorCode;
import io.streamseek.schemas.FinishReason;
import io.streamseek.schemas.PipelineStage;
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

import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The inference job end to end on Flink's MiniCluster with a real KRaft broker, the schema
 * registry over HTTP and a real (tiny, random) checkpoint: prompts in, exactly one completion per
 * request_id out, a token cost per served request, dead letters for what cannot be served, and
 * rollups that add up to the costs — all read back with read_committed consumers.
 */
class InferenceJobITCase {

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    private static final String MODEL = "tiny";
    private static LocalKafkaStack stack;
    @TempDir
    static Path models;
    private static Path modelDir;

    @BeforeAll
    static void start() throws Exception {
        stack = LocalKafkaStack.start();
        JobFixtures.createContractTopics(stack.bootstrapServers());
        // The job serves a GGUF file here (quantized weights, the tokenizer from its metadata); FailureRecoveryITCase a safetensors directory.
        modelDir = JobFixtures.tinyGgufModel(models, 7);
    }

    @AfterAll
    static void stop() {
        stack.close();
    }

    @Test
    void everyPromptGetsExactlyOneOutcomeAndServedOnesACostThatTheRollupsAddUpTo() throws Exception {
        Instant now = Instant.now();
        Map<String, PromptRequest> valid = new LinkedHashMap<>();
        String[] tenants = {"acme", "globex", "initech"};
        for (int i = 0; i < 12; i++) {
            String id = "ok-" + i;
            valid.put(id, JobFixtures.text(id, tenants[i % 3], "the quick brown fox " + i, 4 + i % 5, i % 2 == 0 ? 0f : 0.8f, now));
        }
        PromptRequest chat = PromptRequest.newBuilder(JobFixtures.text("chat-0", "acme", "unused", 6, 0f, now))
                .setInput(ChatPrompt.newBuilder().setMessages(List.of(new ChatMessage(ChatRole.SYSTEM, "Be brief."),
                        new ChatMessage(ChatRole.USER, "What is MLA?"))).build()).build();
        valid.put("chat-0", chat);
        Map<String, ErrorCode> invalid = new LinkedHashMap<>();
        Map<String, PromptRequest> invalidRequests = new LinkedHashMap<>();
        invalidRequests.put("bad-empty", JobFixtures.text("bad-empty", "acme", "   ", 4, 0f, now));
        invalid.put("bad-empty", ErrorCode.EMPTY_INPUT);
        PromptRequest badTopP = JobFixtures.text("bad-top-p", "globex", "hello", 4, 0.7f, now);
        badTopP.getSampling().setTopP(0f);
        invalidRequests.put("bad-top-p", badTopP);
        invalid.put("bad-top-p", ErrorCode.INVALID_SAMPLING_PARAMETERS);
        PromptRequest otherModel = JobFixtures.text("bad-model", "initech", "hello", 4, 0f, now);
        otherModel.setModel("deepseek-v3");
        invalidRequests.put("bad-model", otherModel);
        invalid.put("bad-model", ErrorCode.UNKNOWN_MODEL);
        invalidRequests.put("bad-long", JobFixtures.text("bad-long", "acme", "lorem ipsum dolor sit amet ".repeat(400), 4, 0f, now));
        invalid.put("bad-long", ErrorCode.CONTEXT_LENGTH_EXCEEDED);
        PromptRequest late = JobFixtures.text("bad-deadline", "globex", "hello", 4, 0f, now);
        late.setDeadline(now.minusSeconds(60));
        invalidRequests.put("bad-deadline", late);
        invalid.put("bad-deadline", ErrorCode.DEADLINE_EXCEEDED);

        ConfluentAvroCodec<PromptRequest> codec = new ConfluentAvroCodec<>(PromptRequest.class, stack.registryClient(), DecodeLimits.DEFAULT);
        List<PromptRequest> all = new ArrayList<>(valid.values());
        all.addAll(invalidRequests.values());
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                stack.bootstrapServers()), new StringSerializer(), new ByteArraySerializer())) {
            for (PromptRequest request : all) {
                producer.send(new ProducerRecord<>(Topic.PROMPTS.topicName(), request.getRequestId(),
                        codec.encode(Topic.PROMPTS.valueSubject(), request, true))).get();
            }
            // A caller's retry of a request already sent, and a record that is not Avro at all.
            producer.send(new ProducerRecord<>(Topic.PROMPTS.topicName(), "ok-3", codec.encode(Topic.PROMPTS.valueSubject(), valid.get("ok-3"), true))).get();
            producer.send(new ProducerRecord<>(Topic.PROMPTS.topicName(), "garbage", "{not avro}".getBytes(StandardCharsets.UTF_8))).get();
        }

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        env.enableCheckpointing(500);
        InferenceJob.build(env, jobConfig(Map.of()));
        env.execute("inference-itcase");

        int outcomes = valid.size() + invalid.size();
        List<ConsumerRecord<String, Completion>> completions = read(Topic.COMPLETIONS, outcomes, Completion.class);
        assertThat(completions).extracting(ConsumerRecord::key).doesNotHaveDuplicates()
                .containsExactlyInAnyOrderElementsOf(all.stream().map(PromptRequest::getRequestId).toList());
        Map<String, Completion> byId = completions.stream().collect(Collectors.toMap(ConsumerRecord::key, ConsumerRecord::value));
        for (String id : valid.keySet()) {
            Completion c = byId.get(id);
            assertThat(c.getFinishReason()).as(id).isIn(FinishReason.STOP_TOKEN, FinishReason.LENGTH, FinishReason.STOP_STRING);
            assertThat(c.getModel()).isEqualTo(MODEL);
            assertThat(c.getTenantId()).isEqualTo(valid.get(id).getTenantId());
            assertThat(c.getUsage().getPromptTokens()).isPositive();
            assertThat(c.getUsage().getCompletionTokens()).isBetween(1, valid.get(id).getSampling().getMaxTokens());
            assertThat(c.getError()).isNull();
        }
        for (Map.Entry<String, ErrorCode> e : invalid.entrySet()) {
            Completion c = byId.get(e.getKey());
            assertThat(c.getFinishReason()).as(e.getKey()).isEqualTo(FinishReason.REJECTED);
            assertThat(c.getError().getCode()).as(e.getKey()).isEqualTo(e.getValue());
            assertThat(c.getError().getMessage()).isNotBlank();
        }

        List<ConsumerRecord<String, TokenCost>> costs = read(Topic.TOKEN_COSTS, valid.size(), TokenCost.class);
        assertThat(costs).extracting(ConsumerRecord::key).containsExactlyInAnyOrderElementsOf(valid.keySet());
        for (ConsumerRecord<String, TokenCost> record : costs) {
            TokenCost cost = record.value();
            assertThat(cost.getTokens()).hasSize(byId.get(record.key()).getUsage().getCompletionTokens());
            assertThat(cost.getTotals().getFlops()).isPositive();
            assertThat(cost.getCost().getAmount()).isPositive();
            assertThat(cost.getCost().getCurrency()).isEqualTo("EUR");
        }

        List<ConsumerRecord<String, DeadLetter>> dead = read(Topic.DEAD_LETTERS, invalid.size() + 1, DeadLetter.class);
        Map<String, DeadLetter> deadById = dead.stream().collect(Collectors.toMap(r -> r.value().getRequestId(), ConsumerRecord::value));
        assertThat(deadById.keySet()).containsExactlyInAnyOrderElementsOf(concat(invalid.keySet(), Set.of("garbage")));
        assertThat(deadById.get("garbage").getStage()).isEqualTo(PipelineStage.DESERIALIZATION);
        for (Map.Entry<String, ErrorCode> e : invalid.entrySet()) {
            DeadLetter letter = deadById.get(e.getKey());
            assertThat(letter.getStage()).isEqualTo(PipelineStage.VALIDATION);
            assertThat(letter.getErrorCode()).isEqualTo(e.getValue());
            assertThat(letter.getOriginalValue()).isNotNull();
            assertThat(letter.getSourceTopic()).isEqualTo(Topic.PROMPTS.topicName());
        }

        List<ConsumerRecord<String, CostRollup>> rollups = read(Topic.COST_ROLLUPS, 3, CostRollup.class);
        Map<String, BigDecimal> costByTenant = new HashMap<>();
        Map<String, Long> requestsByTenant = new HashMap<>();
        for (ConsumerRecord<String, TokenCost> record : costs) {
            costByTenant.merge(record.value().getTenantId(), record.value().getCost().getAmount(), BigDecimal::add);
            requestsByTenant.merge(record.value().getTenantId(), 1L, Long::sum);
        }
        Map<String, BigDecimal> rolledCost = new HashMap<>();
        Map<String, Long> rolledRequests = new HashMap<>();
        for (ConsumerRecord<String, CostRollup> record : rollups) {
            assertThat(record.value().getModel()).isEqualTo(MODEL);
            rolledCost.merge(record.key(), record.value().getCost(), BigDecimal::add);
            rolledRequests.merge(record.key(), record.value().getRequests(), Long::sum);
        }
        assertThat(rolledRequests).isEqualTo(requestsByTenant);
        assertThat(rolledCost.keySet()).isEqualTo(costByTenant.keySet());
        costByTenant.forEach((tenant, amount) -> assertThat(rolledCost.get(tenant)).as(tenant).isEqualByComparingTo(amount));
    }

    /**
     * A DeepSeek-V3.2 checkpoint (tiny-v32: DeepSeek Sparse Attention, index_topk 8) served by the
     * unchanged job, with prompts past index_topk: each prompt answered once with its cost, and a
     * prompt sent twice under two ids gets the same greedy text however the steps were batched.
     */
    @Test
    void aDeepSeekV32CheckpointIsServedByTheSameJob() throws Exception {
        Map<String, String> overrides = prefixedTopics("v32-");
        overrides.put(InferenceJobOptions.MODEL_PATH.key(), JobFixtures.model(ModelPreset.TINY_V32, models.resolve("v32"), 5, DType.BF16).toString());
        Instant now = Instant.now();
        List<PromptRequest> prompts = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            prompts.add(JobFixtures.text("v32-" + i, "acme", "sparse attention over the latent cache, request number " + i % 3, 12, 0f, now));
        }
        ConfluentAvroCodec<PromptRequest> codec = new ConfluentAvroCodec<>(PromptRequest.class, stack.registryClient(), DecodeLimits.DEFAULT);
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                stack.bootstrapServers()), new StringSerializer(), new ByteArraySerializer())) {
            for (PromptRequest request : prompts) {
                producer.send(new ProducerRecord<>("v32-prompts", request.getRequestId(), codec.encode("v32-prompts-value", request, true))).get();
            }
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1);
        env.enableCheckpointing(500);
        InferenceJob.build(env, jobConfig(overrides));
        env.execute("v32-itcase");

        Map<String, Completion> byId = TopicReader.readCommitted(stack.bootstrapServers(), "v32-completions", prompts.size(),
                        new StringDeserializer(), new ConfluentAvroDeserializer<>(Completion.class, stack.registryClient())).stream()
                .collect(Collectors.toMap(ConsumerRecord::key, ConsumerRecord::value));
        assertThat(byId.keySet()).containsExactlyInAnyOrderElementsOf(prompts.stream().map(PromptRequest::getRequestId).toList());
        for (Completion c : byId.values()) {
            assertThat(c.getFinishReason()).as(c.getRequestId()).isIn(FinishReason.STOP_TOKEN, FinishReason.LENGTH, FinishReason.STOP_STRING);
            assertThat(c.getError()).isNull();
            assertThat(c.getUsage().getPromptTokens()).as("a prompt past index_topk").isGreaterThan(8);
        }
        for (int i = 0; i < 3; i++) {
            assertThat(byId.get("v32-" + (i + 3)).getText()).as("the same prompt twice").isEqualTo(byId.get("v32-" + i).getText());
        }
        List<ConsumerRecord<String, TokenCost>> costs = TopicReader.readCommitted(stack.bootstrapServers(), "v32-token-costs", prompts.size(),
                new StringDeserializer(), new ConfluentAvroDeserializer<>(TokenCost.class, stack.registryClient()));
        assertThat(costs).extracting(ConsumerRecord::key).containsExactlyInAnyOrderElementsOf(byId.keySet());
        assertThat(costs).allSatisfy(r -> assertThat(r.value().getTotals().getFlops()).isPositive());
    }

    /** Job options naming a copy of every contract topic, created with {@code prefix} before its name. */
    private static Map<String, String> prefixedTopics(String prefix) throws Exception {
        Map<String, String> topics = new HashMap<>();
        List<NewTopic> created = new ArrayList<>();
        for (Topic topic : Topic.values()) {
            String name = prefix + topic.topicName();
            topics.put("streamseek.topics." + topic.topicName(), name);
            created.add(new NewTopic(name, 1, (short) 1));
        }
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers()))) {
            admin.createTopics(created).all().get();
        }
        return topics;
    }

    @Test
    void theWatchdogEndsARequestThatMakesNoProgressInTimeAsTimedOutWithADeadLetter() throws Exception {
        Map<String, String> topics = prefixedTopics("wd-");
        PromptRequest slow = JobFixtures.text("slow-0", "acme", "a long answer please", 400, 0f, Instant.now());
        ConfluentAvroCodec<PromptRequest> codec = new ConfluentAvroCodec<>(PromptRequest.class, stack.registryClient(), DecodeLimits.DEFAULT);
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                stack.bootstrapServers()), new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>("wd-prompts", "slow-0", codec.encode("wd-prompts-value", slow, true))).get();
        }
        Map<String, String> overrides = new HashMap<>(topics);
        // Far less than 400 tokens take: to the watchdog, this request makes no progress in time.
        overrides.put(InferenceJobOptions.INFERENCE_TIMEOUT.key(), "10 ms");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1);
        env.enableCheckpointing(500);
        InferenceJob.build(env, jobConfig(overrides));
        env.execute("watchdog-itcase");

        List<ConsumerRecord<String, Completion>> completions = TopicReader.readCommitted(stack.bootstrapServers(), "wd-completions", 1,
                new StringDeserializer(), new ConfluentAvroDeserializer<>(Completion.class, stack.registryClient()));
        assertThat(completions).singleElement().satisfies(r -> {
            assertThat(r.value().getFinishReason()).isEqualTo(FinishReason.TIMED_OUT);
            assertThat(r.value().getError().getCode()).isEqualTo(ErrorCode.ENGINE_STALLED);
        });
        List<ConsumerRecord<String, DeadLetter>> dead = TopicReader.readCommitted(stack.bootstrapServers(), "wd-dead-letters", 1,
                new StringDeserializer(), new ConfluentAvroDeserializer<>(DeadLetter.class, stack.registryClient()));
        assertThat(dead).singleElement().satisfies(r -> {
            assertThat(r.value().getErrorCode()).isEqualTo(ErrorCode.ENGINE_STALLED);
            assertThat(r.value().getStage()).isEqualTo(PipelineStage.INFERENCE);
        });
    }

    @Test
    void aTransactionTimeoutTheBrokerDoesNotAllowStopsTheJobBeforeItStarts() {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.enableCheckpointing(500);
        assertThatThrownBy(() -> InferenceJob.build(env, jobConfig(Map.of(InferenceJobOptions.TRANSACTION_TIMEOUT.key(), "20 min"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("transaction.max.timeout.ms=900000")
                .hasMessageContaining("streamseek.sink.transaction-timeout");
        assertThatThrownBy(() -> InferenceJob.build(env, jobConfig(Map.of(InferenceJobOptions.TRANSACTION_TIMEOUT.key(), "5 s"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("must exceed the checkpoint interval");
    }

    private static Configuration jobConfig(Map<String, String> overrides) {
        Map<String, String> options = new HashMap<>(Map.of(
                InferenceJobOptions.BOOTSTRAP_SERVERS.key(), stack.bootstrapServers(),
                InferenceJobOptions.REGISTRY_URL.key(), stack.registryUrl(),
                InferenceJobOptions.MODEL_PATH.key(), modelDir.toString(),
                InferenceJobOptions.BOUNDED.key(), "true",
                InferenceJobOptions.TRANSACTION_TIMEOUT.key(), "60 s",
                InferenceJobOptions.MAX_RESTART.key(), "10 s",
                InferenceJobOptions.PRICE_PER_DEVICE_HOUR.key(), "3.60",
                InferenceJobOptions.CURRENCY.key(), "EUR",
                InferenceJobOptions.THREADS.key(), "2",
                InferenceJobOptions.INFERENCE_TIMEOUT.key(), "60 s"));
        options.put(InferenceJobOptions.GROUP_ID.key(), "itcase-" + System.nanoTime());
        options.putAll(overrides);
        return Configuration.fromMap(options);
    }

    private static <V extends org.apache.avro.specific.SpecificRecordBase> List<ConsumerRecord<String, V>> read(Topic topic, int expected, Class<V> type) {
        return JobFixtures.read(stack, topic, expected, type);
    }

    private static Set<String> concat(Set<String> a, Set<String> b) {
        return java.util.stream.Stream.concat(a.stream(), b.stream()).collect(Collectors.toSet());
    }
}
