package io.streamseek.gpu.tokenizer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A tokenizer as a GGUF file's metadata carries it (llama.cpp's {@code tokenizer.*} keys), validated
 * so that {@link Tokenizer#fromGguf} can rebuild the checkpoint's own Hugging Face tokenizer from it:
 * only byte-level BPE ({@code gpt2}) and the pre-tokenizers of {@link GgufPreTokenizer} are taken,
 * and an unsupported one is refused by name, never guessed. Tokens are as llama.cpp stores them:
 * NORMAL ones in GPT-2's byte-level alphabet (as in tokenizer.json's vocab), CONTROL and
 * USER_DEFINED ones (tokenizer.json's added tokens) as plain text.
 *
 * <p>A GGUF without {@link #KEY_ADD_BOS} leaves the choice to the loader: llama.cpp adds BOS by
 * default for {@code llama-bpe} only.
 *
 * @param model        {@link #KEY_MODEL}: {@code gpt2}, byte-level BPE
 * @param pre          {@link #KEY_PRE}: a {@link GgufPreTokenizer#ggufName()}
 * @param tokens       {@link #KEY_TOKENS}: the token of each id
 * @param tokenTypes   {@link #KEY_TOKEN_TYPE}: {@link #NORMAL}, {@link #CONTROL}, {@link #USER_DEFINED} or {@link #UNUSED} per id
 * @param merges       {@link #KEY_MERGES}: BPE merges in rank order, "left right"
 * @param bosId        {@link #KEY_BOS_ID}
 * @param eosId        {@link #KEY_EOS_ID}
 * @param padId        {@link #KEY_PAD_ID}, -1 when absent
 * @param addBos       {@link #KEY_ADD_BOS}: whether encoding a prompt starts with BOS
 * @param addEos       {@link #KEY_ADD_EOS}: whether encoding a prompt ends with EOS
 * @param chatTemplate {@link #KEY_CHAT_TEMPLATE}: the Jinja chat template, null when absent
 */
public record GgufVocab(String model, String pre, List<String> tokens, int[] tokenTypes, List<String> merges,
                        int bosId, int eosId, int padId, boolean addBos, boolean addEos, String chatTemplate) {

    public static final String KEY_MODEL = "tokenizer.ggml.model";
    public static final String KEY_PRE = "tokenizer.ggml.pre";
    public static final String KEY_TOKENS = "tokenizer.ggml.tokens";
    public static final String KEY_TOKEN_TYPE = "tokenizer.ggml.token_type";
    public static final String KEY_MERGES = "tokenizer.ggml.merges";
    public static final String KEY_BOS_ID = "tokenizer.ggml.bos_token_id";
    public static final String KEY_EOS_ID = "tokenizer.ggml.eos_token_id";
    public static final String KEY_PAD_ID = "tokenizer.ggml.padding_token_id";
    public static final String KEY_ADD_BOS = "tokenizer.ggml.add_bos_token";
    public static final String KEY_ADD_EOS = "tokenizer.ggml.add_eos_token";
    public static final String KEY_CHAT_TEMPLATE = "tokenizer.chat_template";

    /** The only {@link #KEY_MODEL} supported: GPT-2-style byte-level BPE. */
    public static final String MODEL_GPT2 = "gpt2";

    /** Token types (gguf {@code TokenType}); a gpt2 vocabulary has no UNKNOWN (2) or BYTE (6) tokens. */
    public static final int NORMAL = 1;
    public static final int CONTROL = 3;
    public static final int USER_DEFINED = 4;
    /** An id no tokenizer.json token has (llama.cpp's converter names it {@code [PAD<id>]}). */
    public static final int UNUSED = 5;

    public GgufVocab {
        Objects.requireNonNull(model, KEY_MODEL);
        Objects.requireNonNull(pre, KEY_PRE);
        if (!MODEL_GPT2.equals(model)) {
            throw new IllegalArgumentException(KEY_MODEL + " '" + model + "' is not supported; supported: " + MODEL_GPT2
                    + " (byte-level BPE)");
        }
        GgufPreTokenizer.byGgufName(pre);
        tokens = List.copyOf(tokens);
        merges = List.copyOf(merges);
        tokenTypes = tokenTypes.clone();
        if (tokenTypes.length != tokens.size()) {
            throw new IllegalArgumentException(KEY_TOKEN_TYPE + " has " + tokenTypes.length + " entries but " + KEY_TOKENS + " has "
                    + tokens.size() + "; there must be one type per token");
        }
        Map<String, Integer> firstId = new HashMap<>();
        for (int id = 0; id < tokens.size(); id++) {
            int type = tokenTypes[id];
            if (type != NORMAL && type != CONTROL && type != USER_DEFINED && type != UNUSED) {
                throw new IllegalArgumentException(KEY_TOKEN_TYPE + "[" + id + "] is " + type + "; a " + MODEL_GPT2
                        + " vocabulary has only NORMAL (1), CONTROL (3), USER_DEFINED (4) and UNUSED (5) tokens");
            }
            Integer other = type == UNUSED ? null : firstId.putIfAbsent(tokens.get(id), id);
            if (other != null) {
                throw new IllegalArgumentException(KEY_TOKENS + " has '" + tokens.get(id) + "' at ids " + other + " and " + id
                        + "; a token must have one id");
            }
        }
        for (int rank = 0; rank < merges.size(); rank++) {
            if (merges.get(rank).indexOf(' ', 1) < 0) {
                throw new IllegalArgumentException(KEY_MERGES + "[" + rank + "] '" + merges.get(rank)
                        + "' is not two symbols separated by a space");
            }
        }
        checkId(KEY_BOS_ID, bosId, tokenTypes);
        checkId(KEY_EOS_ID, eosId, tokenTypes);
        if (padId != -1) {
            checkId(KEY_PAD_ID, padId, tokenTypes);
        }
    }

    /**
     * What llama.cpp's {@code convert_hf_to_gguf.py} would store for the tokenizer in {@code dir}
     * ({@code tokenizer.json}, {@code tokenizer_config.json}, and {@code config.json}'s
     * {@code vocab_size} when present); see {@link TokenizerDirToGguf} for the rules and where we
     * follow our own {@link Tokenizer#load} instead.
     */
    public static GgufVocab fromTokenizerDir(Path dir) throws IOException {
        return TokenizerDirToGguf.convert(dir);
    }

    /** The type of one token, without copying {@link #tokenTypes()}. */
    public int tokenType(int id) {
        return tokenTypes[id];
    }

    /** A copy: the record stays immutable. */
    @Override
    public int[] tokenTypes() {
        return tokenTypes.clone();
    }

    public GgufPreTokenizer preTokenizer() {
        return GgufPreTokenizer.byGgufName(pre);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GgufVocab v && model.equals(v.model) && pre.equals(v.pre) && tokens.equals(v.tokens)
                && Arrays.equals(tokenTypes, v.tokenTypes) && merges.equals(v.merges) && bosId == v.bosId && eosId == v.eosId
                && padId == v.padId && addBos == v.addBos && addEos == v.addEos && Objects.equals(chatTemplate, v.chatTemplate);
    }

    @Override
    public int hashCode() {
        return Objects.hash(model, pre, tokens, Arrays.hashCode(tokenTypes), merges, bosId, eosId, padId, addBos, addEos, chatTemplate);
    }

    /** Sizes and ids only: a real vocabulary has over 100,000 tokens. */
    @Override
    public String toString() {
        return "GgufVocab[model=" + model + ", pre=" + pre + ", tokens=" + tokens.size() + ", merges=" + merges.size()
                + ", bosId=" + bosId + ", eosId=" + eosId + ", padId=" + padId + ", addBos=" + addBos + ", addEos=" + addEos
                + ", chatTemplate=" + (chatTemplate == null ? "none" : chatTemplate.length() + " chars") + "]";
    }

    private static void checkId(String key, int id, int[] tokenTypes) {
        if (id < 0 || id >= tokenTypes.length) {
            throw new IllegalArgumentException(key + " " + id + " is out of range: the vocabulary has " + tokenTypes.length + " tokens");
        }
        if (tokenTypes[id] == UNUSED) {
            throw new IllegalArgumentException(key + " " + id + " is an UNUSED token, which no text encodes to");
        }
    }
}
