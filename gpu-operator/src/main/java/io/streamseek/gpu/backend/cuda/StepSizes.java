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

    /**
     * Every activation buffer on device 0, by purpose, in 4-byte values (f32 or int): what
     * {@link StepBuffers} allocates and {@link DeviceMemoryPlan} counts, from this one list.
     */
    public Map<String, Long> activations(int numLayers) {
        long t = maxTokens;
        long heads = mla.numHeads();
        long k = Math.max(1, spec.expertsPerToken());
        long experts = Math.max(1, spec.numRoutedExperts());
        Map<String, Long> values = new LinkedHashMap<>();
        values.put(HIDDEN, t * spec.hiddenSize());
        values.put(NORMED, t * spec.hiddenSize());
        values.put(BRANCH, t * spec.hiddenSize());
        values.put(Q_A, t * Math.max(1, mla.qLoraRank()));
        values.put(QUERIES, t * heads * mla.qkHeadDim());
        values.put(KV_A, t * mla.latentWidth());
        values.put(ATTENTION, t * heads * mla.vHeadDim());
        values.put(LATENT_QUERIES, t * heads * mla.latentWidth());
        values.put(LATENT_OUTPUTS, t * heads * mla.kvLoraRank());
        values.put(PARTIALS, partialElements());
        values.put(GATHERED_LATENTS, (long) naiveMaxContext * mla.latentWidth());
        values.put(KEYS_VALUES, (long) naiveMaxContext * heads * (mla.qkNopeHeadDim() + mla.vHeadDim()));
        values.put(MLP_GATE, t * spec.maxIntermediateSize());
        values.put(MLP_UP, t * spec.maxIntermediateSize());
        values.put(ROUTER_LOGITS, t * experts);
        values.put(ROUTER_WEIGHTS, t * k);
        values.put(CHOSEN, numLayers * t * k);
        values.put(EXPERT_OFFSETS, experts + 1);
        values.put(SORTED_PAIRS, t * k);
        values.put(EXPERT_ACT, t * k * spec.maxIntermediateSize());
        values.put(EXPERT_DOWN, t * k * spec.hiddenSize());
        values.put(SHARED, t * spec.hiddenSize());
        values.put(LOGIT_INPUTS, t * spec.hiddenSize());
        values.put(LOGITS, t * spec.vocabSize());
        values.put(CONTROL, (long) controlCapacity());
        return values;
    }

    /** Ints of a step's control data at most: per-token and per-task indices, block tables, logit rows. */
    public int controlCapacity() {
        return Math.toIntExact(8L * maxTokens + (long) maxTokens * blocksPerSequence() + spec.numRoutedExperts() + 1);
    }

    static final String HIDDEN = "hidden states";
    static final String NORMED = "normed hidden states";
    static final String BRANCH = "branch outputs";
    static final String Q_A = "q_a activations";
    static final String QUERIES = "queries";
    static final String KV_A = "kv_a activations";
    static final String ATTENTION = "attention outputs";
    static final String LATENT_QUERIES = "latent queries";
    static final String LATENT_OUTPUTS = "latent attention outputs";
    static final String PARTIALS = "decode attention partials";
    static final String GATHERED_LATENTS = "gathered latents";
    static final String KEYS_VALUES = "expanded keys and values";
    static final String MLP_GATE = "MLP gate activations";
    static final String MLP_UP = "MLP up activations";
    static final String ROUTER_LOGITS = "router logits";
    static final String ROUTER_WEIGHTS = "router weights";
    static final String CHOSEN = "chosen experts";
    static final String EXPERT_OFFSETS = "expert offsets";
    static final String SORTED_PAIRS = "sorted token-expert pairs";
    static final String EXPERT_ACT = "expert activations";
    static final String EXPERT_DOWN = "expert outputs";
    static final String SHARED = "shared expert outputs";
    static final String LOGIT_INPUTS = "logit inputs";
    static final String LOGITS = "logits";
    static final String CONTROL = "step control data";
    static final String EXPERT_INPUTS = "expert inputs";

    /**
     * Every buffer of a GPU that only runs routed experts ({@link ExpertDevice}), by purpose, in
     * 4-byte values: what it allocates and {@link DeviceMemoryPlan} counts.
     */
    public Map<String, Long> expertActivations() {
        long t = maxTokens;
        long k = Math.max(1, spec.expertsPerToken());
        Map<String, Long> values = new LinkedHashMap<>();
        values.put(EXPERT_INPUTS, t * spec.hiddenSize());
        values.put(CHOSEN, t * k);
        values.put(EXPERT_OFFSETS, spec.numRoutedExperts() + 1L);
        values.put(SORTED_PAIRS, t * k);
        values.put(EXPERT_ACT, t * k * spec.maxIntermediateSize());
        values.put(EXPERT_DOWN, t * k * spec.hiddenSize());
        return values;
    }

    /** Widest row of a block table: a sequence at the full context. */
    public int blocksPerSequence() {
        return (spec.maxPositions() + blockSize - 1) / blockSize;
    }
}
