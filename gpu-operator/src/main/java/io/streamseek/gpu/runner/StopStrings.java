package io.streamseek.gpu.runner;

import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * Stops when the decoded text contains one of the stop strings, and cuts the final text before the
 * first one: the stop string is not part of the completion. Decoding is the tokenizer's, so a
 * multi-byte character split across tokens never produces a false match.
 */
public final class StopStrings implements StopCondition {

    private final List<String> stops;
    private final Function<int[], String> decode;

    public StopStrings(List<String> stops, Function<int[], String> decode) {
        for (String stop : stops) {
            if (stop.isEmpty()) {
                throw new IllegalArgumentException("stop strings must not be empty");
            }
        }
        this.stops = List.copyOf(stops);
        this.decode = decode;
    }

    @Override
    public boolean shouldStop(int[] tokens, int count) {
        return !stops.isEmpty() && firstStop(decode.apply(Arrays.copyOf(tokens, count))) >= 0;
    }

    /** {@code text} up to the first stop string, or all of it. */
    public String cut(String text) {
        int at = firstStop(text);
        return at < 0 ? text : text.substring(0, at);
    }

    private int firstStop(String text) {
        int first = -1;
        for (String stop : stops) {
            int at = text.indexOf(stop);
            if (at >= 0 && (first < 0 || at < first)) {
                first = at;
            }
        }
        return first;
    }
}
