package io.streamseek.flink.inference;

import io.streamseek.gpu.config.ModelPreset;
import io.streamseek.gpu.tokenizer.ChatTemplate;
import io.streamseek.gpu.tokenizer.Tokenizer;
import io.streamseek.gpu.tokenizer.TokenizerFiles;
import io.streamseek.schemas.ChatMessage;
import io.streamseek.schemas.ChatPrompt;
import io.streamseek.schemas.ChatRole;
import io.streamseek.schemas.ErrorCode;
import io.streamseek.schemas.PromptRequest;
import io.streamseek.schemas.SamplingParams;
import io.streamseek.schemas.TextPrompt;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;

/** Validation names the offending field or limit; accepted requests are tokenized with a seed derived from their id. */
class RequestPreparerTest {

    private static final Instant NOW = Instant.parse("2026-11-23T12:00:00Z");
    private static Tokenizer tokenizer;
    private static RequestPreparer preparer;

    @BeforeAll
    static void load(@TempDir Path dir) throws Exception {
        TokenizerFiles.write(dir, ModelPreset.TINY.config().vocabSize(), 64);
        tokenizer = Tokenizer.load(dir);
        preparer = new RequestPreparer("tiny", 64, tokenizer, new ChatTemplate(tokenizer.chatTemplate()));
    }

    @AfterAll
    static void close() {
        tokenizer.close();
    }

    @Test
    void eachKindOfBadRequestIsRejectedWithItsCodeAndAMessageNamingTheField() {
        assertRejected(r -> r.setModel("deepseek-v3"), ErrorCode.UNKNOWN_MODEL, "deepseek-v3");
        assertRejected(r -> r.getSampling().setMaxTokens(0), ErrorCode.INVALID_SAMPLING_PARAMETERS, "sampling.max_tokens");
        assertRejected(r -> r.getSampling().setTopP(1.5f), ErrorCode.INVALID_SAMPLING_PARAMETERS, "top_p");
        assertRejected(r -> r.getSampling().setTemperature(-1f), ErrorCode.INVALID_SAMPLING_PARAMETERS, "temperature");
        assertRejected(r -> r.getSampling().setTopK(-3), ErrorCode.INVALID_SAMPLING_PARAMETERS, "top_k");
        assertRejected(r -> r.getSampling().setStop(List.of("")), ErrorCode.INVALID_SAMPLING_PARAMETERS, "sampling.stop");
        assertRejected(r -> r.setDeadline(NOW.minusMillis(1)), ErrorCode.DEADLINE_EXCEEDED, "deadline");
        assertRejected(r -> r.setInput(new TextPrompt(" \n ")), ErrorCode.EMPTY_INPUT, "input.text");
        assertRejected(r -> r.setInput(new ChatPrompt(List.of())), ErrorCode.EMPTY_INPUT, "input.messages");
        assertRejected(r -> r.setInput(new TextPrompt("word ".repeat(200))), ErrorCode.CONTEXT_LENGTH_EXCEEDED, "holds 64 positions");
    }

    @Test
    void aValidRequestIsTokenizedWithItsOwnSeedOrOneDerivedFromItsId() {
        RequestPreparer.Accepted a = (RequestPreparer.Accepted) preparer.prepare(request("a"), NOW);
        RequestPreparer.Accepted again = (RequestPreparer.Accepted) preparer.prepare(request("a"), NOW);
        RequestPreparer.Accepted b = (RequestPreparer.Accepted) preparer.prepare(request("b"), NOW);
        assertThat(a.request().promptTokens()).isEqualTo(tokenizer.encode("hello stream", true));
        assertThat(a.request().sampling().seed()).isEqualTo(again.request().sampling().seed()).isNotEqualTo(b.request().sampling().seed());
        PromptRequest seeded = request("c");
        seeded.getSampling().setSeed(42L);
        assertThat(((RequestPreparer.Accepted) preparer.prepare(seeded, NOW)).request().sampling().seed()).isEqualTo(42L);
        assertThat(a.request().stopTokens()).containsExactly(tokenizer.eosId());
        assertThat(a.request().deadline()).isNull();
    }

    @Test
    void aChatIsRenderedWithTheModelsTemplate() {
        PromptRequest chat = request("chat");
        chat.setInput(new ChatPrompt(List.of(new ChatMessage(ChatRole.SYSTEM, "Be brief."), new ChatMessage(ChatRole.USER, "Hi"))));
        RequestPreparer.Accepted accepted = (RequestPreparer.Accepted) preparer.prepare(chat, NOW);
        String rendered = new ChatTemplate(tokenizer.chatTemplate()).render(List.of(new ChatTemplate.Message("system", "Be brief."),
                new ChatTemplate.Message("user", "Hi")), tokenizer.bosToken(), tokenizer.eosToken(), true);
        assertThat(accepted.request().promptTokens()).isEqualTo(tokenizer.encode(rendered, false));
    }

    private static void assertRejected(Consumer<PromptRequest> breakIt, ErrorCode code, String named) {
        PromptRequest request = request("r");
        breakIt.accept(request);
        RequestPreparer.Prepared prepared = preparer.prepare(request, NOW);
        assertThat(prepared).isInstanceOf(RequestPreparer.Rejected.class);
        RequestPreparer.Rejected rejected = (RequestPreparer.Rejected) prepared;
        assertThat(rejected.code()).isEqualTo(code);
        assertThat(rejected.message()).contains(named);
    }

    private static PromptRequest request(String id) {
        return PromptRequest.newBuilder()
                .setRequestId(id)
                .setTenantId("acme")
                .setInput(new TextPrompt("hello stream"))
                .setSampling(SamplingParams.newBuilder().setMaxTokens(8).build())
                .setCreatedAt(NOW)
                .build();
    }
}
