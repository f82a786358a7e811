package io.streamseek.gpu.engine;

import io.streamseek.gpu.backend.cpu.CpuWorkers;
import io.streamseek.gpu.config.ModelPreset;
import io.streamseek.gpu.engine.GenerationResult.FinishReason;
import io.streamseek.gpu.loader.Checkpoint;
import io.streamseek.gpu.loader.DType;
import io.streamseek.gpu.loader.RandomCheckpoint;
import io.streamseek.gpu.model.DeepSeekModel;
import io.streamseek.gpu.model.ModelLoader;
import io.streamseek.gpu.runner.Generator;
import io.streamseek.gpu.sampling.SamplingParams;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EngineTest {

    @TempDir
    static java.nio.file.Path dir;
    private static Checkpoint checkpoint;
    private static DeepSeekModel model;

    @BeforeAll
    static void load() throws Exception {
        RandomCheckpoint.write(ModelPreset.TINY.config(), dir, 41, DType.BF16, false, null);
        checkpoint = Checkpoint.open(dir);
        model = ModelLoader.load(checkpoint);
    }

    @AfterAll
    static void close() {
        checkpoint.close();
    }

    private static EngineConfig config(long cacheTokens, int maxNumSeqs, int maxTokensPerStep, int maxWaiting) {
        return config(model, cacheTokens, maxNumSeqs, maxTokensPerStep, maxWaiting);
    }

    static EngineConfig config(DeepSeekModel model, long cacheTokens, int maxNumSeqs, int maxTokensPerStep, int maxWaiting) {
        long bytes = cacheTokens * 4L * model.numLayers() * model.mlaSpec().cacheRowWidth();
        return EngineConfig.builder().blockSize(4).cacheBytes(bytes).maxNumSeqs(maxNumSeqs).maxTokensPerStep(maxTokensPerStep)
                .maxWaiting(maxWaiting).threads(2).prefixSecret("secret".getBytes(StandardCharsets.UTF_8)).build();
    }

    private static GenerationRequest request(String id, int[] prompt, int maxTokens, SamplingParams sampling) {
        return new GenerationRequest(id, "acme", prompt, maxTokens, sampling, new int[0], 0, null);
    }

    @Test
    void everyRequestCompletesUnderATightCacheWithTheTokensItGetsAlone() throws Exception {
        completesUnderATightCacheWithTheTokensItGetsAlone(model, 3, 48);
    }

    /**
     * 12 requests of {@code minPrompt} to {@code minPrompt + 13} prompt tokens and 6 to 15 generated,
     * through an engine of {@code cacheTokens} cached tokens: each gets the tokens it gets alone.
     */
    static void completesUnderATightCacheWithTheTokensItGetsAlone(DeepSeekModel model, int minPrompt, long cacheTokens) throws Exception {
        SplittableRandom random = new SplittableRandom(3);
        List<GenerationRequest> requests = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            int[] prompt = random.ints(minPrompt + random.nextInt(14), 2, 500).toArray();
            SamplingParams sampling = i % 2 == 0 ? SamplingParams.GREEDY : new SamplingParams(0.9f, 0.95f, 20, 1000 + i);
            requests.add(request("r" + i, prompt, 6 + random.nextInt(10), sampling));
        }
        List<int[]> alone = new ArrayList<>();
        try (CpuWorkers workers = new CpuWorkers(1)) {
            for (GenerationRequest r : requests) {
                alone.add(new Generator(model, workers).generate(r.promptTokens(), r.maxTokens(), r.sampling(), new int[0], null).tokens());
            }
        }
        // A cache far smaller than 12 requests need: admission waits and preemption happen.
        Engine engine = new Engine(model, config(model, cacheTokens, 8, 16, 64));
        try {
            List<RequestHandle> handles = new ArrayList<>();
            for (GenerationRequest r : requests) {
                handles.add(engine.submit(r, TokenListener.NONE));
            }
            for (int i = 0; i < handles.size(); i++) {
                GenerationResult result = handles.get(i).result().get(60, TimeUnit.SECONDS);
                assertThat(result.finishReason()).as(result.requestId()).isEqualTo(FinishReason.LENGTH);
                assertThat(result.tokens()).as("tokens of %s, batched vs alone", result.requestId()).containsExactly(alone.get(i));
            }
            assertThat(engine.blocksInUse()).isZero();
            assertThat(engine.preemptions()).as("the tight cache forced preemptions").isPositive();
        } finally {
            engine.close();
        }
    }

    @Test
    void limitsRejectAtOnceWithTheLimitNamed() throws Exception {
        Engine engine = new Engine(model, config(64, 4, 16, 8));
        try {
            GenerationResult tooLong = engine.submit(request("long", new int[512], 4, SamplingParams.GREEDY), null).result().get();
            assertThat(tooLong.finishReason()).isEqualTo(FinishReason.REJECTED);
            assertThat(tooLong.error()).isEqualTo("the prompt has 512 tokens but the model's context holds 512 "
                    + "(max_position_embeddings), leaving no room to generate");
            GenerationResult tooBig = engine.submit(request("big", new int[40], 60, SamplingParams.GREEDY), null).result().get();
            assertThat(tooBig.error()).isEqualTo("the request needs up to 100 cached tokens (25 blocks) but the latent cache holds "
                    + "64 tokens; lower max_tokens or raise the cache budget");
        } finally {
            engine.close();
        }
    }

    @Test
    void cancellationDeadlinesAndBackpressure() throws Exception {
        Engine engine = new Engine(model, config(256, 4, 16, 2));
        try {
            CountDownLatch threeTokens = new CountDownLatch(3);
            RequestHandle[] self = new RequestHandle[1];
            CountDownLatch submitted = new CountDownLatch(1);
            self[0] = engine.submit(request("cancel", new int[] {0, 5, 6}, 200, SamplingParams.GREEDY), token -> {
                threeTokens.countDown();
                if (threeTokens.getCount() == 0) {
                    try {
                        submitted.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    self[0].cancel();
                }
            });
            // Two requests in flight: the third is refused until one finishes.
            RequestHandle second = engine.submit(request("second", new int[] {0, 1, 2}, 3, SamplingParams.GREEDY), null);
            assertThatThrownBy(() -> engine.submit(request("third", new int[] {0, 1, 2}, 3, SamplingParams.GREEDY), null))
                    .isInstanceOf(EngineBusyException.class)
                    .hasMessage("the engine has 2 requests in flight (maxWaiting); retry later");
            submitted.countDown();
            GenerationResult cancelled = self[0].result().get(60, TimeUnit.SECONDS);
            assertThat(cancelled.finishReason()).isEqualTo(FinishReason.CANCELLED);
            assertThat(cancelled.tokens().length).isBetween(3, 199);
            assertThat(second.result().get(60, TimeUnit.SECONDS).finishReason()).isEqualTo(FinishReason.LENGTH);

            GenerationResult expired = engine.submit(new GenerationRequest("late", "acme", new int[] {0, 1}, 5, SamplingParams.GREEDY,
                    new int[0], 0, Instant.now().minusSeconds(1)), null).result().get(60, TimeUnit.SECONDS);
            assertThat(expired.finishReason()).isEqualTo(FinishReason.TIMED_OUT);
            assertThat(expired.error()).isEqualTo("the deadline passed after 0 generated tokens");
        } finally {
            engine.close(Duration.ofSeconds(5));
        }
        assertThatThrownBy(() -> engine.submit(request("closed", new int[] {1}, 1, SamplingParams.GREEDY), null))
                .hasMessage("the engine is closed");
    }

    @Test
    void aRepeatedPromptOfTheSameTenantReusesItsCachedPrefix() throws Exception {
        reusesTheCachedPrefixOfTheSameTenant(model, 18);
    }

    /** A prompt of {@code length} tokens three times: its whole blocks are reused by the same tenant only. */
    static void reusesTheCachedPrefixOfTheSameTenant(DeepSeekModel model, int length) throws Exception {
        Engine engine = new Engine(model, config(model, 256, 4, 64, 8));
        try {
            int[] prompt = new SplittableRandom(9).ints(length, 2, 500).toArray();
            GenerationResult first = engine.submit(request("a", prompt, 4, SamplingParams.GREEDY), null).result().get(60, TimeUnit.SECONDS);
            GenerationResult second = engine.submit(request("b", prompt, 4, SamplingParams.GREEDY), null).result().get(60, TimeUnit.SECONDS);
            GenerationResult otherTenant = engine.submit(new GenerationRequest("c", "globex", prompt, 4, SamplingParams.GREEDY,
                    new int[0], 0, null), null).result().get(60, TimeUnit.SECONDS);
            assertThat(first.cachedPromptTokens()).isZero();
            assertThat(second.cachedPromptTokens()).isEqualTo((length - 1) / 4 * 4);
            assertThat(otherTenant.cachedPromptTokens()).isZero();
            assertThat(second.tokens()).containsExactly(first.tokens());
            assertThat(otherTenant.tokens()).containsExactly(first.tokens());
        } finally {
            engine.close();
        }
    }
}
