package io.streamseek.flink.inference;

import io.streamseek.flink.source.PromptEnvelope;
import io.streamseek.gpu.accounting.RequestCost;
import io.streamseek.gpu.engine.GenerationResult;
import io.streamseek.schemas.Completion;
import io.streamseek.schemas.CompletionTimings;
import io.streamseek.schemas.Cost;
import io.streamseek.schemas.CostTotals;
import io.streamseek.schemas.ErrorCode;
import io.streamseek.schemas.ErrorInfo;
import io.streamseek.schemas.FinishReason;
import io.streamseek.schemas.PipelineStage;
import io.streamseek.schemas.TokenCost;
import io.streamseek.schemas.TokenStep;
import io.streamseek.schemas.Usage;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Builds the contract's records from what the preparer and the engine said. */
public final class OutcomeRecords {

    /** The contract's decimal scale for money. */
    private static final int MONEY_SCALE = 12;

    private OutcomeRecords() {
    }

    /** A request refused before the engine: a REJECTED completion naming why, and its dead letter; nothing billed. */
    public static Outcome rejected(PromptEnvelope envelope, String model, ErrorCode code, String message, PipelineStage stage, Instant now) {
        String id = envelope.request.getRequestId();
        Completion completion = Completion.newBuilder()
                .setRequestId(id)
                .setTenantId(envelope.request.getTenantId())
                .setModel(model)
                .setFinishReason(FinishReason.REJECTED)
                .setText("")
                .setUsage(new Usage(0, 0, 0))
                .setTimings(new CompletionTimings(0L, null, 0L))
                .setError(new ErrorInfo(code, message))
                .setProducedAt(now)
                .build();
        return new Outcome(completion, null, envelope.origin.deadLetter(id, code, message, stage, now));
    }

    /**
     * A request the watchdog gave up on (no result within the operator's timeout): TIMED_OUT with
     * {@code ENGINE_STALLED}, and a dead letter, since nothing was served to bill.
     */
    public static Outcome stalled(PromptEnvelope envelope, String model, Instant now) {
        String message = "no result from the engine within the inference timeout; the request was cancelled";
        Outcome outcome = rejected(envelope, model, ErrorCode.ENGINE_STALLED, message, PipelineStage.INFERENCE, now);
        outcome.completion.setFinishReason(FinishReason.TIMED_OUT);
        return outcome;
    }

    /**
     * What the engine gave: the completion, the token cost of whatever was computed, and a dead
     * letter when the engine refused or failed the request.
     *
     * @param text the decoded generated text, a stop string already cut
     * @param stoppedByString whether a stop string ended generation (the engine saw a cancellation)
     */
    public static Outcome served(PromptEnvelope envelope, String model, GenerationResult result, String text, boolean stoppedByString,
                                 Instant now) {
        String id = envelope.request.getRequestId();
        FinishReason reason = finishReason(result, stoppedByString);
        ErrorCode errorCode = switch (reason) {
            case REJECTED -> ErrorCode.INVALID_REQUEST;
            case FAILED -> ErrorCode.INFERENCE_FAILED;
            default -> null;
        };
        RequestCost cost = result.cost();
        Completion completion = Completion.newBuilder()
                .setRequestId(id)
                .setTenantId(envelope.request.getTenantId())
                .setModel(model)
                .setFinishReason(reason)
                .setText(text)
                .setUsage(new Usage(result.promptTokens(), result.cachedPromptTokens(), cost.completionTokens()))
                .setTimings(new CompletionTimings(millis(result.queuedNanos()),
                        result.firstTokenNanos() < 0 ? null : millis(result.firstTokenNanos()), millis(result.totalNanos())))
                .setError(errorCode == null ? null : new ErrorInfo(errorCode, result.error() == null ? reason.name() : result.error()))
                .setProducedAt(now)
                .build();
        if (reason == FinishReason.REJECTED) {
            return new Outcome(completion, null, envelope.origin.deadLetter(id, errorCode, completion.getError().getMessage(),
                    PipelineStage.VALIDATION, now));
        }
        return new Outcome(completion, tokenCost(id, envelope.request.getTenantId(), model, cost, now),
                reason == FinishReason.FAILED ? envelope.origin.deadLetter(id, errorCode, completion.getError().getMessage(),
                        PipelineStage.INFERENCE, now) : null);
    }

    /** The contract's finish reason of what the engine gave. */
    public static FinishReason finishReason(GenerationResult result, boolean stoppedByString) {
        return stoppedByString ? FinishReason.STOP_STRING : switch (result.finishReason()) {
            case STOP -> FinishReason.STOP_TOKEN;
            case LENGTH -> FinishReason.LENGTH;
            case REJECTED -> FinishReason.REJECTED;
            case TIMED_OUT -> FinishReason.TIMED_OUT;
            case CANCELLED -> FinishReason.CANCELLED;
            case FAILED -> FinishReason.FAILED;
        };
    }

    static TokenCost tokenCost(String id, String tenant, String model, RequestCost cost, Instant now) {
        List<TokenStep> steps = new ArrayList<>(cost.tokens().size());
        for (io.streamseek.gpu.accounting.TokenCost t : cost.tokens()) {
            steps.add(new TokenStep(t.latencyNanos() / 1_000, t.batchSize(), t.flops(), t.expertsActivated()));
        }
        return TokenCost.newBuilder()
                .setRequestId(id)
                .setTenantId(tenant)
                .setModel(model)
                .setTokens(steps)
                .setTotals(new CostTotals(cost.flops(), cost.bytesRead(), cost.deviceNanos() / 1_000, cost.peakLatentCacheBytes()))
                .setCost(new Cost(money(cost.amount()), cost.pricing().currency(), money(cost.pricing().pricePerDeviceHour()),
                        cost.pricing().basis()))
                .setProducedAt(now)
                .build();
    }

    private static BigDecimal money(BigDecimal value) {
        return value.setScale(MONEY_SCALE, RoundingMode.HALF_EVEN);
    }

    private static long millis(long nanos) {
        return nanos / 1_000_000;
    }
}
