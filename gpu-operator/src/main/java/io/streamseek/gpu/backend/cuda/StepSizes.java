package io.streamseek.gpu.backend.cuda;

import io.streamseek.gpu.attention.MlaSpec;
import io.streamseek.gpu.model.ModelSpec;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The largest step the CUDA backend's activation buffers hold, and their sizes. Two buffers would
 * grow with the context rather than the step, so each gets a byte budget instead:
 * <ul>
 *   <li>the naive prefill path expands a chunk's whole context into per-head keys and values;
 *       chunks whose context is longer than {@link #naiveMaxContext} attend through the absorbed
 *       path instead (the same attention, computed over the latent);</li>
 *   <li>the split-context decode attention keeps per-split partial results; tasks are launched in
 *       groups small enough for {@link #partialBudgetBytes}.</li>
 * </ul>
 *
 * @param maxTokens tokens of one step ({@code maxTokensPerStep}): decode tokens plus prefill chunks
 * @param blockSize tokens per latent cache block
 * @param naiveMaxContext longest context a prefill chunk expands into keys and values
 * @param splitLen positions per split of the decode attention (a kernel constant)
 * @param partialBudgetBytes bytes of the decode attention's per-split partial results
 */
public record StepSizes(ModelSpec spec, MlaSpec mla, int maxTokens, int blockSize, int naiveMaxContext, int splitLen, long partialBudgetBytes) {

    /** Bytes the naive path's expanded keys and values may take. */
    public static final long NAIVE_BUDGET_BYTES = 512L << 20;
    /** Bytes of split-context partials per decode attention launch. */
    public static final long PARTIAL_BUDGET_BYTES = 256L << 20;

    public static StepSizes of(ModelSpec spec, MlaSpec mla, int maxTokens, int blockSize, int splitLen) {
        long perPosition = 4L * (mla.numHeads() * (mla.qkNopeHeadDim() + mla.vHeadDim()) + mla.latentWidth());
        int naive = (int) Math.max(1, Math.min(spec.maxPositions(), NAIVE_BUDGET_BYTES / perPosition));
        return new StepSizes(spec, mla, maxTokens, blockSize, naive, splitLen, PARTIAL_BUDGET_BYTES);
    }

    /** Splits of a context of {@code positions}. */
    public int splits(int positions) {
        return (positions + splitLen - 1) / splitLen;
    }

    /** Bytes of one task's partial results over {@code splits} splits. */
    public long partialBytesPerTask(int splits) {
        return 4L * splits * mla.numHeads() * (mla.kvLoraRank() + 2);
    }

    /** Tasks of one decode-attention launch when the longest context of the step has {@code splits} splits. */
    public int tasksPerLaunch(int splits) {
        return (int) Math.max(1, Math.min(maxTokens, partialBudgetBytes / partialBytesPerTask(splits)));
    }

    /** f32 elements of the partial-results buffer: the budget, but at least one task at the longest context. */
    public long partialElements() {
        long oneTask = partialBytesPerTask(splits(spec.maxPositions())) / 4;
        return Math.max(oneTask, Math.min(partialBudgetBytes / 4, oneTask * maxTokens));
    }

    /** The activation buffers on device 0, by purpose, in bytes. */
    public Map<String, Long> activations() {
        long t = maxTokens;
        int heads = mla.numHeads();
        int k = Math.max(1, spec.expertsPerToken());
        Map<String, Long> bytes = new LinkedHashMap<>();
        bytes.put("hidden states", 4 * t * spec.hiddenSize() * 3);
        bytes.put("attention activations", 4 * t * (Math.max(0, mla.qLoraRank()) + heads * mla.qkHeadDim() + mla.latentWidth()
                + heads * mla.vHeadDim() + (long) heads * mla.latentWidth() + (long) heads * mla.kvLoraRank()));
        bytes.put("decode attention partials", 4 * partialElements());
        bytes.put("naive prefill keys and values", 4L * naiveMaxContext * (heads * (mla.qkNopeHeadDim() + mla.vHeadDim()) + mla.latentWidth()));
        bytes.put("MLP activations", 4 * t * spec.maxIntermediateSize() * 2
                + 4 * t * (Math.max(1, spec.numRoutedExperts()) + 2L * k + k * (long) spec.maxIntermediateSize() + (long) k * spec.hiddenSize()));
        bytes.put("logits", 4 * t * spec.vocabSize());
        bytes.put("step control data", 4 * (8 * t + t * (long) blocksPerSequence() + spec.numRoutedExperts() + 1));
        return bytes;
    }

    /** The activation buffers of a device that only runs routed experts. */
    public Map<String, Long> expertActivations() {
        long t = maxTokens;
        int k = Math.max(1, spec.expertsPerToken());
        Map<String, Long> bytes = new LinkedHashMap<>();
        bytes.put("expert inputs", 4 * t * spec.hiddenSize() + 4 * t * 2 * k + 4L * (spec.numRoutedExperts() + 1));
        bytes.put("expert activations", 4 * t * k * ((long) spec.maxIntermediateSize() + spec.hiddenSize()));
        return bytes;
    }

    /** Widest row of a block table: a sequence at the full context. */
    public int blocksPerSequence() {
        return (spec.maxPositions() + blockSize - 1) / blockSize;
    }
}
