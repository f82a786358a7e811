package io.streamseek.flink.inference;

import io.streamseek.flink.source.PromptEnvelope;
import io.streamseek.gpu.engine.GenerationResult;
import io.streamseek.gpu.engine.RequestHandle;
import io.streamseek.schemas.ErrorCode;
import io.streamseek.schemas.PipelineStage;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;

import java.time.Clock;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The inference operator's function, run by Flink's async operator: hands each request to the
 * TaskManager's shared engine and completes when the engine does, so the engine's continuous
 * batching forms the batches across all requests of all slots (there are no per-record model
 * calls). Flink's async operator keeps the requests in flight in its checkpoint and re-invokes
 * them after a restore; with a batch-invariant engine and a seed derived from the request id, the
 * re-run gives the same completion.
 *
 * <p>Backpressure: a request waits for room in the engine ({@link ServedModel#admission}, see
 * {@link Generation}) before it is submitted, so a full engine stalls this operator and, through Flink's backpressure, the Kafka
 * source, instead of growing a queue. The operator's own capacity bounds a slot's share.
 *
 * <p>Metrics (per subtask): {@code generatedTokens}, {@code generatedTokensPerSecond},
 * {@code completions}, {@code engineRequestsInFlight} (the queue depth of the shared engine),
 * {@code latentCacheBlocksInUse}, {@code expertImbalance}, {@code tenant.<id>.costMicros}, histograms {@code timeToFirstTokenMs}, {@code timePerOutputTokenMs}
 * and {@code batchSize} (sequences in the steps that made each token), and
 * {@code rejections.<ErrorCode>} counters.
 *
 * <p>Watchdog: a request not finished within the operator's timeout (no forward progress for it)
 * is cancelled in the engine and ends as TIMED_OUT with {@code ENGINE_STALLED} and a dead letter:
 * never a silent stall.
 */
public final class InferenceFunction extends RichAsyncFunction<PromptEnvelope, Outcome> {

    private static final long serialVersionUID = 1L;
    /** Latest values each latency histogram keeps. */
    private static final int HISTOGRAM_WINDOW = 1_000;

    private final ModelSettings settings;
    private transient ServedModel served;
    private transient RequestPreparer preparer;
    private transient Clock clock;
    private transient Map<String, RequestHandle> inFlight;
    private transient Map<ErrorCode, Counter> rejections;
    private transient Counter generatedTokens;
    private transient Counter completions;
    private transient Histogram timeToFirstTokenMs;
    private transient Histogram timePerOutputTokenMs;
    private transient Histogram batchSize;
    private transient Map<String, Counter> costByTenant;
    private transient MetricGroup metrics;

    public InferenceFunction(ModelSettings settings) {
        this.settings = settings;
    }

    @Override
    public void open(OpenContext context) throws Exception {
        served = SharedModels.acquire(settings);
        preparer = new RequestPreparer(settings.modelName(), served.contextLength(), served.tokenizer(), served.chatTemplate());
        clock = Clock.systemUTC();
        inFlight = new ConcurrentHashMap<>();
        metrics = getRuntimeContext().getMetricGroup();
        costByTenant = new ConcurrentHashMap<>();
        generatedTokens = metrics.counter("generatedTokens");
        completions = metrics.counter("completions");
        metrics.meter("generatedTokensPerSecond", new org.apache.flink.metrics.MeterView(generatedTokens));
        metrics.gauge("engineRequestsInFlight", () -> settings.intake() - served.admission().availablePermits());
        metrics.gauge("latentCacheBlocksInUse", () -> served.engine().blocksInUse());
        metrics.gauge("expertImbalance", () -> served.engine().expertLoad().expertImbalance());
        timeToFirstTokenMs = metrics.histogram("timeToFirstTokenMs", new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW));
        timePerOutputTokenMs = metrics.histogram("timePerOutputTokenMs", new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW));
        batchSize = metrics.histogram("batchSize", new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW));
        rejections = new EnumMap<>(ErrorCode.class);
        MetricGroup byReason = metrics.addGroup("rejections");
        for (ErrorCode code : ErrorCode.values()) {
            rejections.put(code, byReason.counter(code.name()));
        }
    }

    @Override
    public void asyncInvoke(PromptEnvelope envelope, ResultFuture<Outcome> resultFuture) throws Exception {
        RequestPreparer.Prepared prepared = preparer.prepare(envelope.request, clock.instant());
        if (prepared instanceof RequestPreparer.Rejected rejected) {
            rejections.get(rejected.code()).inc();
            resultFuture.complete(List.of(OutcomeRecords.rejected(envelope, settings.modelName(), rejected.code(), rejected.message(),
                    PipelineStage.VALIDATION, clock.instant())));
            return;
        }
        RequestPreparer.Accepted accepted = (RequestPreparer.Accepted) prepared;
        String id = accepted.request().requestId();
        Generation generation = Generation.start(served, accepted);
        RequestHandle handle = generation.handle();
        inFlight.put(id, handle);
        generation.generated().whenComplete((generated, error) -> {
            inFlight.remove(id, handle);
            if (error != null) {
                Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null ? error.getCause() : error;
                resultFuture.complete(List.of(OutcomeRecords.rejected(envelope, settings.modelName(), ErrorCode.INFERENCE_FAILED,
                        "the engine failed: " + cause, PipelineStage.INFERENCE, clock.instant())));
                return;
            }
            GenerationResult result = generated.result();
            generatedTokens.inc(result.tokens().length);
            completions.inc();
            if (result.firstTokenNanos() >= 0) {
                timeToFirstTokenMs.update(result.firstTokenNanos() / 1_000_000);
            }
            if (result.cost().completionTokens() > 1) {
                timePerOutputTokenMs.update(result.cost().meanTimePerOutputTokenNanos() / 1_000_000);
            }
            result.cost().tokens().forEach(t -> batchSize.update(t.batchSize()));
            costByTenant.computeIfAbsent(envelope.request.getTenantId(), this::tenantCost)
                    .inc(result.cost().amount().movePointRight(6).longValue());
            resultFuture.complete(List.of(OutcomeRecords.served(envelope, settings.modelName(), result, generated.text(),
                    generated.stoppedByString(), clock.instant())));
        });
    }

    /** Cost in millionths of the currency, per tenant: what the Grafana dashboard plots. */
    private synchronized Counter tenantCost(String tenant) {
        return metrics.addGroup("tenant", tenant).counter("costMicros");
    }

    @Override
    public void timeout(PromptEnvelope envelope, ResultFuture<Outcome> resultFuture) {
        RequestHandle handle = inFlight.remove(envelope.request.getRequestId());
        rejections.get(ErrorCode.ENGINE_STALLED).inc();
        // The outcome first: cancelling completes the engine's future, and its callback would otherwise
        // win the race with a CANCELLED outcome (the result future keeps the first completion only).
        resultFuture.complete(List.of(OutcomeRecords.stalled(envelope, settings.modelName(), clock.instant())));
        if (handle != null) {
            handle.cancel();
        }
    }

    @Override
    public void close() {
        if (served == null) {
            return;
        }
        // A restarted task re-submits these from its checkpoint; the shared engine must not keep computing them.
        inFlight.values().forEach(RequestHandle::cancel);
        SharedModels.release(served);
        served = null;
    }
}
