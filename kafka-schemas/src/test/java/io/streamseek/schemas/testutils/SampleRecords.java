package io.streamseek.schemas.testutils;

import io.streamseek.schemas.ChatMessage;
import io.streamseek.schemas.ChatPrompt;
import io.streamseek.schemas.ChatRole;
import io.streamseek.schemas.Completion;
import io.streamseek.schemas.CompletionTimings;
import io.streamseek.schemas.Cost;
import io.streamseek.schemas.CostRollup;
import io.streamseek.schemas.CostTotals;
import io.streamseek.schemas.DeadLetter;
import io.streamseek.schemas.ErrorCode;
import io.streamseek.schemas.ErrorInfo;
import io.streamseek.schemas.FinishReason;
import io.streamseek.schemas.PipelineStage;
import io.streamseek.schemas.PromptRequest;
import io.streamseek.schemas.SamplingParams;
import io.streamseek.schemas.TextPrompt;
import io.streamseek.schemas.TokenCost;
import io.streamseek.schemas.TokenStep;
import io.streamseek.schemas.Usage;
import io.streamseek.schemas.topics.Topic;

import org.apache.avro.specific.SpecificRecord;

import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;

/** Fully populated records of every contract schema: every union branch and optional field set. */
public final class SampleRecords {

    private static final Instant T0 = Instant.parse("2026-11-22T10:15:30.123Z");

    private SampleRecords() {
    }

    public static PromptRequest textPrompt(String requestId) {
        return PromptRequest.newBuilder()
                .setRequestId(requestId)
                .setTenantId("acme")
                .setModel("deepseek-v2-lite")
                .setInput(TextPrompt.newBuilder().setText("Summarise: Kafka + Flink — ünïcödé ✓").build())
                .setSampling(SamplingParams.newBuilder().setMaxTokens(64).setTemperature(0.7f).setTopP(0.9f)
                        .setTopK(40).setSeed(42L).setStop(List.of("\n\n", "END")).build())
                .setPriority(5)
                .setDeadline(T0.plus(30, ChronoUnit.SECONDS))
                .setMetadata(Map.of("source", "crm", "trace", "t-1"))
                .setCreatedAt(T0)
                .build();
    }

    public static PromptRequest chatPrompt(String requestId) {
        return PromptRequest.newBuilder()
                .setRequestId(requestId)
                .setTenantId("globex")
                .setInput(ChatPrompt.newBuilder().setMessages(List.of(
                        new ChatMessage(ChatRole.SYSTEM, "You are terse."),
                        new ChatMessage(ChatRole.USER, "What is MLA?"))).build())
                .setSampling(SamplingParams.newBuilder().build())
                .setCreatedAt(T0)
                .build();
    }

    public static Completion completion(String requestId) {
        return Completion.newBuilder()
                .setRequestId(requestId)
                .setTenantId("acme")
                .setModel("deepseek-v2-lite")
                .setFinishReason(FinishReason.STOP_STRING)
                .setText("Multi-head latent attention caches a small latent.")
                .setUsage(new Usage(17, 8, 11))
                .setTimings(new CompletionTimings(3L, 42L, 250L))
                .setError(null)
                .setProducedAt(T0.plusMillis(250))
                .build();
    }

    public static Completion rejectedCompletion(String requestId) {
        return Completion.newBuilder(completion(requestId))
                .setFinishReason(FinishReason.REJECTED)
                .setText("")
                .setUsage(new Usage(0, 0, 0))
                .setTimings(new CompletionTimings(0L, null, 0L))
                .setError(new ErrorInfo(ErrorCode.CONTEXT_LENGTH_EXCEEDED, "prompt has 9000 tokens; the model's context is 4096"))
                .build();
    }

    public static TokenCost tokenCost(String requestId) {
        return TokenCost.newBuilder()
                .setRequestId(requestId)
                .setTenantId("acme")
                .setModel("deepseek-v2-lite")
                .setTokens(List.of(new TokenStep(1200L, 8, 2_400_000L, 27), new TokenStep(900L, 9, 2_450_000L, 27)))
                .setTotals(new CostTotals(9_000_000L, 1_200_000L, 2100L, 65_536L))
                .setCost(new Cost(new BigDecimal("0.000001458333"), "USD", new BigDecimal("2.500000000000"),
                        "device-time share x 2.50 USD per device-hour (cpu)"))
                .setProducedAt(T0.plusMillis(260))
                .build();
    }

    public static CostRollup costRollup() {
        return CostRollup.newBuilder()
                .setTenantId("acme")
                .setModel("deepseek-v2-lite")
                .setWindowStart(T0.truncatedTo(ChronoUnit.MINUTES))
                .setWindowEnd(T0.truncatedTo(ChronoUnit.MINUTES).plus(1, ChronoUnit.MINUTES))
                .setRequests(3)
                .setPromptTokens(51)
                .setCachedPromptTokens(8)
                .setCompletionTokens(33)
                .setDeviceTimeUs(6300)
                .setCost(new BigDecimal("0.000004375000"))
                .setCurrency("USD")
                .build();
    }

    public static DeadLetter deadLetter() {
        return DeadLetter.newBuilder()
                .setSourceTopic(Topic.PROMPTS.topicName())
                .setSourcePartition(3)
                .setSourceOffset(1234L)
                .setSourceTimestamp(T0)
                .setOriginalKey(ByteBuffer.wrap("req-9".getBytes(StandardCharsets.UTF_8)))
                .setOriginalValue(ByteBuffer.wrap(new byte[] {0x7b, 0x22, 0x00, (byte) 0xff}))
                .setRequestId(null)
                .setErrorCode(ErrorCode.BAD_MAGIC_BYTE)
                .setErrorMessage("Expected the Confluent wire format's magic byte 0x00 but found 0x7b")
                .setStage(PipelineStage.DESERIALIZATION)
                .setFailedAt(T0.plusSeconds(1))
                .build();
    }

    /** One sample per contract topic, keyed by the topic it belongs on. */
    public static Map<Topic, List<? extends SpecificRecord>> perTopic() {
        return Map.of(
                Topic.PROMPTS, List.of(textPrompt("req-1"), chatPrompt("req-2")),
                Topic.COMPLETIONS, List.of(completion("req-1"), rejectedCompletion("req-3")),
                Topic.TOKEN_COSTS, List.of(tokenCost("req-1")),
                Topic.COST_ROLLUPS, List.of(costRollup()),
                Topic.DEAD_LETTERS, List.of(deadLetter()));
    }
}
