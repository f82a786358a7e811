package io.streamseek.gpu.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes the tokenizer files of the checkpoints {@code make-model} creates: a byte-level BPE
 * {@code tokenizer.json} in Hugging Face's format, trained by {@link ByteLevelBpeTrainer} on a
 * built-in multilingual corpus, and a {@code tokenizer_config.json} with BOS/EOS and a chat template.
 * Special tokens take the first ids, as in DeepSeek's tokenizers: BOS 0, EOS 1.
 */
public final class TokenizerFiles {

    public static final String BOS = "<｜begin▁of▁sentence｜>";
    public static final String EOS = "<｜end▁of▁sentence｜>";
    static final List<String> SPECIAL = List.of(BOS, EOS, "<｜User｜>", "<｜Assistant｜>", "<｜Tool｜>");

    /** A DeepSeek-style chat template, written for this project. */
    static final String CHAT_TEMPLATE = "{{ bos_token }}"
            + "{% for message in messages %}"
            + "{% if message['role'] == 'system' %}{{ message['content'] }}{{ '\\n\\n' }}"
            + "{% elif message['role'] == 'user' %}{{ '<｜User｜>' }}{{ message['content'] }}"
            + "{% elif message['role'] == 'assistant' %}{{ '<｜Assistant｜>' }}{{ message['content'] }}{{ eos_token }}"
            + "{% elif message['role'] == 'tool' %}{{ '<｜Tool｜>' }}{{ message['content'] }}"
            + "{% else %}{{ raise_exception('unknown role: ' ~ message['role']) }}{% endif %}"
            + "{% endfor %}"
            + "{% if add_generation_prompt %}{{ '<｜Assistant｜>' }}{% endif %}";

    private static final ObjectMapper JSON = new ObjectMapper();

    private TokenizerFiles() {
    }

    /**
     * Writes {@code tokenizer.json} and {@code tokenizer_config.json} with exactly {@code vocabSize}
     * ids; ids beyond what the corpus supports as merges are reserved tokens no text encodes to.
     */
    public static void write(Path dir, int vocabSize, int modelMaxLength) throws IOException {
        int learnable = vocabSize - SPECIAL.size();
        if (learnable < 256) {
            throw new IllegalArgumentException("vocab_size " + vocabSize + " is too small for a byte-level tokenizer: it needs "
                    + (256 + SPECIAL.size()) + " ids or more");
        }
        ByteLevelBpeTrainer.Vocabulary trained = ByteLevelBpeTrainer.train(corpus(), learnable);
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (int id = 0; id < SPECIAL.size(); id++) {
            added.addObject().put("id", id).put("content", SPECIAL.get(id)).put("single_word", false).put("lstrip", false)
                    .put("rstrip", false).put("normalized", false).put("special", true);
        }
        root.putNull("normalizer");
        ObjectNode pre = root.putObject("pre_tokenizer").put("type", "Sequence");
        ArrayNode steps = pre.putArray("pretokenizers");
        ObjectNode split = steps.addObject().put("type", "Split");
        split.putObject("pattern").put("Regex", ByteLevelBpeTrainer.PRE_TOKENIZER_REGEX);
        split.put("behavior", "Isolated").put("invert", false);
        steps.addObject().put("type", "ByteLevel").put("add_prefix_space", false).put("trim_offsets", true).put("use_regex", false);
        // BOS first, as add_bos_token says, so that Hugging Face's PreTrainedTokenizerFast gives the
        // same ids as our Tokenizer (which adds BOS itself and never relies on the post-processor).
        ObjectNode post = root.putObject("post_processor").put("type", "TemplateProcessing");
        ArrayNode single = post.putArray("single");
        single.addObject().putObject("SpecialToken").put("id", BOS).put("type_id", 0);
        single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        ArrayNode pair = post.putArray("pair");
        pair.addObject().putObject("SpecialToken").put("id", BOS).put("type_id", 0);
        pair.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        pair.addObject().putObject("SpecialToken").put("id", BOS).put("type_id", 1);
        pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
        ObjectNode bosEntry = post.putObject("special_tokens").putObject(BOS).put("id", BOS);
        bosEntry.putArray("ids").add(0);
        bosEntry.putArray("tokens").add(BOS);
        root.putObject("decoder").put("type", "ByteLevel").put("add_prefix_space", true).put("trim_offsets", true).put("use_regex", true);
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE").putNull("dropout").putNull("unk_token").putNull("continuing_subword_prefix")
                .putNull("end_of_word_suffix").put("fuse_unk", false).put("byte_fallback", false).put("ignore_merges", false);
        ObjectNode vocab = model.putObject("vocab");
        int id = 0;
        for (String special : SPECIAL) {
            vocab.put(special, id++);
        }
        for (String symbol : trained.symbols()) {
            vocab.put(symbol, id++);
        }
        for (int reserved = 0; id < vocabSize; reserved++) {
            vocab.put("<｜reserved_" + reserved + "｜>", id++);
        }
        ArrayNode merges = model.putArray("merges");
        trained.merges().forEach(m -> merges.add(m[0] + " " + m[1]));
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("tokenizer.json"), JSON.writeValueAsString(root), StandardCharsets.UTF_8);

        ObjectNode config = JSON.createObjectNode();
        config.put("add_bos_token", true).put("add_eos_token", false).put("bos_token", BOS).put("eos_token", EOS)
                .put("model_max_length", modelMaxLength).put("tokenizer_class", "PreTrainedTokenizerFast")
                .put("clean_up_tokenization_spaces", false).put("legacy", true).put("chat_template", CHAT_TEMPLATE);
        Files.writeString(dir.resolve("tokenizer_config.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(config), StandardCharsets.UTF_8);
    }

    private static String corpus() {
        try (InputStream in = TokenizerFiles.class.getResourceAsStream("corpus.txt")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("the built-in tokenizer corpus is missing from the jar", e);
        }
    }
}
