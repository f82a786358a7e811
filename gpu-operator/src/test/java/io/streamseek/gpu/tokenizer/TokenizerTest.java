package io.streamseek.gpu.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.StreamSupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The tokenizer make-model writes, against ids and a chat rendering produced by Hugging Face
 * transformers ({@code src/test/python/make_tokenizer_golden.py}), with and without special tokens.
 */
class TokenizerTest {

    @TempDir
    static Path dir;
    private static Tokenizer tokenizer;
    private static JsonNode golden;

    @BeforeAll
    static void load() throws IOException {
        TokenizerFiles.write(dir, 512, 512);
        tokenizer = Tokenizer.load(dir);
        try (InputStream in = TokenizerTest.class.getClassLoader().getResourceAsStream("golden/tokenizer-512.json")) {
            golden = new ObjectMapper().readTree(in);
        }
    }

    @AfterAll
    static void close() {
        tokenizer.close();
    }

    @Test
    void idsMatchTransformersWithAndWithoutSpecialTokens() {
        JsonNode strings = golden.get("strings");
        for (int i = 0; i < strings.size(); i++) {
            String text = strings.get(i).asText();
            assertThat(tokenizer.encode(text, true)).as("with special tokens: %s", text).containsExactly(ints(golden.get("with_special_tokens").get(i)));
            assertThat(tokenizer.encode(text, false)).as("without special tokens: %s", text).containsExactly(ints(golden.get("without_special_tokens").get(i)));
        }
    }

    @Test
    void decodeGivesTheTextBack() {
        for (JsonNode string : golden.get("strings")) {
            String text = string.asText();
            if (!text.contains("<｜")) {
                assertThat(tokenizer.decode(tokenizer.encode(text, true), true)).isEqualTo(text);
            }
        }
        String corpusLike = "Long text is never truncated. ".repeat(400);
        assertThat(tokenizer.encode(corpusLike, false).length).isGreaterThan(512);
        assertThat(tokenizer.decode(tokenizer.encode(corpusLike, false), false)).isEqualTo(corpusLike);
    }

    @Test
    void bosAndEosComeFromTheTokenizerConfig() {
        assertThat(tokenizer.bosId()).isZero();
        assertThat(tokenizer.eosId()).isEqualTo(1);
        assertThat(tokenizer.encode("a", true)[0]).isZero();
    }

    @Test
    void chatRenderingMatchesTransformers() {
        List<ChatTemplate.Message> messages = new ArrayList<>();
        for (JsonNode m : golden.get("chat_messages")) {
            messages.add(new ChatTemplate.Message(m.get("role").asText(), m.get("content").asText()));
        }
        String rendered = new ChatTemplate(tokenizer.chatTemplate()).render(messages, tokenizer.bosToken(), tokenizer.eosToken(), true);
        assertThat(rendered).isEqualTo(golden.get("chat_rendered").asText());
    }

    @Test
    void unknownRolesAndMissingTemplatesAreExplained() {
        ChatTemplate template = new ChatTemplate(tokenizer.chatTemplate());
        assertThatThrownBy(() -> template.render(List.of(new ChatTemplate.Message("narrator", "hi")), "", "", true))
                .hasMessageContaining("unknown role: narrator");
        assertThatThrownBy(() -> new ChatTemplate(null))
                .hasMessage("the checkpoint's tokenizer_config.json has no chat_template; send a plain prompt instead");
    }

    @Test
    void writingIsDeterministicAndMissingFilesAreNamed(@TempDir Path other) throws IOException {
        TokenizerFiles.write(other, 512, 512);
        assertThat(Files.readString(other.resolve("tokenizer.json"))).isEqualTo(Files.readString(dir.resolve("tokenizer.json")));
        assertThatThrownBy(() -> Tokenizer.load(other.resolve("nowhere")))
                .hasMessage(other.resolve("nowhere") + " does not exist; --model takes a .gguf file or a Hugging Face checkpoint directory");
        Path empty = Files.createDirectories(other.resolve("empty"));
        assertThatThrownBy(() -> Tokenizer.load(empty)).hasMessage(empty + " has no tokenizer.json");
    }

    private static int[] ints(JsonNode array) {
        return StreamSupport.stream(array.spliterator(), false).mapToInt(JsonNode::asInt).toArray();
    }
}
