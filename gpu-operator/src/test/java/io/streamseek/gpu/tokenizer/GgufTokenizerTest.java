package io.streamseek.gpu.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * tokenizer.json → {@link GgufVocab#fromTokenizerDir} → {@link Tokenizer#fromGguf} encodes and
 * decodes exactly as {@link Tokenizer#load} of the same directory, for each supported pre-tokenizer:
 * llama-bpe (the tokenizer make-model writes) and the DeepSeek-V3 and DeepSeek-LLM fixtures of
 * {@code src/test/python/make_gguf_tokenizer_fixtures.py}.
 */
class GgufTokenizerTest {

    /** TokenizerTest's strings plus kana, Hangul, emoji, code, digit and whitespace runs and added tokens inside text. */
    private static final List<String> TEXTS = new ArrayList<>();
    private static final List<String> EXTRA = List.of(
            "ひらがなカタカナ混じりの文、ｶﾀｶﾅ半角", "한국어 문장입니다. 안녕하세요!", "🙏🏽 👩‍👩‍👧 🇯🇵 family emoji ZWJ",
            "for (int i = 0; i < n; i++) {\n\tsum += x[i] * 2;\n}\r\n", "0 00 000 0000 00000 ٣٤٥ ¹²³ ⅷ", "tabs\t\t\tand    spaces      \n\n\n  ",
            "   ", "\n\n", "a\r\nb\rc", "<｜User｜>What is MLA?<｜Assistant｜><think>\nLatent attention.</think>Done.<｜end▁of▁sentence｜>",
            "StreamSeek and  StreamSeek, MLA<pad><｜fim▁hole｜>", "<｜place▁holder▁no▁0｜><｜▁pad▁｜>x<｜begin▁of▁sentence｜>",
            "Ωmega vs Ωhm, K vs K, ώ vs ώ", "don't I'LL we'Ve", "x".repeat(64) + " " + "ab".repeat(40));

    @TempDir
    static Path llamaBpe;

    @BeforeAll
    static void setUp() throws IOException {
        TokenizerFiles.write(llamaBpe, 512, 512);
        try (InputStream in = GgufTokenizerTest.class.getClassLoader().getResourceAsStream("golden/tokenizer-512.json")) {
            new ObjectMapper().readTree(in).get("strings").forEach(s -> TEXTS.add(s.asText()));
        }
        TEXTS.addAll(EXTRA);
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama-bpe", "deepseek-v3", "deepseek-llm"})
    void idsMatchTheCheckpointsOwnTokenizer(String pre) throws IOException {
        GgufVocab vocab = GgufVocab.fromTokenizerDir(dir(pre));
        assertThat(vocab.pre()).isEqualTo(pre);
        JsonNode original = new ObjectMapper().readTree(dir(pre).resolve("tokenizer.json").toFile());
        assertThat(GgufTokenizerJson.of(vocab).get("pre_tokenizer")).isEqualTo(original.get("pre_tokenizer"));
        try (Tokenizer own = Tokenizer.load(dir(pre)); Tokenizer gguf = Tokenizer.fromGguf(vocab)) {
            for (String text : TEXTS) {
                assertThat(gguf.encode(text, true)).as("with special tokens: %s", text).containsExactly(own.encode(text, true));
                assertThat(gguf.encode(text, false)).as("without special tokens: %s", text).containsExactly(own.encode(text, false));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama-bpe", "deepseek-v3", "deepseek-llm"})
    void decodingGivesTheTextBack(String pre) throws IOException {
        try (Tokenizer own = Tokenizer.load(dir(pre)); Tokenizer gguf = Tokenizer.fromGguf(GgufVocab.fromTokenizerDir(dir(pre)))) {
            for (String text : TEXTS) {
                int[] ids = own.encode(text, false);
                assertThat(gguf.decode(ids, false)).as(text).isEqualTo(text).isEqualTo(own.decode(ids, false));
                if (!text.contains("<｜") && !text.contains("<pad>")) { // CONTROL tokens are all special in a GGUF
                    assertThat(gguf.decode(gguf.encode(text, true), true)).as(text).isEqualTo(own.decode(own.encode(text, true), true));
                }
            }
            int[] every = new int[GgufVocab.fromTokenizerDir(dir(pre)).tokens().size()];
            for (int id = 0; id < every.length; id++) {
                every[id] = id;
            }
            assertThat(gguf.decode(every, false)).isEqualTo(own.decode(every, false));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama-bpe", "deepseek-v3", "deepseek-llm"})
    void bosEosAndTheChatTemplateAreCarried(String pre) throws IOException {
        try (Tokenizer own = Tokenizer.load(dir(pre)); Tokenizer gguf = Tokenizer.fromGguf(GgufVocab.fromTokenizerDir(dir(pre)))) {
            assertThat(gguf.bosId()).isEqualTo(own.bosId()).isNotNegative();
            assertThat(gguf.eosId()).isEqualTo(own.eosId()).isNotNegative();
            assertThat(gguf.bosToken()).isEqualTo(own.bosToken()).isEqualTo(TokenizerFiles.BOS);
            assertThat(gguf.eosToken()).isEqualTo(own.eosToken()).isEqualTo(TokenizerFiles.EOS);
            assertThat(gguf.chatTemplate()).isEqualTo(own.chatTemplate()).isNotBlank();
            List<ChatTemplate.Message> chat = List.of(new ChatTemplate.Message("user", "東京は？"), new ChatTemplate.Message("assistant", "首都"),
                    new ChatTemplate.Message("user", "Thanks 🙏"));
            String rendered = new ChatTemplate(gguf.chatTemplate()).render(chat, gguf.bosToken(), gguf.eosToken(), true);
            assertThat(gguf.encode(rendered, false)).containsExactly(own.encode(rendered, false));
        }
    }

    @Test
    void deepSeekV3LayoutBecomesLlamaCppTokenTypes() throws IOException {
        GgufVocab vocab = GgufVocab.fromTokenizerDir(dir("deepseek-v3"));
        List<String> tokens = vocab.tokens();
        assertThat(tokens).hasSize(710);
        assertThat(tokens.subList(0, 3)).containsExactly(TokenizerFiles.BOS, TokenizerFiles.EOS, "<｜▁pad▁｜>");
        assertThat(vocab.tokenType(0)).isEqualTo(GgufVocab.CONTROL);
        assertThat(vocab.tokenType(3)).isEqualTo(GgufVocab.NORMAL);
        assertThat(vocab.tokenType(tokens.indexOf("<｜User｜>"))).as("not special in tokenizer.json, but looks it").isEqualTo(GgufVocab.CONTROL);
        assertThat(vocab.tokenType(tokens.indexOf("<think>"))).isEqualTo(GgufVocab.USER_DEFINED);
        assertThat(tokens.subList(707, 710)).containsExactly("[PAD707]", "[PAD708]", "[PAD709]");
        assertThat(vocab.tokenType(709)).isEqualTo(GgufVocab.UNUSED);
        assertThat(vocab.bosId()).isZero();
        assertThat(vocab.eosId()).isEqualTo(1);
        assertThat(vocab.padId()).isEqualTo(1);
        assertThat(vocab.addBos()).isTrue();
        assertThat(vocab.addEos()).isFalse();
        assertThat(vocab.merges().get(0)).isEqualTo("Ġ t"); // tokenizer.json's [["Ġ", "t"], ...] as GGUF strings
    }

    @Test
    void llamaBpeTakesIgnoreMergesFromItsNameAsLlamaCppDoes() throws IOException {
        GgufVocab vocab = GgufVocab.fromTokenizerDir(llamaBpe);
        JsonNode model = GgufTokenizerJson.of(vocab).get("model");
        assertThat(model.get("ignore_merges").asBoolean()).isTrue();
        assertThat(new ObjectMapper().readTree(llamaBpe.resolve("tokenizer.json").toFile()).at("/model/ignore_merges").asBoolean()).isFalse();
        assertThat(GgufTokenizerJson.of(GgufVocab.fromTokenizerDir(dir("deepseek-v3"))).at("/model/ignore_merges").asBoolean()).isFalse();
    }

    static Path dir(String pre) {
        if (pre.equals("llama-bpe")) {
            return llamaBpe;
        }
        try {
            return Path.of(GgufTokenizerTest.class.getClassLoader().getResource("tokenizers/" + pre).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
