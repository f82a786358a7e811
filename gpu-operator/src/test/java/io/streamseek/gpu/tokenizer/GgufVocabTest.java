package io.streamseek.gpu.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.StreamSupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link GgufVocab}: what {@link GgufVocab#fromTokenizerDir} stores against what gguf-py writes
 * ({@code src/test/python/make_gguf_vocab_golden.py}), and the refusals, asserted exactly.
 */
class GgufVocabTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> TOKENS = List.of("<s>", "a", "b", "ab", "[PAD4]");
    private static final int[] TYPES = {GgufVocab.CONTROL, GgufVocab.NORMAL, GgufVocab.NORMAL, GgufVocab.NORMAL, GgufVocab.UNUSED};

    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"deepseek-v3", "deepseek-llm"})
    void storesWhatGgufPyWrites(String pre) throws IOException {
        JsonNode golden;
        try (InputStream in = getClass().getClassLoader().getResourceAsStream("golden/gguf-vocab-" + pre + ".json")) {
            golden = JSON.readTree(in);
        }
        GgufVocab vocab = GgufVocab.fromTokenizerDir(GgufTokenizerTest.dir(pre));
        assertThat(vocab.model()).isEqualTo(golden.get("model").asText());
        assertThat(vocab.pre()).isEqualTo(golden.get("pre").asText());
        assertThat(vocab.tokens()).containsExactlyElementsOf(strings(golden.get("tokens")));
        assertThat(vocab.tokenTypes()).containsExactly(StreamSupport.stream(golden.get("token_type").spliterator(), false)
                .mapToInt(JsonNode::asInt).toArray());
        assertThat(vocab.merges()).containsExactlyElementsOf(strings(golden.get("merges")));
        assertThat(vocab.bosId()).isEqualTo(golden.get("bos_token_id").asInt());
        assertThat(vocab.eosId()).isEqualTo(golden.get("eos_token_id").asInt());
        assertThat(vocab.padId()).isEqualTo(golden.get("padding_token_id").isNull() ? -1 : golden.get("padding_token_id").asInt());
        assertThat(vocab.addBos()).isEqualTo(golden.get("add_bos_token").asBoolean());
        assertThat(vocab.addEos()).isEqualTo(golden.get("add_eos_token").asBoolean());
        assertThat(vocab.chatTemplate()).isEqualTo(golden.get("chat_template").asText());
        // gguf.BpeVocab lists the same text for every id it knows (it has no [PAD] ids).
        List<String> bpeVocab = strings(golden.get("bpe_vocab_tokens"));
        assertThat(vocab.tokens().subList(0, bpeVocab.size())).containsExactlyElementsOf(bpeVocab);
    }

    @Test
    void refusesAnUnknownModelOrPreNamingTheSupportedOnes() {
        assertThatThrownBy(() -> vocab("llama", "deepseek-v3", TOKENS, TYPES, 0))
                .hasMessage("tokenizer.ggml.model 'llama' is not supported; supported: gpt2 (byte-level BPE)");
        assertThatThrownBy(() -> vocab("gpt2", "qwen2", TOKENS, TYPES, 0))
                .hasMessage("tokenizer.ggml.pre 'qwen2' is not supported; supported: llama-bpe, deepseek-llm, deepseek-v3");
    }

    @Test
    void refusesInconsistentSizesTypesAndIds() {
        assertThatThrownBy(() -> vocab("gpt2", "deepseek-v3", TOKENS, new int[] {3, 1, 1, 1}, 0))
                .hasMessage("tokenizer.ggml.token_type has 4 entries but tokenizer.ggml.tokens has 5; there must be one type per token");
        assertThatThrownBy(() -> vocab("gpt2", "deepseek-v3", TOKENS, new int[] {3, 1, 6, 1, 5}, 0))
                .hasMessage("tokenizer.ggml.token_type[2] is 6; a gpt2 vocabulary has only NORMAL (1), CONTROL (3), USER_DEFINED (4) "
                        + "and UNUSED (5) tokens");
        assertThatThrownBy(() -> vocab("gpt2", "deepseek-v3", List.of("<s>", "a", "b", "a", "[PAD4]"), TYPES, 0))
                .hasMessage("tokenizer.ggml.tokens has 'a' at ids 1 and 3; a token must have one id");
        assertThatThrownBy(() -> vocab("gpt2", "deepseek-v3", TOKENS, TYPES, 5))
                .hasMessage("tokenizer.ggml.bos_token_id 5 is out of range: the vocabulary has 5 tokens");
        assertThatThrownBy(() -> vocab("gpt2", "deepseek-v3", TOKENS, TYPES, 4))
                .hasMessage("tokenizer.ggml.bos_token_id 4 is an UNUSED token, which no text encodes to");
        assertThatThrownBy(() -> new GgufVocab("gpt2", "deepseek-v3", TOKENS, TYPES, List.of("ab"), 0, 0, -1, true, false, null))
                .hasMessage("tokenizer.ggml.merges[0] 'ab' is not two symbols separated by a space");
        assertThatThrownBy(() -> new GgufVocab("gpt2", "deepseek-v3", TOKENS, TYPES, List.of("a b"), 0, 0, -2, true, false, null))
                .hasMessage("tokenizer.ggml.padding_token_id -2 is out of range: the vocabulary has 5 tokens");
    }

    @Test
    void isImmutableAndComparesByContent() {
        int[] types = TYPES.clone();
        GgufVocab vocab = vocab("gpt2", "deepseek-v3", TOKENS, types, 0);
        types[1] = GgufVocab.CONTROL;
        vocab.tokenTypes()[2] = GgufVocab.CONTROL;
        assertThat(vocab.tokenType(1)).isEqualTo(GgufVocab.NORMAL);
        assertThat(vocab.tokenType(2)).isEqualTo(GgufVocab.NORMAL);
        assertThat(vocab).isEqualTo(vocab("gpt2", "deepseek-v3", TOKENS, TYPES, 0)).hasSameHashCodeAs(vocab("gpt2", "deepseek-v3", TOKENS, TYPES, 0));
        assertThat(vocab.toString()).isEqualTo("GgufVocab[model=gpt2, pre=deepseek-v3, tokens=5, merges=1, bosId=0, eosId=0, padId=-1, "
                + "addBos=true, addEos=false, chatTemplate=none]");
    }

    @Test
    void refusesAPreTokenizerItCannotName() throws IOException {
        Path dir = copy("deepseek-v3", json -> json.set("pre_tokenizer", JSON.createObjectNode().put("type", "ByteLevel")
                .put("add_prefix_space", false).put("trim_offsets", true).put("use_regex", true)));
        assertThatThrownBy(() -> GgufVocab.fromTokenizerDir(dir))
                .hasMessage("tokenizer.json's pre_tokenizer {\"type\":\"ByteLevel\",\"add_prefix_space\":false,\"trim_offsets\":true,"
                        + "\"use_regex\":true} is none of the pre-tokenizers a GGUF can name here (llama-bpe, deepseek-llm, deepseek-v3)");
        Path oneRegexOff = copy("deepseek-v3", json -> ((ObjectNode) json.at("/pre_tokenizer/pretokenizers/0/pattern")).put("Regex", "\\p{N}{1,4}"));
        assertThatThrownBy(() -> GgufVocab.fromTokenizerDir(oneRegexOff)).hasMessageStartingWith(
                "tokenizer.json's pre_tokenizer {\"type\":\"Sequence\",\"pretokenizers\":[{\"type\":\"Split\",\"pattern\":{\"Regex\":\"\\\\p{N}{1,4}\"}");
    }

    @Test
    void refusesWhatIsNotByteLevelBpe() throws IOException {
        Path fallback = copy("deepseek-llm", json -> ((ObjectNode) json.get("model")).put("byte_fallback", true));
        assertThatThrownBy(() -> GgufVocab.fromTokenizerDir(fallback))
                .hasMessage("tokenizer.json has model BPE (byte_fallback=true) with decoder ByteLevel; only byte-level BPE (BPE without "
                        + "byte_fallback, ByteLevel decoder: GGUF tokenizer.ggml.model gpt2) is supported");
        Path nfc = copy("deepseek-llm", json -> json.set("normalizer", JSON.createObjectNode().put("type", "NFC")));
        assertThatThrownBy(() -> GgufVocab.fromTokenizerDir(nfc))
                .hasMessage("tokenizer.json has normalizer {\"type\":\"NFC\"}; a GGUF tokenizer has none, so only a tokenizer without one "
                        + "(or an empty Sequence) converts exactly");
    }

    @Test
    void refusesAnIgnoreMergesThatWouldChangeIds() throws IOException {
        Path dir = copy("deepseek-v3", json -> {
            ((ObjectNode) json.get("model")).put("ignore_merges", true);
            ((ObjectNode) json.at("/model/vocab")).put("xyzw", 707); // a word no merge builds: whole under ignore_merges only
        });
        assertThatThrownBy(() -> GgufVocab.fromTokenizerDir(dir))
                .hasMessage("tokenizer.json sets ignore_merges=true but GGUF pre 'deepseek-v3' means ignore_merges=false, and the vocabulary "
                        + "word 'xyzw' (id 707) does not merge back into itself, so the two would encode it differently");
        Path harmless = copy("deepseek-v3", json -> ((ObjectNode) json.get("model")).put("ignore_merges", true));
        assertThat(GgufVocab.fromTokenizerDir(harmless)).isEqualTo(GgufVocab.fromTokenizerDir(GgufTokenizerTest.dir("deepseek-v3")));
    }

    @Test
    void refusesAMissingBosAndAConfigVocabTooSmall() throws IOException {
        Path noBos = copy("deepseek-llm", json -> { });
        Files.writeString(noBos.resolve("tokenizer_config.json"), "{\"eos_token\": \"<｜end▁of▁sentence｜>\"}");
        assertThatThrownBy(() -> GgufVocab.fromTokenizerDir(noBos)).hasMessage(noBos + ": tokenizer_config.json's bos_token is no added "
                + "token of tokenizer.json and config.json has no bos_token_id; a GGUF needs tokenizer.ggml.bos_token_id");
        Path small = copy("deepseek-v3", json -> { });
        Files.writeString(small.resolve("config.json"), "{\"vocab_size\": 700}");
        assertThatThrownBy(() -> GgufVocab.fromTokenizerDir(small)).hasMessage(small.resolve("config.json") + " says vocab_size 700 but "
                + "tokenizer.json has id 706; the embedding must have a row for every token");
    }

    private static GgufVocab vocab(String model, String pre, List<String> tokens, int[] types, int bos) {
        return new GgufVocab(model, pre, tokens, types, List.of("a b"), bos, 0, -1, true, false, null);
    }

    /** The fixture {@code name} copied to a temp directory, its tokenizer.json edited. */
    private Path copy(String name, Consumer<ObjectNode> edit) throws IOException {
        Path source = GgufTokenizerTest.dir(name);
        Path dir = Files.createTempDirectory(tmp, name);
        try (var files = Files.list(source)) {
            for (Path file : files.toList()) {
                Files.copy(file, dir.resolve(file.getFileName()));
            }
        }
        ObjectNode json = (ObjectNode) JSON.readTree(dir.resolve("tokenizer.json").toFile());
        edit.accept(json);
        Files.write(dir.resolve("tokenizer.json"), JSON.writeValueAsBytes(json));
        return dir;
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(node -> out.add(node.asText()));
        return out;
    }
}
