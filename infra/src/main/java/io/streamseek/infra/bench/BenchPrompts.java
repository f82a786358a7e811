package io.streamseek.infra.bench;

import io.streamseek.gpu.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * Prompts for the benchmark: text, since the pipeline takes text, each of about {@code length}
 * tokens as the model's own tokenizer counts them (the job tokenizes with it too), and all
 * different, so that no two are one request and the prefix cache cannot serve one from another.
 */
final class BenchPrompts {

    private static final String[] VOCABULARY = {"stream", "event", "latent", "expert", "kafka", "flink", "token", "cost", "batch", "window",
            "offset", "record"};

    private BenchPrompts() {
    }

    /** {@code count} prompts, each the shortest text of this family with at least {@code length} tokens (BOS included). */
    static List<String> of(int count, int length, Tokenizer tokenizer) {
        List<String> prompts = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            StringBuilder s = new StringBuilder("request ").append(i);
            for (int w = 0; tokenizer.encode(s.toString(), true).length < length; w++) {
                s.append(' ').append(VOCABULARY[(i * 31 + w * 7) % VOCABULARY.length]);
            }
            prompts.add(s.toString());
        }
        return prompts;
    }
}
