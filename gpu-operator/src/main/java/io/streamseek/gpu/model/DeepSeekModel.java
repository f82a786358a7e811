package io.streamseek.gpu.model;

import io.streamseek.gpu.attention.MlaAttention;
import io.streamseek.gpu.attention.MlaSpec;
import io.streamseek.gpu.backend.cpu.Kernels;
import io.streamseek.gpu.backend.cpu.Linear;
import io.streamseek.gpu.backend.cpu.CpuWorkers;
import io.streamseek.gpu.cache.LatentCache;
import io.streamseek.gpu.moe.ep.ExpertDispatcher;
import io.streamseek.gpu.moe.ep.ExpertLoad;
import io.streamseek.gpu.moe.ep.ExpertParallelConfig;
import io.streamseek.gpu.moe.ep.ExpertPlacement;

/**
 * A DeepSeek-V2/V3-architecture causal language model: embedding, decoder layers (MLA + dense MLP
 * or DeepSeekMoE), final norm, {@code lm_head}. Activations and accumulation are f32; weights are
 * read in their storage dtype.
 */
public final class DeepSeekModel {

    private final ModelSpec spec;
    private final MlaSpec mla;
    private final Linear embedTokens; // [vocab, hidden]
    private final DecoderLayer[] layers;
    private final float[] norm;       // [hidden]
    private final Linear lmHead;      // [vocab, hidden]

    public DeepSeekModel(ModelSpec spec, MlaSpec mla, Linear embedTokens, DecoderLayer[] layers, float[] norm, Linear lmHead) {
        this.spec = spec;
        this.mla = mla;
        this.embedTokens = embedTokens;
        this.layers = layers;
        this.norm = norm;
        this.lmHead = lmHead;
    }

    /**
     * Runs {@code count} tokens of one sequence at positions {@code [startPos, startPos + count)},
     * appending their latent rows to {@code cache}.
     *
     * @param logits receives {@code [count, vocab]} logits when {@code allLogits}, otherwise
     *     {@code [vocab]} for the last token only
     */
    public void forward(int[] tokens, int offset, int count, int startPos, LatentCache cache, MlaAttention.Path path,
                        boolean allLogits, float[] logits, ForwardScratch s) {
        s.single.clear();
        forward(s.single.add(tokens, offset, count, startPos, cache, path, allLogits), logits, s);
    }

    /**
     * One forward step over the tokens of several sequences (see {@link StepBatch}). A sequence's
     * logits do not depend on what else is in the step: every output is computed by the same
     * fixed-order dot products, and attention reads only the sequence's own cache.
     *
     * @param logits receives {@link StepBatch#logitRows()} rows of {@code [vocab]}, segment by segment
     */
    public void forward(StepBatch batch, float[] logits, ForwardScratch s) {
        int hidden = spec.hiddenSize();
        int count = batch.tokens();
        s.ensure(count);
        checkStep(batch);
        s.moe.dispatcher().beginStep();
        for (int t = 0; t < count; t++) {
            embedTokens.copyRow(batch.tokenId(t), s.hidden, t * hidden);
        }
        for (int l = 0; l < layers.length; l++) {
            DecoderLayer layer = layers[l];
            for (int t = 0; t < count; t++) {
                Kernels.rmsNorm(s.hidden, t * hidden, layer.inputLayernorm(), spec.rmsNormEps(), s.normed, t * hidden, hidden);
            }
            layer.attention().forward(s.normed, batch, s.branch, s.mla);
            addInto(s.hidden, s.branch, count * hidden);
            for (int t = 0; t < count; t++) {
                Kernels.rmsNorm(s.hidden, t * hidden, layer.postAttentionLayernorm(), spec.rmsNormEps(), s.normed, t * hidden, hidden);
            }
            // One token on one rank (batch-1 decode) takes the path that spreads the rows of all its
            // experts over the cores together; otherwise tokens are grouped by expert over the
            // ranks. Both give bitwise the same outputs.
            if (layer.isMoe() && count == 1 && s.singleRank) {
                layer.moe().forward(s.normed, 0, s.branch, 0, s.moe, l);
            } else if (layer.isMoe()) {
                layer.moe().forwardBatch(s.normed, count, s.branch, s.moe, l);
            } else if (count == 1) {
                layer.denseMlp().forward(s.normed, 0, s.branch, 0, s.moe);
            } else {
                layer.denseMlp().forwardBatch(s.normed, 0, count, s.branch, 0, s.moe);
            }
            addInto(s.hidden, s.branch, count * hidden);
        }
        int rows = 0;
        for (int i = 0; i < batch.segments(); i++) {
            int last = batch.offset(i) + batch.count(i) - 1;
            int first = batch.allLogits(i) ? batch.offset(i) : last;
            for (int t = first; t <= last; t++) {
                Kernels.rmsNorm(s.hidden, t * hidden, norm, spec.rmsNormEps(), s.normed, rows * hidden, hidden);
                rows++;
            }
        }
        s.workers.matmul(lmHead, s.normed, 0, hidden, logits, 0, spec.vocabSize(), rows);
    }

    private static void addInto(float[] target, float[] delta, int n) {
        for (int i = 0; i < n; i++) {
            target[i] += delta[i];
        }
    }

    /** Bytes of weights one batch-1 decode step must read: the figure its speed is bound by. */
    public long decodeBytesPerToken() {
        long bytes = embedTokens.bytes() / spec.vocabSize() + lmHead.bytes() + 4L * spec.hiddenSize();
        for (DecoderLayer layer : layers) {
            bytes += layer.attention().decodeWeightBytes() + 8L * spec.hiddenSize();
            bytes += layer.isMoe() ? layer.moe().bytesPerToken() : layer.denseMlp().bytes();
        }
        return bytes;
    }

    /**
     * Bytes of weights a step reads when its tokens chose {@code routedExperts} distinct routed
     * experts (summed over the MoE layers): every dense weight once, those experts once each.
     */
    public long stepWeightBytes(int routedExperts) {
        long bytes = decodeBytesPerToken();
        long perExpert = 0;
        for (DecoderLayer layer : layers) {
            if (layer.isMoe()) {
                // Every MoE layer of a DeepSeek model has experts of one size.
                perExpert = layer.moe().experts()[0].bytes();
                bytes -= layer.moe().router().expertsPerToken() * perExpert;
            }
        }
        return bytes + routedExperts * perExpert;
    }

    public ModelSpec spec() {
        return spec;
    }

    public MlaSpec mlaSpec() {
        return mla;
    }

    /** Scratch for one worker running this model, every expert on one rank. */
    public ForwardScratch newScratch(CpuWorkers workers) {
        return newScratch(workers, ExpertParallelConfig.SINGLE);
    }

    /**
     * Scratch for one worker running this model with experts spread over expert-parallel ranks.
     *
     * @param workers {@code ep.size() × n} threads: {@code n} per rank
     */
    public ForwardScratch newScratch(CpuWorkers workers, ExpertParallelConfig ep) {
        boolean[] moeLayers = new boolean[layers.length];
        for (int l = 0; l < layers.length; l++) {
            moeLayers[l] = layers[l].isMoe();
        }
        int experts = Math.max(1, spec.numRoutedExperts());
        ExpertPlacement placement = new ExpertPlacement(ep, moeLayers, experts);
        ExpertDispatcher dispatcher = new ExpertDispatcher(workers, placement, new ExpertLoad(layers.length, experts, ep.size()),
                spec.hiddenSize(), spec.maxIntermediateSize(), experts, Math.max(1, spec.expertsPerToken()));
        return new ForwardScratch(spec, mla, workers, dispatcher);
    }

    /** {@code embed_tokens} {@code [vocab, hidden]}. */
    public Linear embedTokens() {
        return embedTokens;
    }

    /** The final {@code norm} {@code [hidden]}. */
    public float[] norm() {
        return norm;
    }

    /** {@code lm_head} {@code [vocab, hidden]}. */
    public Linear lmHead() {
        return lmHead;
    }

    /**
     * Refuses a step that reaches beyond the context or names a token outside the vocabulary, with
     * the offending position or id: the same checks whichever backend runs the step.
     */
    public void checkStep(StepBatch batch) {
        for (int i = 0; i < batch.segments(); i++) {
            int end = batch.startPosition(i) + batch.count(i);
            if (end > spec.maxPositions()) {
                throw new IllegalArgumentException("positions up to " + end + " exceed the model's context of "
                        + spec.maxPositions() + " tokens (max_position_embeddings)");
            }
            for (int t = batch.offset(i); t < batch.offset(i) + batch.count(i); t++) {
                int token = batch.tokenId(t);
                if (token < 0 || token >= spec.vocabSize()) {
                    throw new IllegalArgumentException("token id " + token + " at position " + (batch.startPosition(i) + t - batch.offset(i))
                            + " is outside the vocabulary [0, " + spec.vocabSize() + ")");
                }
            }
        }
    }

    public int numLayers() {
        return layers.length;
    }

    public DecoderLayer layer(int index) {
        return layers[index];
    }
}
