package io.streamseek.flink.job;

import io.streamseek.flink.cost.CostRollups;
import io.streamseek.flink.dedup.FirstRequestFilter;
import io.streamseek.flink.inference.InferenceFunction;
import io.streamseek.flink.inference.ModelSettings;
import io.streamseek.gpu.backend.Backend;
import io.streamseek.flink.inference.Outcome;
import io.streamseek.flink.serde.ConfluentAvroSerializationSchema;
import io.streamseek.flink.serde.RegistryClientFactory;
import io.streamseek.flink.serde.RestRegistryClientFactory;
import io.streamseek.flink.source.PromptDeserializationSchema;
import io.streamseek.flink.source.PromptEnvelope;
import io.streamseek.schemas.Completion;
import io.streamseek.schemas.CostRollup;
import io.streamseek.schemas.DeadLetter;
import io.streamseek.schemas.TokenCost;
import io.streamseek.schemas.registry.RegistryClientConfig;
import io.streamseek.schemas.wire.DecodeLimits;

import org.apache.avro.specific.SpecificRecordBase;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;
import org.apache.flink.util.function.SerializableFunction;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.apache.kafka.clients.producer.ProducerConfig;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * The product's main job: prompts from Kafka, batched MoE/MLA inference, completions and per-token
 * costs back to Kafka, exactly once.
 *
 * <pre>
 * prompts ─ KafkaSource (Confluent Avro) ─┬─ undecodable ─────────────────────────────────┐
 *                                          └─ keyBy(request_id) ─ first within TTL ─ inference (async, shared engine)
 *                                                                                         ├─ completions
 *                                                                                         ├─ token-costs ─ rollups per tenant, model, window ─ cost-rollups
 *                                                                                         └─ rejected / failed ─┴─ dead-letters
 * </pre>
 *
 * Every sink is a {@link KafkaSink} at {@link DeliveryGuarantee#EXACTLY_ONCE}, committing at
 * checkpoints, except the completions' with {@code streamseek.delivery} at-least-once ({@link Delivery}); a {@link TransactionTimeoutWatch} in front of them reports a restore that falls in
 * Flink's loss window (older than the transaction timeout). Run on a cluster with {@code flink run -c io.streamseek.flink.job.InferenceJob
 * flink-jobs.jar --streamseek.model.path /models/... [--option value ...]} (see
 * {@link InferenceJobOptions}).
 */
public final class InferenceJob {

    private InferenceJob() {
    }

    public static void main(String[] args) throws Exception {
        Configuration config = Configuration.fromMap(arguments(args));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(config);
        build(env, config);
        env.execute("streamseek-inference");
    }

    /** {@code --key value} pairs. */
    static Map<String, String> arguments(String[] args) {
        Map<String, String> map = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("arguments are --key value pairs; '" + args[i] + "' has no value");
            }
            map.put(args[i].substring(2), args[++i]);
        }
        return map;
    }

    /**
     * Adds the job's topology to {@code env} (checkpointing on, at the configured interval, unless
     * the environment already has it), after checking the sinks' transaction timeout.
     */
    public static void build(StreamExecutionEnvironment env, Configuration config) throws Exception {
        build(env, config, outcomes -> outcomes);
    }

    /** {@link #build}, with {@code afterInference} applied to the outcomes before the sinks (tests inject failures there). */
    static void build(StreamExecutionEnvironment env, Configuration config, UnaryOperator<DataStream<Outcome>> afterInference) throws Exception {
        Map<String, String> all = config.toMap();
        Map<String, String> kafka = InferenceJobOptions.withPrefix(all, InferenceJobOptions.KAFKA_PROPERTIES_PREFIX);
        String bootstrap = config.get(InferenceJobOptions.BOOTSTRAP_SERVERS);
        String modelPath = config.getOptional(InferenceJobOptions.MODEL_PATH).orElseThrow(() -> new IllegalArgumentException(
                InferenceJobOptions.MODEL_PATH.key() + " is required: the checkpoint directory or GGUF file of the model to serve"));
        String modelName = config.getOptional(InferenceJobOptions.MODEL_NAME).orElse(defaultModelName(Path.of(modelPath)));
        Delivery delivery = Delivery.of(config.get(InferenceJobOptions.DELIVERY));

        if (!env.getCheckpointConfig().isCheckpointingEnabled()) {
            env.enableCheckpointing(config.get(InferenceJobOptions.CHECKPOINT_INTERVAL).toMillis());
        }
        env.getCheckpointConfig().enableUnalignedCheckpoints(config.get(InferenceJobOptions.UNALIGNED_CHECKPOINTS));
        java.time.Duration interval = java.time.Duration.ofMillis(env.getCheckpointConfig().getCheckpointInterval());
        java.time.Duration txTimeout = config.get(InferenceJobOptions.TRANSACTION_TIMEOUT);
        TransactionTimeoutCheck.checkAgainstCheckpoints(txTimeout, interval, config.get(InferenceJobOptions.MAX_RESTART));
        TransactionTimeoutCheck.checkAgainstBrokers(txTimeout, bootstrap, kafka);

        Map<String, String> registryConfig = new HashMap<>(InferenceJobOptions.withPrefix(all, InferenceJobOptions.REGISTRY_PROPERTIES_PREFIX));
        registryConfig.put(RegistryClientConfig.URL, config.get(InferenceJobOptions.REGISTRY_URL));
        RegistryClientFactory registry = new RestRegistryClientFactory(registryConfig);

        var source = KafkaSource.<PromptEnvelope>builder()
                .setBootstrapServers(bootstrap)
                .setTopics(config.get(InferenceJobOptions.PROMPTS_TOPIC))
                .setGroupId(config.get(InferenceJobOptions.GROUP_ID))
                .setStartingOffsets(OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST))
                .setDeserializer(new PromptDeserializationSchema(registry, DecodeLimits.DEFAULT))
                .setProperties(properties(kafka));
        if (config.get(InferenceJobOptions.BOUNDED)) {
            source.setBounded(OffsetsInitializer.latest());
        }
        DataStream<PromptEnvelope> prompts = env.fromSource(source.build(), WatermarkStrategy.noWatermarks(), "prompts")
                .uid("prompts-source");

        DataStream<DeadLetter> undecodable = prompts.filter(e -> !e.decoded()).name("undecodable").uid("undecodable")
                .map(e -> e.deadLetter).returns(new AvroTypeInfo<>(DeadLetter.class)).name("undecodable-dead-letters").uid("undecodable-dead-letters");

        DataStream<PromptEnvelope> firsts = prompts.filter(PromptEnvelope::decoded).name("decoded").uid("decoded")
                .keyBy(e -> e.request.getRequestId())
                .process(new FirstRequestFilter(config.get(InferenceJobOptions.IDEMPOTENCY_TTL)))
                .returns(PromptEnvelope.typeInfo()).name("first-request-within-ttl").uid("first-request-within-ttl");

        ModelSettings settings = new ModelSettings(modelPath, modelName, config.get(InferenceJobOptions.MAX_NUM_SEQS),
                config.get(InferenceJobOptions.MAX_WAITING), config.get(InferenceJobOptions.CACHE_BYTES), config.get(InferenceJobOptions.THREADS),
                Backend.fromName(config.get(InferenceJobOptions.BACKEND)), new BigDecimal(config.get(InferenceJobOptions.PRICE_PER_DEVICE_HOUR)), config.get(InferenceJobOptions.CURRENCY));
        DataStream<Outcome> outcomes = afterInference.apply(AsyncDataStream.unorderedWait(firsts, new InferenceFunction(settings),
                        config.get(InferenceJobOptions.INFERENCE_TIMEOUT).toMillis(), TimeUnit.MILLISECONDS,
                        config.get(InferenceJobOptions.INFERENCE_CAPACITY))
                .returns(Outcome.typeInfo()).name("inference").uid("inference"))
                .transform("transaction-timeout-watch", Outcome.typeInfo(), new TransactionTimeoutWatch<>(txTimeout))
                .uid("transaction-timeout-watch");

        String prefix = config.get(InferenceJobOptions.TRANSACTIONAL_ID_PREFIX);
        outcomes.map(o -> o.completion).returns(new AvroTypeInfo<>(Completion.class)).name("completions").uid("completions")
                .sinkTo(sink(Completion.class, config.get(InferenceJobOptions.COMPLETIONS_TOPIC), Completion::getRequestId, registry,
                        bootstrap, kafka, prefix + "-completions", txTimeout, delivery.completionsSink())).name("completions-sink").uid("completions-sink");
        DataStream<Outcome> served = outcomes.filter(o -> o.tokenCost != null).name("served").uid("served");
        served.map(o -> o.tokenCost).returns(new AvroTypeInfo<>(TokenCost.class)).name("token-costs").uid("token-costs")
                .sinkTo(sink(TokenCost.class, config.get(InferenceJobOptions.TOKEN_COSTS_TOPIC), TokenCost::getRequestId, registry,
                        bootstrap, kafka, prefix + "-token-costs", txTimeout, DeliveryGuarantee.EXACTLY_ONCE)).name("token-costs-sink").uid("token-costs-sink");
        outcomes.filter(o -> o.deadLetter != null).name("not-served").uid("not-served")
                .map(o -> o.deadLetter).returns(new AvroTypeInfo<>(DeadLetter.class)).name("dead-letters").uid("dead-letters")
                .union(undecodable)
                .sinkTo(sink(DeadLetter.class, config.get(InferenceJobOptions.DEAD_LETTERS_TOPIC), DeadLetter::getRequestId, registry,
                        bootstrap, kafka, prefix + "-dead-letters", txTimeout, DeliveryGuarantee.EXACTLY_ONCE)).name("dead-letters-sink").uid("dead-letters-sink");

        served.assignTimestampsAndWatermarks(WatermarkStrategy.<Outcome>forBoundedOutOfOrderness(
                                config.get(InferenceJobOptions.ROLLUP_OUT_OF_ORDERNESS))
                        .withTimestampAssigner((o, previous) -> o.tokenCost.getProducedAt().toEpochMilli())
                        .withIdleness(config.get(InferenceJobOptions.ROLLUP_WINDOW)))
                .name("cost-event-time").uid("cost-event-time")
                .keyBy(CostRollups::key)
                .window(TumblingEventTimeWindows.of(config.get(InferenceJobOptions.ROLLUP_WINDOW)))
                .aggregate(new CostRollups.Sum(), new CostRollups.ToRollup(), Types.POJO(CostRollups.Sums.class),
                        Types.POJO(CostRollups.Sums.class), new AvroTypeInfo<>(CostRollup.class))
                .name("cost-rollups").uid("cost-rollups")
                .sinkTo(sink(CostRollup.class, config.get(InferenceJobOptions.COST_ROLLUPS_TOPIC), CostRollup::getTenantId, registry,
                        bootstrap, kafka, prefix + "-cost-rollups", txTimeout, DeliveryGuarantee.EXACTLY_ONCE)).name("cost-rollups-sink").uid("cost-rollups-sink");
    }

    private static <T extends SpecificRecordBase> KafkaSink<T> sink(Class<T> type, String topic, SerializableFunction<T, String> key,
                                                                    RegistryClientFactory registry, String bootstrap, Map<String, String> kafka,
                                                                    String transactionalIdPrefix, java.time.Duration transactionTimeout,
                                                                    DeliveryGuarantee guarantee) {
        return KafkaSink.<T>builder()
                .setBootstrapServers(bootstrap)
                .setKafkaProducerConfig(properties(kafka))
                .setRecordSerializer(new ConfluentAvroSerializationSchema<>(type, topic, key, registry, true))
                .setDeliveryGuarantee(guarantee)
                .setTransactionalIdPrefix(transactionalIdPrefix)
                .setProperty(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, String.valueOf(transactionTimeout.toMillis()))
                .build();
    }

    private static java.util.Properties properties(Map<String, String> map) {
        java.util.Properties properties = new java.util.Properties();
        properties.putAll(map);
        return properties;
    }

    /** The name requests use for the model at {@code path} when none is configured: a directory's name, a GGUF file's without {@code .gguf}. */
    public static String defaultModelName(Path path) {
        return path.getFileName().toString().replaceFirst("\\.gguf$", "");
    }
}
