package io.streamseek.flink.sql;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;

import java.util.List;
import java.util.Set;

/**
 * The options of a {@code CREATE MODEL ... WITH ('provider' = 'streamseek', ...)}, as Flink
 * {@link ConfigOption}s. Engine options are those of the DataStream job without its
 * {@code streamseek.} prefix; several models on the same {@code model.path} in one TaskManager share
 * the first one's engine (and its engine options). flink-jobs/README.md lists them all
 * ({@code StreamSeekModelOptionsDocTest} keeps the table complete).
 */
public final class StreamSeekModelOptions {

    public static final ConfigOption<String> MODEL_PATH = ConfigOptions.key("model.path")
            .stringType().noDefaultValue()
            .withDescription("The model, present on every TaskManager: a Hugging Face checkpoint directory or a GGUF file "
                    + "(or a directory holding one), whichever the engine loads.");

    public static final ConfigOption<String> MODEL_NAME = ConfigOptions.key("model.name")
            .stringType().noDefaultValue()
            .withDescription("Name the cost records and logs use for the model; defaults to the checkpoint directory's name "
                    + "(a GGUF file's name without .gguf).");

    public static final ConfigOption<Integer> MAX_NUM_SEQS = ConfigOptions.key("engine.max-num-seqs")
            .intType().defaultValue(64).withDescription("Sequences the engine decodes together in one step.");

    public static final ConfigOption<Integer> MAX_WAITING = ConfigOptions.key("engine.max-waiting")
            .intType().defaultValue(256)
            .withDescription("Requests one TaskManager's engine holds at once, running or waiting; beyond it ML_PREDICT backpressures.");

    public static final ConfigOption<Long> CACHE_BYTES = ConfigOptions.key("engine.cache-bytes")
            .longType().defaultValue(1L << 30).withDescription("Byte budget of the paged MLA latent cache of each TaskManager's engine.");

    public static final ConfigOption<Integer> THREADS = ConfigOptions.key("engine.threads")
            .intType().defaultValue(0).withDescription("CPU worker threads of the engine; 0 uses one per core.");

    public static final ConfigOption<String> BACKEND = ConfigOptions.key("engine.backend")
            .stringType().defaultValue("auto")
            .withDescription("Device of the forward pass: auto (CUDA when a usable NVIDIA GPU is present, else CPU), cpu, or cuda.");

    public static final ConfigOption<Integer> MAX_TOKENS = ConfigOptions.key("max-tokens")
            .intType().defaultValue(256).withDescription("Most tokens to generate per row, unless the row's max_tokens column says otherwise.");

    public static final ConfigOption<Double> TEMPERATURE = ConfigOptions.key("temperature")
            .doubleType().defaultValue(1.0)
            .withDescription("Softmax temperature, unless the row's temperature column says otherwise; 0 is greedy.");

    public static final ConfigOption<Double> TOP_P = ConfigOptions.key("top-p")
            .doubleType().defaultValue(1.0).withDescription("Nucleus sampling threshold in (0, 1]; 1 disables it. A top_p column overrides it.");

    public static final ConfigOption<Integer> TOP_K = ConfigOptions.key("top-k")
            .intType().defaultValue(0).withDescription("Keep only the top-k most likely tokens; 0 disables it. A top_k column overrides it.");

    public static final ConfigOption<List<String>> STOP = ConfigOptions.key("stop")
            .stringType().asList().defaultValues()
            .withDescription("Strings that end generation (';'-separated), not part of the completion; a stop column overrides them.");

    public static final ConfigOption<String> PRICE_PER_DEVICE_HOUR = ConfigOptions.key("price-per-device-hour")
            .stringType().defaultValue("1.00")
            .withDescription("Price of one device-hour, a decimal; a row's cost is its share of device time times this.");

    public static final ConfigOption<String> CURRENCY = ConfigOptions.key("currency")
            .stringType().defaultValue("USD").withDescription("ISO 4217 currency of the price.");

    private StreamSeekModelOptions() {
    }

    /** Every option but {@link #MODEL_PATH}, the one that is required. */
    public static Set<ConfigOption<?>> optional() {
        return Set.of(MODEL_NAME, MAX_NUM_SEQS, MAX_WAITING, CACHE_BYTES, THREADS, BACKEND, MAX_TOKENS, TEMPERATURE, TOP_P, TOP_K, STOP,
                PRICE_PER_DEVICE_HOUR, CURRENCY);
    }
}
