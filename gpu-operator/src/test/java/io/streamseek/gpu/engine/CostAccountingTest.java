package io.streamseek.gpu.engine;

import io.streamseek.gpu.accounting.FlopModel;
import io.streamseek.gpu.accounting.Pricing;
import io.streamseek.gpu.accounting.RequestCost;
import io.streamseek.gpu.accounting.TokenCost;
import io.streamseek.gpu.config.ModelPreset;
import io.streamseek.gpu.loader.Checkpoint;
import io.streamseek.gpu.loader.DType;
import io.streamseek.gpu.loader.RandomCheckpoint;
import io.streamseek.gpu.model.DeepSeekModel;
import io.streamseek.gpu.model.ModelLoader;
import io.streamseek.gpu.sampling.SamplingParams;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Per-token and per-request costs add up: to each other, to the engine's device time, and to the model's FLOPs. */
class CostAccountingTest {

    @TempDir
    static java.nio.file.Path dir;
    static Checkpoint checkpoint;
    static DeepSeekModel model;

    @BeforeAll
    static void load() throws Exception {
        RandomCheckpoint.write(ModelPreset.TINY.config(), dir, 57, DType.BF16, false, null);
        checkpoint = Checkpoint.open(dir);
        model = ModelLoader.load(checkpoint);
    }

    @AfterAll
    static void close() {
        checkpoint.close();
    }

    /** What the request should be billed: its uncached prompt positions (naive), then each fed-back generated token (absorbed). */
    private static long expectedFlops(FlopModel f, RequestCost cost) {
        int prompt = cost.promptTokens();
        long flops = 0;
        for (int pos = cost.cachedPromptTokens(); pos < prompt; pos++) {
            flops += f.tokenFlops(pos, false, pos == prompt - 1);
        }
        for (int pos = prompt; pos < prompt + cost.completionTokens() - 1; pos++) {
            flops += f.tokenFlops(pos, true, true);
        }
        return flops;
    }

    @Test
    void costsAddUpUnderPreemptionAndPrefixReuse() throws Exception {
        long cachePositions = 40;
        long blockBytes = 4L * model.numLayers() * model.mlaSpec().cacheRowWidth() * 4;
        // 3.60 USD per device-hour is 1e-12 USD per nanosecond: amounts are checkable exactly.
        EngineConfig config = EngineConfig.builder().blockSize(4).cacheBytes(cachePositions / 4 * blockBytes).maxNumSeqs(6)
                .maxTokensPerStep(12).threads(2).prefixSecret("k".getBytes(StandardCharsets.UTF_8))
                .pricing(new Pricing(new BigDecimal("3.60"), "EUR", "cpu")).build();
        SplittableRandom random = new SplittableRandom(8);
        int[] shared = random.ints(9, 1, 500).toArray();
        List<RequestCost> costs = new ArrayList<>();
        FlopModel flops = new FlopModel(model);
        Engine engine = new Engine(model, config);
        try {
            // The first request leaves its prompt blocks in the prefix cache for the second.
            GenerationResult first = engine.submit(new GenerationRequest("first", "acme", shared, 4, SamplingParams.GREEDY,
                    new int[0], 0, null), null).result().get(60, TimeUnit.SECONDS);
            costs.add(first.cost());
            List<RequestHandle> handles = new ArrayList<>();
            handles.add(engine.submit(new GenerationRequest("reuse", "acme", shared, 6, SamplingParams.GREEDY, new int[0], 0, null), null));
            for (int i = 0; i < 8; i++) {
                handles.add(engine.submit(new GenerationRequest("r" + i, "acme", random.ints(3 + random.nextInt(10), 1, 500).toArray(),
                        5 + random.nextInt(8), new SamplingParams(0.9f, 0.9f, 0, i), new int[0], 0, null), null));
            }
            for (RequestHandle h : handles) {
                GenerationResult r = h.result().get(60, TimeUnit.SECONDS);
                assertThat(r.finishReason()).as(r.requestId()).isEqualTo(GenerationResult.FinishReason.LENGTH);
                assertThat(r.cost().completionTokens()).isEqualTo(r.tokens().length);
                costs.add(r.cost());
            }
            assertThat(handles.get(0).result().get().cost().cachedPromptTokens()).as("prefix-cache hit").isEqualTo(8);
            assertThat(engine.preemptions()).as("the tight cache forced preemptions").isPositive();
            assertThat(engine.unbilledNanos()).as("recompute time is the engine's").isPositive();
            assertThat(costs.stream().mapToLong(RequestCost::deviceNanos).sum() + engine.unbilledNanos()).isEqualTo(engine.stepNanos());
        } finally {
            engine.close();
        }
        for (RequestCost c : costs) {
            assertThat(c.flops()).as("billed once, cached tokens not at all").isEqualTo(expectedFlops(flops, c));
            assertThat(c.tokens()).hasSize(c.completionTokens());
            assertThat(c.tokens().stream().mapToLong(TokenCost::flops).sum()).isLessThanOrEqualTo(c.flops());
            assertThat(c.amount()).isEqualByComparingTo(BigDecimal.valueOf(c.deviceNanos()).movePointLeft(12));
            assertThat(c.pricing().currency()).isEqualTo("EUR");
            assertThat(c.pricing().basis()).isEqualTo("device-time share x 3.60 EUR per device-hour (cpu)");
            assertThat(c.timeToFirstTokenNanos()).isGreaterThanOrEqualTo(c.queueNanos());
            assertThat(c.p99TimePerOutputTokenNanos()).isGreaterThan(0);
            assertThat(c.meanTimePerOutputTokenNanos()).isGreaterThan(0);
            assertThat(c.peakLatentCacheBytes() % blockBytes).isZero();
            assertThat(c.peakLatentCacheBytes()).isBetween(blockBytes, cachePositions / 4 * blockBytes);
            assertThat(c.bytesRead()).isPositive();
            for (TokenCost t : c.tokens()) {
                assertThat(t.batchSize()).isBetween(1, 6);
                assertThat(t.latencyNanos()).isPositive();
                assertThat(t.flops()).isPositive();
                // tiny: 2 MoE layers x (2 routed + 1 shared)
                assertThat(t.expertsActivated()).isEqualTo(6);
            }
        }
    }

    @Test
    void aRejectedRequestCostsNothingAndBadPricesAreRefused() throws Exception {
        try (Engine engine = new Engine(model, EngineConfig.builder().threads(1).build())) {
            GenerationResult r = engine.submit(new GenerationRequest("x", "t", new int[600], 1, SamplingParams.GREEDY, null, 0, null), null)
                    .result().get();
            assertThat(r.cost().amount()).isEqualByComparingTo(BigDecimal.ZERO);
            assertThat(r.cost().tokens()).isEmpty();
        }
        assertThatThrownBy(() -> new Pricing(new BigDecimal("1"), "XYZW", "cpu")).hasMessage("'XYZW' is not an ISO 4217 currency code");
        assertThatThrownBy(() -> new Pricing(new BigDecimal("-1"), "USD", "cpu"))
                .hasMessage("the price per device-hour cannot be negative, was -1");
    }
}
