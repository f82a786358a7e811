package io.streamseek.gpu.tokenizer;

import io.streamseek.gpu.loader.gguf.GgufMetadata;
import io.streamseek.gpu.loader.gguf.GgufWriter;

import java.util.List;

/**
 * The {@code tokenizer.*} keys of a GGUF file and the {@link GgufVocab} they hold, both ways:
 * {@link GgufVocab} is the tokenizer in GGUF's terms, this is where it meets the file format.
 */
public final class GgufTokenizerMetadata {

    private GgufTokenizerMetadata() {
    }

    /** Whether the file carries a tokenizer at all (some GGUF files are weights only). */
    public static boolean has(GgufMetadata m) {
        return m.has(GgufVocab.KEY_MODEL) && m.has(GgufVocab.KEY_TOKENS);
    }

    public static GgufVocab read(GgufMetadata m) {
        List<String> tokens = m.strings(GgufVocab.KEY_TOKENS);
        int[] types = m.has(GgufVocab.KEY_TOKEN_TYPE) ? m.ints(GgufVocab.KEY_TOKEN_TYPE) : filled(tokens.size(), 1);
        List<String> merges = m.has(GgufVocab.KEY_MERGES) ? m.strings(GgufVocab.KEY_MERGES) : List.of();
        return new GgufVocab(m.string(GgufVocab.KEY_MODEL), m.string(GgufVocab.KEY_PRE, "default"), tokens, types, merges,
                (int) m.integer(GgufVocab.KEY_BOS_ID, -1), (int) m.integer(GgufVocab.KEY_EOS_ID, -1),
                (int) m.integer(GgufVocab.KEY_PAD_ID, -1), m.bool(GgufVocab.KEY_ADD_BOS, false), m.bool(GgufVocab.KEY_ADD_EOS, false),
                m.has(GgufVocab.KEY_CHAT_TEMPLATE) ? m.string(GgufVocab.KEY_CHAT_TEMPLATE) : null);
    }

    public static void write(GgufVocab v, GgufWriter w) {
        w.putString(GgufVocab.KEY_MODEL, v.model());
        w.putString(GgufVocab.KEY_PRE, v.pre());
        w.putStringArray(GgufVocab.KEY_TOKENS, v.tokens());
        w.putInt32Array(GgufVocab.KEY_TOKEN_TYPE, v.tokenTypes());
        w.putStringArray(GgufVocab.KEY_MERGES, v.merges());
        if (v.bosId() >= 0) {
            w.putUint32(GgufVocab.KEY_BOS_ID, v.bosId());
        }
        if (v.eosId() >= 0) {
            w.putUint32(GgufVocab.KEY_EOS_ID, v.eosId());
        }
        if (v.padId() >= 0) {
            w.putUint32(GgufVocab.KEY_PAD_ID, v.padId());
        }
        w.putBool(GgufVocab.KEY_ADD_BOS, v.addBos());
        w.putBool(GgufVocab.KEY_ADD_EOS, v.addEos());
        if (v.chatTemplate() != null) {
            w.putString(GgufVocab.KEY_CHAT_TEMPLATE, v.chatTemplate());
        }
    }

    private static int[] filled(int n, int value) {
        int[] a = new int[n];
        java.util.Arrays.fill(a, value);
        return a;
    }
}
