package io.streamseek.gpu.tokenizer;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The Hugging Face {@code tokenizer.json} a {@link GgufVocab} stands for: a BPE model with the
 * vocabulary and merges, CONTROL and USER_DEFINED tokens as added tokens (special and not), the
 * pre-tokenizer {@code tokenizer.ggml.pre} names and a ByteLevel decoder. No normalizer and no
 * post-processor: DeepSeek's files have a no-op normaliser, and {@link Tokenizer} adds BOS/EOS
 * itself. UNUSED ids get no token, so they decode to nothing, as in the checkpoint's own file.
 *
 * <p>GGUF does not carry an added token's {@code lstrip}/{@code rstrip}/{@code single_word} (all
 * false here, as in DeepSeek's files) or {@code normalized} (false for CONTROL, true for
 * USER_DEFINED, transformers' defaults); with no normaliser the latter only orders overlapping
 * matches.
 */
final class GgufTokenizerJson {

    private GgufTokenizerJson() {
    }

    static ObjectNode of(GgufVocab vocab) {
        JsonNodeFactory factory = JsonNodeFactory.instance;
        ObjectNode root = factory.objectNode().put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        ObjectNode ids = factory.objectNode();
        for (int id = 0; id < vocab.tokens().size(); id++) {
            int type = vocab.tokenType(id);
            if (type == GgufVocab.UNUSED) {
                continue;
            }
            ids.put(vocab.tokens().get(id), id);
            if (type == GgufVocab.CONTROL || type == GgufVocab.USER_DEFINED) {
                added.addObject().put("id", id).put("content", vocab.tokens().get(id)).put("single_word", false).put("lstrip", false)
                        .put("rstrip", false).put("normalized", type == GgufVocab.USER_DEFINED).put("special", type == GgufVocab.CONTROL);
            }
        }
        root.putNull("normalizer");
        root.set("pre_tokenizer", vocab.preTokenizer().hfPreTokenizer());
        root.putNull("post_processor");
        root.putObject("decoder").put("type", "ByteLevel").put("add_prefix_space", true).put("trim_offsets", true).put("use_regex", true);
        ObjectNode model = root.putObject("model").put("type", "BPE");
        model.putNull("dropout");
        model.putNull("unk_token");
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", false).put("byte_fallback", false).put("ignore_merges", vocab.preTokenizer().ignoreMerges());
        model.set("vocab", ids);
        ArrayNode merges = model.putArray("merges");
        for (String merge : vocab.merges()) {
            int space = merge.indexOf(' ', 1); // llama.cpp's split: a symbol may itself start with a space
            merges.addArray().add(merge.substring(0, space)).add(merge.substring(space + 1));
        }
        return root;
    }
}
