package io.streamseek.gpu.tokenizer;

import io.streamseek.gpu.loader.gguf.GgufMetadata;
import io.streamseek.gpu.loader.gguf.GgufWriter;

import java.util.List;

/**
 * The {@code tokenizer.*} keys of a GGUF file and the {@link GgufVocab} they hold, both ways:
 * {@link GgufVocab} is the tokenizer in GGUF's terms, this is where it meets the file format.
 */
public final class GgufTokenizerMetadata {

    private static final String T = "tokenizer.ggml.";

    private GgufTokenizerMetadata() {
    }

    /** Whether the file carries a tokenizer at all (some GGUF files are weights only). */
    public static boolean has(GgufMetadata m) {
        return m.has(T + "model") && m.has(T + "tokens");
    }

    public static GgufVocab read(GgufMetadata m) {
        List<String> tokens = m.strings(T + "tokens");
        int[] types = m.has(T + "token_type") ? m.ints(T + "token_type") : filled(tokens.size(), 1);
        List<String> merges = m.has(T + "merges") ? m.strings(T + "merges") : List.of();
        return new GgufVocab(m.string(T + "model"), m.string(T + "pre", "default"), tokens, types, merges,
                (int) m.integer(T + "bos_token_id", -1), (int) m.integer(T + "eos_token_id", -1),
                (int) m.integer(T + "padding_token_id", -1), m.bool(T + "add_bos_token", false), m.bool(T + "add_eos_token", false),
                m.has("tokenizer.chat_template") ? m.string("tokenizer.chat_template") : null);
    }

    public static void write(GgufVocab v, GgufWriter w) {
        w.putString(T + "model", v.model());
        w.putString(T + "pre", v.pre());
        w.putStringArray(T + "tokens", v.tokens());
        w.putInt32Array(T + "token_type", v.tokenTypes());
        w.putStringArray(T + "merges", v.merges());
        if (v.bosId() >= 0) {
            w.putUint32(T + "bos_token_id", v.bosId());
        }
        if (v.eosId() >= 0) {
            w.putUint32(T + "eos_token_id", v.eosId());
        }
        if (v.padId() >= 0) {
            w.putUint32(T + "padding_token_id", v.padId());
        }
        w.putBool(T + "add_bos_token", v.addBos());
        w.putBool(T + "add_eos_token", v.addEos());
        if (v.chatTemplate() != null) {
            w.putString("tokenizer.chat_template", v.chatTemplate());
        }
    }

    private static int[] filled(int n, int value) {
        int[] a = new int[n];
        java.util.Arrays.fill(a, value);
        return a;
    }
}
