package io.streamseek.flink.sql;

import io.streamseek.flink.inference.ModelSettings;
import io.streamseek.flink.job.InferenceJob;
import io.streamseek.gpu.backend.Backend;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.table.api.ValidationException;
import org.apache.flink.table.catalog.ResolvedCatalogModel;
import org.apache.flink.table.factories.FactoryUtil;
import org.apache.flink.table.factories.ModelProviderFactory;
import org.apache.flink.table.ml.ModelProvider;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.Set;

/**
 * The {@code streamseek} model provider of Flink SQL's {@code CREATE MODEL} / {@code ML_PREDICT}
 * (and the Table API's {@code Model.predict}): a DeepSeek-architecture model run inside the
 * TaskManager by the engine the DataStream job uses.
 *
 * <pre>
 * CREATE MODEL summarizer
 *   INPUT (prompt STRING, tenant STRING)
 *   OUTPUT (completion STRING, finish_reason STRING, completion_tokens INT, cost DECIMAL(24, 12))
 *   WITH ('provider' = 'streamseek', 'model.path' = '/models/bench', 'max-tokens' = '64');
 * </pre>
 *
 * Options: {@link StreamSeekModelOptions}; columns: {@link ModelColumns}.
 */
public final class StreamSeekModelProviderFactory implements ModelProviderFactory {

    public static final String IDENTIFIER = "streamseek";

    @Override
    public String factoryIdentifier() {
        return IDENTIFIER;
    }

    @Override
    public Set<ConfigOption<?>> requiredOptions() {
        return Set.of(StreamSeekModelOptions.MODEL_PATH);
    }

    @Override
    public Set<ConfigOption<?>> optionalOptions() {
        return StreamSeekModelOptions.optional();
    }

    @Override
    public ModelProvider createModelProvider(Context context) {
        FactoryUtil.ModelProviderFactoryHelper helper = FactoryUtil.createModelProviderFactoryHelper(this, context);
        helper.validate();
        ReadableConfig options = helper.getOptions();
        String name = context.getObjectIdentifier().asSummaryString();
        ResolvedCatalogModel model = context.getCatalogModel();
        ModelColumns columns = ModelColumns.of(name, model.getResolvedInputSchema(), model.getResolvedOutputSchema());
        String path = options.get(StreamSeekModelOptions.MODEL_PATH);
        BigDecimal price;
        try {
            price = new BigDecimal(options.get(StreamSeekModelOptions.PRICE_PER_DEVICE_HOUR));
        } catch (NumberFormatException e) {
            throw new ValidationException("model " + name + ": 'price-per-device-hour' must be a decimal, was '"
                    + options.get(StreamSeekModelOptions.PRICE_PER_DEVICE_HOUR) + "'");
        }
        Backend backend;
        try {
            backend = Backend.fromName(options.get(StreamSeekModelOptions.BACKEND));
        } catch (IllegalArgumentException e) {
            throw new ValidationException("model " + name + ": 'engine.backend': " + e.getMessage());
        }
        ModelSettings settings = new ModelSettings(path,
                options.getOptional(StreamSeekModelOptions.MODEL_NAME).orElse(InferenceJob.defaultModelName(Path.of(path))),
                options.get(StreamSeekModelOptions.MAX_NUM_SEQS), options.get(StreamSeekModelOptions.MAX_WAITING),
                options.get(StreamSeekModelOptions.CACHE_BYTES), options.get(StreamSeekModelOptions.THREADS), backend, price,
                options.get(StreamSeekModelOptions.CURRENCY));
        SamplingDefaults defaults = new SamplingDefaults(options.get(StreamSeekModelOptions.MAX_TOKENS),
                options.get(StreamSeekModelOptions.TEMPERATURE), options.get(StreamSeekModelOptions.TOP_P),
                options.get(StreamSeekModelOptions.TOP_K), options.get(StreamSeekModelOptions.STOP));
        return new StreamSeekModelProvider(settings, defaults, columns);
    }
}
