package io.streamseek.gpu.runner;

import io.streamseek.gpu.attention.MlaAttention;
import io.streamseek.gpu.backend.cpu.CpuWorkers;
import io.streamseek.gpu.cache.SequenceLatentCache;
import io.streamseek.gpu.model.DeepSeekModel;
import io.streamseek.gpu.model.ForwardScratch;
import io.streamseek.gpu.sampling.Sampler;
import io.streamseek.gpu.sampling.SamplingParams;

import java.util.Arrays;

/**
 * Generates one sequence: prefill the prompt in one pass (naive MLA), then decode token by token
 * (absorbed MLA over the latent cache) until a stop token, {@code max_tokens} or the end of the
 * context. The decode loop reuses one scratch and one logits row: it allocates nothing per token.
 */
public final class Generator {

    /** Why generation ended. */
    public enum FinishReason { STOP, STOP_STRING, LENGTH }

    /** The outcome of one generation. */
    public record Result(int[] tokens, FinishReason finishReason, long prefillNanos, long decodeNanos) {
    }

    private final DeepSeekModel model;
    private final ForwardScratch scratch;

    public Generator(DeepSeekModel model, CpuWorkers workers) {
        this.model = model;
        this.scratch = model.newScratch(workers);
    }

    /** Attend densely even where a DeepSeek-V3.2 model's indexer would select: a benchmark's baseline. */
    public void denseAttention(boolean dense) {
        scratch.denseAttention(dense);
    }

    /**
     * @param stopTokens ids that end generation (included in the result)
     * @param promptLogits when not null, receives {@code [prompt.length, vocab]} logits of the prefill pass
     */
    public Result generate(int[] prompt, int maxTokens, SamplingParams params, int[] stopTokens, float[] promptLogits) {
        return generate(prompt, maxTokens, params, stopTokens, StopCondition.NONE, promptLogits);
    }

    /**
     * @param stop checked after every token that is not a stop token; {@link StopCondition#NONE} for none
     */
    public Result generate(int[] prompt, int maxTokens, SamplingParams params, int[] stopTokens, StopCondition stop, float[] promptLogits) {
        int context = model.spec().maxPositions();
        if (prompt.length == 0) {
            throw new IllegalArgumentException("the prompt is empty: at least one token is needed");
        }
        if (prompt.length >= context) {
            throw new IllegalArgumentException("the prompt has " + prompt.length + " tokens but the model's context holds "
                    + context + " (max_position_embeddings), leaving no room to generate");
        }
        if (maxTokens < 1) {
            throw new IllegalArgumentException("max_tokens must be at least 1, was " + maxTokens);
        }
        int vocab = model.spec().vocabSize();
        int capacity = Math.min(context, prompt.length + maxTokens);
        SequenceLatentCache cache = new SequenceLatentCache(model.numLayers(), model.mlaSpec().cacheRowWidth(), capacity);
        Sampler sampler = Sampler.create(params, vocab);
        float[] logits = promptLogits != null ? promptLogits : new float[vocab];

        long started = System.nanoTime();
        model.forward(prompt, 0, prompt.length, 0, cache, MlaAttention.Path.NAIVE, promptLogits != null, logits, scratch);
        int lastRow = promptLogits != null ? (prompt.length - 1) * vocab : 0;
        float[] row = new float[vocab];
        System.arraycopy(logits, lastRow, row, 0, vocab);
        long prefilled = System.nanoTime();

        int[] generated = new int[capacity - prompt.length];
        int[] single = new int[1];
        int count = 0;
        FinishReason reason = FinishReason.LENGTH;
        while (true) {
            int token = sampler.sample(row, 0, vocab);
            generated[count++] = token;
            if (contains(stopTokens, token)) {
                reason = FinishReason.STOP;
                break;
            }
            if (stop.shouldStop(generated, count)) {
                reason = FinishReason.STOP_STRING;
                break;
            }
            if (count == generated.length) {
                break;
            }
            single[0] = token;
            model.forward(single, 0, 1, prompt.length + count - 1, cache, MlaAttention.Path.ABSORBED, false, row, scratch);
        }
        return new Result(Arrays.copyOf(generated, count), reason, prefilled - started, System.nanoTime() - prefilled);
    }

    private static boolean contains(int[] values, int value) {
        for (int v : values) {
            if (v == value) {
                return true;
            }
        }
        return false;
    }
}
