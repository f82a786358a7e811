package io.streamseek.gpu.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * A checkpoint's Hugging Face tokenizer as llama.cpp's {@code convert_hf_to_gguf.py} stores it in a
 * GGUF ({@code get_vocab_base} and gguf-py's {@code SpecialVocab}):
 * <ul>
 *   <li>one token per id below {@code config.json}'s {@code vocab_size} (else the highest id + 1);
 *       an id tokenizer.json lacks becomes {@code [PAD<id>]}, UNUSED;</li>
 *   <li>an added token is CONTROL when tokenizer.json marks it special or it looks special
 *       ({@code <|...|>}, {@code <｜...｜>}, {@code <pad>}, ...: DeepSeek-V3 leaves {@code <｜User｜>}
 *       unmarked), else USER_DEFINED with U+2581 written as a space; one that is not
 *       {@code normalized} is stored as it decodes back from its own encoding; every other token
 *       is NORMAL;</li>
 *   <li>merges as "left right", pairs joined and spaces inside a symbol written as U+0120;</li>
 *   <li>BOS/EOS/pad: the added token whose text tokenizer_config.json names, else config.json's
 *       {@code *_token_id}.</li>
 * </ul>
 * Where gguf-py would also read the post-processor or a {@code chat_template.jinja} file, we take
 * {@code add_bos_token}, {@code add_eos_token} and {@code chat_template} from tokenizer_config.json
 * alone, defaulting to false and none, because that is what {@link Tokenizer#load} uses: the GGUF then
 * encodes exactly as the directory does in this engine.
 */
final class TokenizerDirToGguf {

    private static final ObjectMapper JSON = new ObjectMapper();

    private TokenizerDirToGguf() {
    }

    static GgufVocab convert(Path dir) throws IOException {
        Path jsonFile = dir.resolve("tokenizer.json");
        if (!Files.isRegularFile(jsonFile)) {
            throw new IllegalArgumentException(dir + " has no tokenizer.json");
        }
        JsonNode json = JSON.readTree(jsonFile.toFile());
        JsonNode config = readOrEmpty(dir.resolve("tokenizer_config.json"));
        JsonNode modelConfig = readOrEmpty(dir.resolve("config.json"));
        checkByteLevelBpe(json);
        GgufPreTokenizer pre = GgufPreTokenizer.recognise(json.get("pre_tokenizer"));

        Map<Integer, String> byId = new HashMap<>();
        json.path("model").path("vocab").fields().forEachRemaining(e -> put(byId, e.getValue().asInt(), e.getKey()));
        Map<Integer, JsonNode> added = new HashMap<>();
        for (JsonNode token : json.path("added_tokens")) {
            put(byId, token.path("id").asInt(), token.path("content").asText());
            added.put(token.path("id").asInt(), token);
        }
        int highest = byId.keySet().stream().mapToInt(Integer::intValue).max().orElse(-1);
        int vocabSize = modelConfig.path("vocab_size").asInt(highest + 1);
        if (vocabSize <= highest) {
            throw new IllegalArgumentException(dir.resolve("config.json") + " says vocab_size " + vocabSize
                    + " but tokenizer.json has id " + highest + "; the embedding must have a row for every token");
        }
        List<String> merges = merges(json.path("model").path("merges"));
        checkIgnoreMerges(json.path("model").path("ignore_merges").asBoolean(false), pre, byId, added, merges);

        List<String> tokens = new ArrayList<>(vocabSize);
        int[] types = new int[vocabSize];
        try (Tokenizer hf = Tokenizer.load(dir)) {
            for (int id = 0; id < vocabSize; id++) {
                String token = byId.get(id);
                JsonNode addedToken = added.get(id);
                if (token == null) {
                    token = "[PAD" + id + "]";
                    types[id] = GgufVocab.UNUSED;
                } else if (addedToken != null) {
                    if (!addedToken.path("normalized").asBoolean(!addedToken.path("special").asBoolean(false))) {
                        token = hf.decode(hf.encode(token, false), false); // llama.cpp takes added tokens pre-normalised
                    }
                    if (addedToken.path("special").asBoolean(false) || looksSpecial(token)) {
                        types[id] = GgufVocab.CONTROL;
                    } else {
                        token = token.replace('\u2581', ' ');
                        types[id] = GgufVocab.USER_DEFINED;
                    }
                } else {
                    types[id] = GgufVocab.NORMAL;
                }
                tokens.add(token);
            }
        }
        int bos = requiredSpecialId("bos", dir, config, modelConfig, json);
        int eos = requiredSpecialId("eos", dir, config, modelConfig, json);
        int pad = specialId("pad", config, modelConfig, json);
        JsonNode template = config.get("chat_template");
        return new GgufVocab(GgufVocab.MODEL_GPT2, pre.ggufName(), tokens, types, merges, bos, eos, pad,
                config.path("add_bos_token").asBoolean(false), config.path("add_eos_token").asBoolean(false),
                template != null && template.isTextual() ? template.asText() : null);
    }

    /** llama.cpp's {@code does_token_look_special}: added tokens some checkpoints forget to mark special. */
    static boolean looksSpecial(String token) {
        return token.equals("<pad>") || token.equals("<mask>") || token.equals("<2mass>") || token.equals("[@BOS@]")
                || (token.startsWith("<|") && token.endsWith("|>"))
                || (token.startsWith("<｜") && token.endsWith("｜>"))
                || (token.startsWith("<unused") && token.endsWith(">"));
    }

    private static void checkByteLevelBpe(JsonNode json) {
        JsonNode model = json.path("model");
        String decoder = json.path("decoder").path("type").asText("none");
        if (!model.path("type").asText().equals("BPE") || model.path("byte_fallback").asBoolean(false) || !decoder.equals("ByteLevel")) {
            throw new IllegalArgumentException("tokenizer.json has model " + model.path("type").asText("none") + " (byte_fallback="
                    + model.path("byte_fallback").asBoolean(false) + ") with decoder " + decoder + "; only byte-level BPE (BPE without "
                    + "byte_fallback, ByteLevel decoder: GGUF " + GgufVocab.KEY_MODEL + " " + GgufVocab.MODEL_GPT2 + ") is supported");
        }
        JsonNode normalizer = json.get("normalizer");
        boolean noOp = normalizer == null || normalizer.isNull()
                || (normalizer.path("type").asText().equals("Sequence") && normalizer.path("normalizers").isEmpty());
        if (!noOp) {
            throw new IllegalArgumentException("tokenizer.json has normalizer " + normalizer
                    + "; a GGUF tokenizer has none, so only a tokenizer without one (or an empty Sequence) converts exactly");
        }
    }

    /**
     * GGUF has no {@code ignore_merges}: llama.cpp takes it from the pre-tokenizer's name. When the
     * file says otherwise, that only changes ids if some vocabulary word does not merge back into
     * itself, so such a file is refused and any other converts exactly.
     */
    private static void checkIgnoreMerges(boolean ignoreMerges, GgufPreTokenizer pre, Map<Integer, String> byId,
                                          Map<Integer, JsonNode> added, List<String> merges) {
        if (ignoreMerges == pre.ignoreMerges()) {
            return;
        }
        Map<String, Integer> ranks = new HashMap<>();
        for (int rank = 0; rank < merges.size(); rank++) {
            ranks.putIfAbsent(merges.get(rank), rank);
        }
        for (Map.Entry<Integer, String> token : byId.entrySet()) {
            String word = token.getValue();
            if (!added.containsKey(token.getKey()) && ByteSymbols.isByteLevel(word) && !BpeMerges.mergesBackToItself(word, ranks)) {
                throw new IllegalArgumentException("tokenizer.json sets ignore_merges=" + ignoreMerges + " but GGUF pre '" + pre.ggufName()
                        + "' means ignore_merges=" + pre.ignoreMerges() + ", and the vocabulary word '" + word
                        + "' (id " + token.getKey() + ") does not merge back into itself, so the two would encode it differently");
            }
        }
    }

    private static List<String> merges(JsonNode merges) {
        List<String> out = new ArrayList<>(merges.size());
        for (JsonNode merge : merges) {
            if (merge.isTextual()) {
                out.add(merge.asText());
            } else if (merge.isArray() && merge.size() == 2) {
                out.add(merge.get(0).asText().replace(' ', '\u0120') + " " + merge.get(1).asText().replace(' ', '\u0120'));
            } else {
                throw new IllegalArgumentException("tokenizer.json has merge " + merge + "; expected \"left right\" or [left, right]");
            }
        }
        return out;
    }

    private static int requiredSpecialId(String kind, Path dir, JsonNode config, JsonNode modelConfig, JsonNode json) {
        int id = specialId(kind, config, modelConfig, json);
        if (id < 0) {
            throw new IllegalArgumentException(dir + ": tokenizer_config.json's " + kind + "_token is no added token of tokenizer.json"
                    + " and config.json has no " + kind + "_token_id; a GGUF needs tokenizer.ggml." + kind + "_token_id");
        }
        return id;
    }

    /** SpecialVocab's rule: the first added token with tokenizer_config.json's text, else config.json's id, else -1. */
    private static int specialId(String kind, JsonNode config, JsonNode modelConfig, JsonNode json) {
        JsonNode entry = config.get(kind + "_token");
        String text = entry == null || entry.isNull() ? null : entry.isTextual() ? entry.asText() : entry.path("content").asText(null);
        if (text != null) {
            for (Iterator<JsonNode> it = json.path("added_tokens").elements(); it.hasNext(); ) {
                JsonNode token = it.next();
                if (token.path("content").asText().equals(text)) {
                    return token.path("id").asInt();
                }
            }
        }
        return modelConfig.path(kind + "_token_id").isInt() ? modelConfig.path(kind + "_token_id").asInt() : -1;
    }

    private static void put(Map<Integer, String> byId, int id, String token) {
        String other = byId.putIfAbsent(id, token);
        if (other != null && !other.equals(token)) {
            throw new IllegalArgumentException("tokenizer.json gives id " + id + " to both '" + other + "' and '" + token + "'");
        }
    }

    private static JsonNode readOrEmpty(Path file) throws IOException {
        return Files.isRegularFile(file) ? JSON.readTree(file.toFile()) : JSON.createObjectNode();
    }
}
