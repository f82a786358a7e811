package io.streamseek.flink.sql;

import io.streamseek.flink.inference.ModelSettings;

import org.apache.flink.table.functions.AsyncPredictFunction;
import org.apache.flink.table.ml.AsyncPredictRuntimeProvider;
import org.apache.flink.table.ml.ModelProvider;

/**
 * A planned streamseek model: asynchronous only, since a row's generation takes the engine many
 * steps, and in flight together the rows are what the engine batches.
 */
final class StreamSeekModelProvider implements AsyncPredictRuntimeProvider {

    private final ModelSettings settings;
    private final SamplingDefaults defaults;
    private final ModelColumns columns;

    StreamSeekModelProvider(ModelSettings settings, SamplingDefaults defaults, ModelColumns columns) {
        this.settings = settings;
        this.defaults = defaults;
        this.columns = columns;
    }

    @Override
    public AsyncPredictFunction createAsyncPredictFunction(ModelProvider.Context context) {
        return new StreamSeekPredictFunction(settings, defaults, columns);
    }

    @Override
    public ModelProvider copy() {
        return new StreamSeekModelProvider(settings, defaults, columns);
    }
}
