package io.streamseek.gpu.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The byte-level BPE pre-tokenizers a GGUF's {@code tokenizer.ggml.pre} may name, each as the exact
 * Hugging Face {@code pre_tokenizer} of the checkpoints llama.cpp's converter gives that name, so
 * that a tokenizer rebuilt from GGUF metadata splits text exactly as the checkpoint's own
 * {@code tokenizer.json} does. A name also fixes BPE's {@code ignore_merges}, as llama.cpp derives
 * it from the name (GGUF has no key for it). Regexes are written with code-point escapes: several
 * letters of DeepSeek's classes have canonically equivalent lookalikes (U+1F7D vs U+03CE, U+2126 vs
 * U+03A9, U+212A vs K) that copy-paste through a normalising editor silently swaps.
 */
public enum GgufPreTokenizer {

    /**
     * Meta Llama 3 / 3.1 / 3.2 (and this project's random checkpoints, {@link TokenizerFiles}): one
     * Split with the GPT-4-style regex, then ByteLevel without regex; llama.cpp sets
     * {@code ignore_merges}, as Llama 3's tokenizer.json does.
     */
    LLAMA_BPE("llama-bpe", true, List.of(split(ByteLevelBpeTrainer.PRE_TOKENIZER_REGEX))),

    /**
     * DeepSeek-LLM 7B/67B, DeepSeek-V2, DeepSeek-V2-Lite (and their chat models): Splits for line
     * breaks, letters of cased scripts (an explicit class), ASCII/full-width punctuation, trailing
     * whitespace and CJK/Hangul, then single digits. (DeepSeek-V2.5 shares V2's 102,400-id
     * vocabulary; its tokenizer.json was not checked here, {@link #recognise} tells.)
     */
    DEEPSEEK_LLM("deepseek-llm", false, List.of(
            split("[\r\n]"),
            split("\\s?[A-Za-z\u00B5\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u01BA\u01BC-\u01BF\u01C4-\u0293\u0295-\u02AF"
                    + "\u0370-\u0373\u0376\u0377\u037B-\u037D\u037F\u0386\u0388-\u038A\u038C\u038E-\u03A1\u03A3-\u03F5"
                    + "\u03F7-\u0481\u048A-\u052F\u0531-\u0556\u10A0-\u10C5\u13A0-\u13F5\u13F8-\u13FD\u1C90-\u1CBA"
                    + "\u1CBD-\u1CBF\u1D00-\u1D2B\u1D6B-\u1D77\u1D79-\u1D9A\u1E00-\u1F15\u1F18-\u1F1D\u1F20-\u1F45"
                    + "\u1F48-\u1F4D\u1F50-\u1F57\u1F59\u1F5B\u1F5D\u1F5F-\u1F7D\u1F80-\u1FB4\u1FB6-\u1FBC\u1FBE"
                    + "\u1FC2-\u1FC4\u1FC6-\u1FCC\u1FD0-\u1FD3\u1FD6-\u1FDB\u1FE0-\u1FEC\u1FF2-\u1FF4\u1FF6-\u1FFC"
                    + "\u2102\u2107\u210A-\u2113\u2115\u2119-\u211D\u2124\u2126\u2128\u212A-\u212D\u212F-\u2134"
                    + "\u2139\u213C-\u213F\u2145-\u2149\u214E\u2183\u2184\u2C00-\u2C7B\u2C7E-\u2CE4\u2CEB-\u2CEE"
                    + "\u2CF2\u2CF3\uA640-\uA66D\uA680-\uA69B\uA722-\uA76F\uA771-\uA787\uA78B-\uA78E\uAB70-\uABBF"
                    + "\uFB00-\uFB06\uFB13-\uFB17\uFF21-\uFF3A\uFF41-\uFF5A"
                    + "\uD801\uDC00-\uD801\uDC4F\uD801\uDCB0-\uD801\uDCD3\uD801\uDCD8-\uD801\uDCFB" // U+10400.. (Deseret, Osage)
                    + "\uD803\uDC80-\uD803\uDCB2\uD803\uDCC0-\uD803\uDCF2" // U+10C80.. (Old Hungarian)
                    + "\uD806\uDCA0-\uD806\uDCDF\uD83A\uDD00-\uD83A\uDD43]+"), // U+118A0.. (Warang Citi), U+1E900.. (Adlam)
            split("\\s?[!-/:-~\uFF01-\uFF0F\uFF1A-\uFF5E\u2018-\u201F\u3000-\u3002]+"),
            split("\\s+$"),
            split("[\u4E00-\u9FA5\u0800-\u4E00\uAC00-\uD7FF]+"),
            digits())),

    /**
     * DeepSeek-V3, V3-0324, V3.1, R1 and R1-0528 (the 128K vocabulary; not the R1-Distill models,
     * which keep their base model's tokenizer): Splits for runs of up to three digits, Han and kana,
     * then a GPT-4-like regex that keeps letters with combining marks.
     */
    DEEPSEEK_V3("deepseek-v3", false, List.of(
            split("\\p{N}{1,3}"),
            split("[\u4E00-\u9FA5\u3040-\u309F\u30A0-\u30FF]+"),
            split("[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+"
                    + "| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+")));

    private final String ggufName;
    private final boolean ignoreMerges;
    /** The steps before the final ByteLevel(add_prefix_space=false, use_regex=false) every name ends with. */
    private final List<ObjectNode> steps;

    GgufPreTokenizer(String ggufName, boolean ignoreMerges, List<ObjectNode> steps) {
        this.ggufName = ggufName;
        this.ignoreMerges = ignoreMerges;
        this.steps = steps;
    }

    /** The value of {@code tokenizer.ggml.pre}. */
    public String ggufName() {
        return ggufName;
    }

    /** BPE's {@code ignore_merges} as llama.cpp sets it for this name: a word in the vocabulary is one token. */
    public boolean ignoreMerges() {
        return ignoreMerges;
    }

    /** The Hugging Face {@code pre_tokenizer} this name stands for, as the checkpoints' tokenizer.json write it. */
    public ObjectNode hfPreTokenizer() {
        ObjectNode sequence = JsonNodeFactory.instance.objectNode().put("type", "Sequence");
        ArrayNode list = sequence.putArray("pretokenizers");
        steps.forEach(step -> list.add(step.deepCopy()));
        list.addObject().put("type", "ByteLevel").put("add_prefix_space", false).put("trim_offsets", true).put("use_regex", false);
        return sequence;
    }

    /** The pre-tokenizer {@code tokenizer.ggml.pre} names; anything else is refused, never guessed. */
    public static GgufPreTokenizer byGgufName(String name) {
        for (GgufPreTokenizer pre : values()) {
            if (pre.ggufName.equals(name)) {
                return pre;
            }
        }
        throw new IllegalArgumentException("tokenizer.ggml.pre '" + name + "' is not supported; supported: " + supportedNames());
    }

    /**
     * The name of a tokenizer.json's {@code pre_tokenizer}: equal to one of ours step by step, fields
     * that do not change the split (ByteLevel's {@code trim_offsets}) aside and HF's defaults applied.
     */
    public static GgufPreTokenizer recognise(JsonNode preTokenizer) {
        List<String> found = canonicalSteps(preTokenizer);
        for (GgufPreTokenizer pre : values()) {
            if (canonicalSteps(pre.hfPreTokenizer()).equals(found)) {
                return pre;
            }
        }
        throw new IllegalArgumentException("tokenizer.json's pre_tokenizer " + preTokenizer
                + " is none of the pre-tokenizers a GGUF can name here (" + supportedNames() + ")");
    }

    static String supportedNames() {
        return Arrays.stream(values()).map(GgufPreTokenizer::ggufName).collect(Collectors.joining(", "));
    }

    /** One string per step, Sequences flattened, with every field that changes the split and HF's defaults. */
    private static List<String> canonicalSteps(JsonNode node) {
        List<String> out = new ArrayList<>();
        if (node == null || node.isNull()) {
            return out;
        }
        String type = node.path("type").asText();
        switch (type) {
            case "Sequence" -> node.path("pretokenizers").forEach(step -> out.addAll(canonicalSteps(step)));
            case "Split" -> out.add("Split(" + node.path("pattern") + ", " + node.path("behavior").asText()
                    + ", invert=" + node.path("invert").asBoolean(false) + ")");
            case "Digits" -> out.add("Digits(individual_digits=" + node.path("individual_digits").asBoolean(false) + ")");
            case "ByteLevel" -> out.add("ByteLevel(add_prefix_space=" + node.path("add_prefix_space").asBoolean(true)
                    + ", use_regex=" + node.path("use_regex").asBoolean(true) + ")");
            default -> out.add(node.toString());
        }
        return out;
    }

    private static ObjectNode split(String regex) {
        ObjectNode split = JsonNodeFactory.instance.objectNode().put("type", "Split");
        split.putObject("pattern").put("Regex", regex);
        return split.put("behavior", "Isolated").put("invert", false);
    }

    private static ObjectNode digits() {
        return JsonNodeFactory.instance.objectNode().put("type", "Digits").put("individual_digits", true);
    }
}
