package io.streamseek.flink.sql;

import java.io.Serializable;
import java.util.List;

/**
 * A streamseek model's sampling options ({@code max-tokens}, {@code temperature}, {@code top-p},
 * {@code top-k}, {@code stop}): what a row gets unless its own columns say otherwise.
 */
record SamplingDefaults(int maxTokens, double temperature, double topP, int topK, List<String> stop) implements Serializable {

    SamplingDefaults {
        stop = List.copyOf(stop);
    }
}
