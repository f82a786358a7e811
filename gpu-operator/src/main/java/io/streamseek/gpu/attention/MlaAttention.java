package io.streamseek.gpu.attention;

import io.streamseek.gpu.backend.cpu.Kernels;
import io.streamseek.gpu.backend.cpu.Linear;
import io.streamseek.gpu.cache.LatentCache;

/**
 * Multi-head latent attention of one layer, with the two paths of the official code side by side:
 *
 * <ul>
 *   <li>{@link Path#NAIVE}: expand every cached latent into per-head keys and values with
 *       {@code kv_b_proj}, then attend as ordinary multi-head attention. The clearer path.</li>
 *   <li>{@link Path#ABSORBED}: fold the key half of {@code kv_b_proj} into the query and its value
 *       half into the output, and attend directly over the cached latent {@code c_kv} + {@code k_pe}.
 *       Reads {@code kv_lora_rank + qk_rope_head_dim} values per cached token instead of
 *       {@code heads × (qk_head_dim + v_head_dim)}: the decode path.</li>
 * </ul>
 *
 * Both write the new tokens' latent rows into the cache first, then attend causally over positions
 * {@code [0, position]} for each token.
 */
public final class MlaAttention {

    /** Which of the two equivalent attention computations to run. */
    public enum Path { NAIVE, ABSORBED }

    private final MlaSpec spec;
    private final MlaWeights weights;
    private final RotaryEmbedding rope;
    private final int layer;
    private final float[] kvB; // kv_b_proj in f32 [heads × (nope + v), kv_lora_rank], read column-wise by the absorbed path

    public MlaAttention(MlaSpec spec, MlaWeights weights, RotaryEmbedding rope, int layer) {
        this.spec = spec;
        this.weights = weights;
        this.rope = rope;
        this.layer = layer;
        Linear b = weights.kvBProj();
        this.kvB = new float[b.rows() * b.cols()];
        for (int r = 0; r < b.rows(); r++) {
            for (int c = 0; c < b.cols(); c++) {
                kvB[r * b.cols() + c] = b.get(r, c);
            }
        }
    }

    /**
     * Attention for {@code numTokens} consecutive tokens starting at {@code startPos}.
     *
     * @param x normalised hidden states {@code [numTokens, hidden]}
     * @param out receives the attention output {@code [numTokens, hidden]} (after {@code o_proj})
     */
    public void forward(float[] x, int numTokens, int startPos, LatentCache cache, float[] out, Path path, MlaScratch s) {
        int heads = spec.numHeads();
        int qk = spec.qkHeadDim();
        int nope = spec.qkNopeHeadDim();
        int ropeDim = spec.qkRopeHeadDim();
        int lora = spec.kvLoraRank();
        int hidden = spec.hiddenSize();
        s.ensure(numTokens, startPos + numTokens);
        cache.extendTo(startPos + numTokens);

        for (int t = 0; t < numTokens; t++) {
            int position = startPos + t;
            int xo = t * hidden;
            // Query: [heads, nope + rope], rope part rotated.
            // Both down-projections of x in one parallel dispatch: the latent row and the query's.
            Linear first = weights.qAProj() != null ? weights.qAProj() : weights.qBProj();
            s.pair[0] = first;
            s.pair[1] = weights.kvAProjWithMqa();
            s.pairInputs[0] = x;
            s.pairInputs[1] = x;
            s.pairInputOffsets[0] = xo;
            s.pairInputOffsets[1] = xo;
            s.pairOutputs[0] = weights.qAProj() != null ? s.qa : s.q;
            s.pairOutputs[1] = s.kv;
            s.pairOutputOffsets[0] = weights.qAProj() != null ? 0 : t * heads * qk;
            s.workers.matvecs(2, s.pair, s.pairInputs, s.pairInputOffsets, s.pairOutputs, s.pairOutputOffsets);
            if (weights.qAProj() != null) {
                Kernels.rmsNorm(s.qa, 0, weights.qALayernorm(), spec.rmsNormEps(), s.qa, 0, spec.qLoraRank());
                s.workers.matvec(weights.qBProj(), s.qa, 0, s.q, t * heads * qk);
            }
            rope.rotate(s.q, t * heads * qk + nope, qk, heads, position);
            // Latent row: normalised c_kv, then roped k_pe (one head shared by all).
            float[] row = cache.rowArray(layer, position);
            int ro = cache.rowOffset(layer, position);
            Kernels.rmsNorm(s.kv, 0, weights.kvALayernorm(), spec.rmsNormEps(), row, ro, lora);
            System.arraycopy(s.kv, lora, row, ro + lora, ropeDim);
            rope.rotate(row, ro + lora, ropeDim, 1, position);
        }

        for (int t = 0; t < numTokens; t++) {
            int context = startPos + t + 1;
            if (path == Path.NAIVE) {
                attendNaive(t, context, cache, s);
            } else {
                attendAbsorbed(t, context, cache, s);
            }
            s.workers.matvec(weights.oProj(), s.attn, t * heads * spec.vHeadDim(), out, t * hidden);
        }
    }

    private void attendNaive(int t, int context, LatentCache cache, MlaScratch s) {
        int heads = spec.numHeads();
        int qk = spec.qkHeadDim();
        int nope = spec.qkNopeHeadDim();
        int ropeDim = spec.qkRopeHeadDim();
        int lora = spec.kvLoraRank();
        int v = spec.vHeadDim();
        int kvRow = nope + v;
        for (int h = 0; h < heads; h++) {
            int qo = t * heads * qk + h * qk;
            for (int pos = 0; pos < context; pos++) {
                float[] row = cache.rowArray(layer, pos);
                int ro = cache.rowOffset(layer, pos);
                // k = [kv_b_proj(c_kv) key half of head h, k_pe]
                float score = 0f;
                for (int d = 0; d < nope; d++) {
                    float k = Kernels.dot(kvB, (h * kvRow + d) * lora, row, ro, lora);
                    score += s.q[qo + d] * k;
                }
                score += Kernels.dot(s.q, qo + nope, row, ro + lora, ropeDim);
                s.scores[pos] = score * spec.softmaxScale();
            }
            Kernels.softmax(s.scores, 0, context);
            int ao = t * heads * v + h * v;
            for (int d = 0; d < v; d++) {
                s.attn[ao + d] = 0f;
            }
            for (int pos = 0; pos < context; pos++) {
                float[] row = cache.rowArray(layer, pos);
                int ro = cache.rowOffset(layer, pos);
                for (int d = 0; d < v; d++) {
                    float value = Kernels.dot(kvB, (h * kvRow + nope + d) * lora, row, ro, lora);
                    s.attn[ao + d] += s.scores[pos] * value;
                }
            }
        }
    }

    private void attendAbsorbed(int t, int context, LatentCache cache, MlaScratch s) {
        int heads = spec.numHeads();
        int qk = spec.qkHeadDim();
        int nope = spec.qkNopeHeadDim();
        int ropeDim = spec.qkRopeHeadDim();
        int lora = spec.kvLoraRank();
        int v = spec.vHeadDim();
        int kvRow = nope + v;
        for (int h = 0; h < heads; h++) {
            int qo = t * heads * qk + h * qk;
            // q_abs[c] = Σ_d q_nope[d] · W_k[h, d, c]: the query moved into latent space.
            java.util.Arrays.fill(s.qAbs, 0, lora, 0f);
            for (int d = 0; d < nope; d++) {
                Kernels.axpy(s.q[qo + d], kvB, (h * kvRow + d) * lora, s.qAbs, 0, lora);
            }
            for (int pos = 0; pos < context; pos++) {
                float[] row = cache.rowArray(layer, pos);
                int ro = cache.rowOffset(layer, pos);
                float score = Kernels.dot(s.qAbs, 0, row, ro, lora) + Kernels.dot(s.q, qo + nope, row, ro + lora, ropeDim);
                s.scores[pos] = score * spec.softmaxScale();
            }
            Kernels.softmax(s.scores, 0, context);
            // o_lat = Σ_pos p · c_kv[pos], then out[d] = W_v[h, d, :] · o_lat.
            java.util.Arrays.fill(s.oLatent, 0, lora, 0f);
            for (int pos = 0; pos < context; pos++) {
                Kernels.axpy(s.scores[pos], cache.rowArray(layer, pos), cache.rowOffset(layer, pos), s.oLatent, 0, lora);
            }
            int ao = t * heads * v + h * v;
            for (int d = 0; d < v; d++) {
                s.attn[ao + d] = Kernels.dot(kvB, (h * kvRow + nope + d) * lora, s.oLatent, 0, lora);
            }
        }
    }

    /**
     * Bytes of weights one decode step reads in this layer: the projections in their storage dtype
     * and the f32 copy of {@code kv_b_proj} that the absorbed path reads.
     */
    public long decodeWeightBytes() {
        long bytes = weights.kvAProjWithMqa().bytes() + weights.oProj().bytes() + weights.qBProj().bytes() + 4L * kvB.length;
        return weights.qAProj() == null ? bytes : bytes + weights.qAProj().bytes();
    }

    public MlaSpec spec() {
        return spec;
    }
}
