package io.streamseek.flink.job;

import io.streamseek.schemas.topics.Topic;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;

import java.time.Duration;
import java.util.Map;

/**
 * Every option of the inference job, as Flink {@link ConfigOption}s: set them in the Flink
 * configuration or pass them as {@code --key value} arguments. Kafka client settings (SASL, SSL,
 * ...) go under {@value #KAFKA_PROPERTIES_PREFIX} and reach the source, the sinks and the admin
 * client unchanged; they are never logged.
 */
public final class InferenceJobOptions {

    /** Prefix of Kafka client properties passed through as they are, e.g. {@code streamseek.kafka.properties.security.protocol}. */
    public static final String KAFKA_PROPERTIES_PREFIX = "streamseek.kafka.properties.";
    /** Prefix of schema registry client properties, e.g. {@code streamseek.schema-registry.properties.basic.auth.user.info}. */
    public static final String REGISTRY_PROPERTIES_PREFIX = "streamseek.schema-registry.properties.";

    public static final ConfigOption<String> BOOTSTRAP_SERVERS = ConfigOptions.key("streamseek.kafka.bootstrap-servers")
            .stringType().defaultValue("127.0.0.1:9092")
            .withDescription("Kafka bootstrap servers of the prompts and result topics.");

    public static final ConfigOption<String> REGISTRY_URL = ConfigOptions.key("streamseek.schema-registry.url")
            .stringType().defaultValue("http://127.0.0.1:8081")
            .withDescription("URL of the Confluent-compatible schema registry.");

    public static final ConfigOption<String> GROUP_ID = ConfigOptions.key("streamseek.kafka.group-id")
            .stringType().defaultValue("streamseek-inference")
            .withDescription("Consumer group of the prompts source; offsets are committed to it on checkpoints.");

    public static final ConfigOption<String> PROMPTS_TOPIC = ConfigOptions.key("streamseek.topics.prompts")
            .stringType().defaultValue(Topic.PROMPTS.topicName()).withDescription("Topic of PromptRequest records.");
    public static final ConfigOption<String> COMPLETIONS_TOPIC = ConfigOptions.key("streamseek.topics.completions")
            .stringType().defaultValue(Topic.COMPLETIONS.topicName()).withDescription("Topic of Completion records, one per request_id.");
    public static final ConfigOption<String> TOKEN_COSTS_TOPIC = ConfigOptions.key("streamseek.topics.token-costs")
            .stringType().defaultValue(Topic.TOKEN_COSTS.topicName()).withDescription("Topic of TokenCost records, one per served request.");
    public static final ConfigOption<String> COST_ROLLUPS_TOPIC = ConfigOptions.key("streamseek.topics.cost-rollups")
            .stringType().defaultValue(Topic.COST_ROLLUPS.topicName()).withDescription("Topic of CostRollup records per tenant, model and window.");
    public static final ConfigOption<String> DEAD_LETTERS_TOPIC = ConfigOptions.key("streamseek.topics.dead-letters")
            .stringType().defaultValue(Topic.DEAD_LETTERS.topicName()).withDescription("Topic of DeadLetter records.");

    public static final ConfigOption<Boolean> BOUNDED = ConfigOptions.key("streamseek.source.bounded")
            .booleanType().defaultValue(false)
            .withDescription("Stop after the prompts present at start-up (batch runs, tests) instead of running forever.");

    public static final ConfigOption<String> MODEL_PATH = ConfigOptions.key("streamseek.model.path")
            .stringType().noDefaultValue()
            .withDescription("The model, present on every TaskManager: a Hugging Face checkpoint directory (config.json, safetensors, "
                    + "tokenizer.json) or a deepseek2 GGUF file (its tokenizer from its metadata unless a tokenizer.json stands beside it).");

    public static final ConfigOption<String> MODEL_NAME = ConfigOptions.key("streamseek.model.name")
            .stringType().noDefaultValue()
            .withDescription("Name requests use in PromptRequest.model; defaults to the checkpoint directory's name (a GGUF file's name without .gguf).");

    public static final ConfigOption<Integer> MAX_NUM_SEQS = ConfigOptions.key("streamseek.engine.max-num-seqs")
            .intType().defaultValue(64).withDescription("Sequences the engine decodes together in one step.");

    public static final ConfigOption<Integer> MAX_WAITING = ConfigOptions.key("streamseek.engine.max-waiting")
            .intType().defaultValue(256)
            .withDescription("Requests one TaskManager's engine holds at once, running or waiting; beyond it the job backpressures.");

    public static final ConfigOption<Long> CACHE_BYTES = ConfigOptions.key("streamseek.engine.cache-bytes")
            .longType().defaultValue(1L << 30).withDescription("Byte budget of the paged MLA latent cache of each TaskManager's engine.");

    public static final ConfigOption<Integer> THREADS = ConfigOptions.key("streamseek.engine.threads")
            .intType().defaultValue(0).withDescription("CPU worker threads of the engine; 0 uses one per core.");

    public static final ConfigOption<String> BACKEND = ConfigOptions.key("streamseek.engine.backend")
            .stringType().defaultValue("auto")
            .withDescription("Device of the forward pass: auto (CUDA when a usable NVIDIA GPU is present, else CPU; logged once), cpu, or cuda "
                    + "(fails at start-up with the reason when no GPU is usable).");

    public static final ConfigOption<Integer> INFERENCE_CAPACITY = ConfigOptions.key("streamseek.inference.capacity")
            .intType().defaultValue(64)
            .withDescription("Requests one inference subtask keeps in flight; they are part of its checkpoint.");

    public static final ConfigOption<Duration> INFERENCE_TIMEOUT = ConfigOptions.key("streamseek.inference.timeout")
            .durationType().defaultValue(Duration.ofMinutes(10))
            .withDescription("Watchdog: a request without a result after this long is cancelled and ends TIMED_OUT (ENGINE_STALLED).");

    public static final ConfigOption<String> PRICE_PER_DEVICE_HOUR = ConfigOptions.key("streamseek.cost.price-per-device-hour")
            .stringType().defaultValue("1.00")
            .withDescription("Price of one device-hour, a decimal; token costs are device-time shares times this.");

    public static final ConfigOption<String> CURRENCY = ConfigOptions.key("streamseek.cost.currency")
            .stringType().defaultValue("USD").withDescription("ISO 4217 currency of the price.");

    public static final ConfigOption<Duration> ROLLUP_WINDOW = ConfigOptions.key("streamseek.cost.rollup-window")
            .durationType().defaultValue(Duration.ofMinutes(1)).withDescription("Event-time tumbling window of cost rollups.");

    public static final ConfigOption<Duration> ROLLUP_OUT_OF_ORDERNESS = ConfigOptions.key("streamseek.cost.rollup-out-of-orderness")
            .durationType().defaultValue(Duration.ofSeconds(10))
            .withDescription("How late a token cost may arrive for its rollup window; the window closes this long after its end.");

    public static final ConfigOption<Duration> IDEMPOTENCY_TTL = ConfigOptions.key("streamseek.idempotency.ttl")
            .durationType().defaultValue(Duration.ofHours(24))
            .withDescription("A request_id seen again within this time is dropped: not computed, not billed, no second completion.");

    public static final ConfigOption<String> TRANSACTIONAL_ID_PREFIX = ConfigOptions.key("streamseek.sink.transactional-id-prefix")
            .stringType().defaultValue("streamseek-inference")
            .withDescription("Prefix of the sinks' Kafka transactional ids: stable across restarts, unique per job on a cluster.");

    public static final ConfigOption<Duration> TRANSACTION_TIMEOUT = ConfigOptions.key("streamseek.sink.transaction-timeout")
            .durationType().defaultValue(Duration.ofMinutes(10))
            .withDescription("Kafka transaction timeout of the sinks: above the checkpoint interval plus the longest restart, "
                    + "at most the brokers' transaction.max.timeout.ms (checked at start-up).");

    public static final ConfigOption<String> DELIVERY = ConfigOptions.key("streamseek.delivery")
            .stringType().defaultValue("exactly-once")
            .withDescription("How completions are written: exactly-once (in the checkpoint's transaction, visible when it completes) or "
                    + "at-least-once (as they finish, visible at once; a replay after a failure may write a second completion with the "
                    + "same request_id and text, which consumers deduplicate by key). Token costs, rollups and dead letters stay exactly once.");

    public static final ConfigOption<Duration> CHECKPOINT_INTERVAL = ConfigOptions.key("streamseek.checkpoint.interval")
            .durationType().defaultValue(Duration.ofSeconds(1))
            .withDescription("Checkpoint interval; exactly-once results are committed to Kafka at each checkpoint, so this bounds how "
                    + "long after generation they become visible (1 s: commit wait p50 about 0.5 s, p99 about 1 s; see bench-pipeline).");

    public static final ConfigOption<Boolean> UNALIGNED_CHECKPOINTS = ConfigOptions.key("streamseek.checkpoint.unaligned")
            .booleanType().defaultValue(true)
            .withDescription("Unaligned checkpoints: inference is slow and backpressured, and an aligned barrier would wait behind every "
                    + "buffered prompt, so results would be committed only once the backlog is gone.");

    public static final ConfigOption<Duration> MAX_RESTART = ConfigOptions.key("streamseek.checkpoint.max-restart")
            .durationType().defaultValue(Duration.ofMinutes(2))
            .withDescription("The longest restart the transaction timeout must outlast.");

    private InferenceJobOptions() {
    }

    /** The options whose values may be secrets and must not be printed. */
    static boolean secret(String key) {
        return key.startsWith(KAFKA_PROPERTIES_PREFIX) || key.startsWith(REGISTRY_PROPERTIES_PREFIX);
    }

    static Map<String, String> withPrefix(Map<String, String> all, String prefix) {
        Map<String, String> out = new java.util.HashMap<>();
        all.forEach((k, v) -> {
            if (k.startsWith(prefix)) {
                out.put(k.substring(prefix.length()), v);
            }
        });
        return out;
    }
}
