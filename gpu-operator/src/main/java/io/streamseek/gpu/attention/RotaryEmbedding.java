package io.streamseek.gpu.attention;

/**
 * Rotary position embedding of the {@code qk_rope_head_dim} part of queries and keys, with DeepSeek's
 * YaRN extension. Tables are precomputed for every position up to {@code max_position_embeddings}.
 *
 * <p>Layout: the checkpoint's rope dims are interleaved pairs {@code (x[2i], x[2i+1])}, rotated by
 * the angle {@code position × inv_freq[i]} — the official code views them as complex numbers. (Hugging
 * Face's modeling code permutes them to halves first; the dot products come out the same, but a cache
 * written in one layout cannot be read in the other.)
 *
 * <p>YaRN: frequencies below the correction range are divided by {@code factor}
 * (interpolated), those above are kept (extrapolated), with a linear ramp between; cos/sin are scaled
 * by {@code yarn_mscale(factor, mscale) / yarn_mscale(factor, mscale_all_dim)} (1 for DeepSeek's
 * published configs). The matching softmax-scale correction is {@link #softmaxScale}.
 */
public final class RotaryEmbedding {

    private final int dim;
    private final int maxPositions;
    private final float[] cos; // [maxPositions, dim / 2]
    private final float[] sin; // [maxPositions, dim / 2]

    private RotaryEmbedding(int dim, int maxPositions, double[] invFreq, double mscale) {
        this.dim = dim;
        this.maxPositions = maxPositions;
        int half = dim / 2;
        this.cos = new float[maxPositions * half];
        this.sin = new float[maxPositions * half];
        for (int p = 0; p < maxPositions; p++) {
            for (int i = 0; i < half; i++) {
                // Angles in f32 as the reference computes them (torch.outer over float32 tensors).
                float angle = (float) p * (float) invFreq[i];
                cos[p * half + i] = (float) (Math.cos(angle) * mscale);
                sin[p * half + i] = (float) (Math.sin(angle) * mscale);
            }
        }
    }

    /** Plain RoPE: {@code inv_freq[i] = theta^(-2i/dim)}. */
    public static RotaryEmbedding plain(int dim, double theta, int maxPositions) {
        return new RotaryEmbedding(dim, maxPositions, baseInvFreq(dim, theta), 1.0);
    }

    /** RoPE with YaRN scaling, as DeepSeek-V2/V3 configure it under {@code rope_scaling}. */
    public static RotaryEmbedding yarn(int dim, double theta, int maxPositions, Yarn yarn) {
        double[] extrapolated = baseInvFreq(dim, theta);
        int half = dim / 2;
        double low = Math.max(Math.floor(correctionDim(yarn.betaFast(), dim, theta, yarn.originalMaxPositions())), 0);
        double high = Math.min(Math.ceil(correctionDim(yarn.betaSlow(), dim, theta, yarn.originalMaxPositions())), dim - 1);
        if (low == high) {
            high += 0.001; // avoids a division by zero, as the reference does
        }
        double[] invFreq = new double[half];
        for (int i = 0; i < half; i++) {
            float ramp = (float) Math.min(1.0, Math.max(0.0, (i - low) / (high - low)));
            float keep = 1f - ramp; // 1: extrapolate (high frequency), 0: interpolate
            float interpolated = (float) extrapolated[i] / (float) yarn.factor();
            invFreq[i] = interpolated * (1f - keep) + (float) extrapolated[i] * keep;
        }
        double mscale = yarnMscale(yarn.factor(), yarn.mscale()) / yarnMscale(yarn.factor(), yarn.mscaleAllDim());
        return new RotaryEmbedding(dim, maxPositions, invFreq, mscale);
    }

    /**
     * The attention softmax scale: {@code qk_head_dim^-0.5}, times {@code yarn_mscale(factor,
     * mscale_all_dim)^2} under YaRN (attention entropy grows with the stretched context).
     */
    public static float softmaxScale(int qkHeadDim, Yarn yarnOrNull) {
        double scale = 1.0 / Math.sqrt(qkHeadDim);
        if (yarnOrNull != null) {
            double m = yarnMscale(yarnOrNull.factor(), yarnOrNull.mscaleAllDim());
            scale *= m * m;
        }
        return (float) scale;
    }

    /** Rotates {@code heads} consecutive rope vectors of {@code dim} values, starting at {@code offset} with stride {@code stride}, for {@code position}. */
    public void rotate(float[] x, int offset, int stride, int heads, int position) {
        int half = dim / 2;
        int table = table(position);
        for (int h = 0; h < heads; h++) {
            int base = offset + h * stride;
            for (int i = 0; i < half; i++) {
                float c = cos[table + i];
                float s = sin[table + i];
                float re = x[base + 2 * i];
                float im = x[base + 2 * i + 1];
                x[base + 2 * i] = re * c - im * s;
                x[base + 2 * i + 1] = re * s + im * c;
            }
        }
    }

    /**
     * {@link #rotate} in the half-split layout — value {@code i} paired with {@code i + dim/2}, by the
     * same angle {@code position × inv_freq[i]} — which DeepSeek-V3.2's indexer uses for its queries
     * and keys (its {@code apply_rotary_emb(..., interleaved=False)}), unlike MLA's interleaved pairs.
     */
    public void rotateHalves(float[] x, int offset, int stride, int heads, int position) {
        int half = dim / 2;
        int table = table(position);
        for (int h = 0; h < heads; h++) {
            int base = offset + h * stride;
            for (int i = 0; i < half; i++) {
                float c = cos[table + i];
                float s = sin[table + i];
                float a = x[base + i];
                float b = x[base + half + i];
                x[base + i] = a * c - b * s;
                x[base + half + i] = b * c + a * s;
            }
        }
    }

    /** Where {@code position}'s angles start in the tables, or a refusal naming the context. */
    private int table(int position) {
        if (position < 0 || position >= maxPositions) {
            throw new IllegalArgumentException("position " + position + " is outside the model's context of " + maxPositions + " tokens");
        }
        return position * (dim / 2);
    }

    /** {@code cos(position × inv_freq[i]) × mscale}, {@code [max_positions, dim / 2]}; shared, not copied: do not modify. */
    public float[] cosTable() {
        return cos;
    }

    /** {@code sin(position × inv_freq[i]) × mscale}, {@code [max_positions, dim / 2]}; shared, not copied: do not modify. */
    public float[] sinTable() {
        return sin;
    }

    public int dim() {
        return dim;
    }

    public int maxPositions() {
        return maxPositions;
    }

    private static double[] baseInvFreq(int dim, double theta) {
        double[] invFreq = new double[dim / 2];
        for (int i = 0; i < dim / 2; i++) {
            // f32 as the reference: 1 / (base ** (arange(0, dim, 2, dtype=float32) / dim))
            invFreq[i] = 1f / (float) Math.pow(theta, (float) (2 * i) / dim);
        }
        return invFreq;
    }

    /** The dimension index whose wavelength completes {@code rotations} turns over the original context. */
    private static double correctionDim(double rotations, int dim, double theta, int originalMaxPositions) {
        return dim * Math.log(originalMaxPositions / (rotations * 2 * Math.PI)) / (2 * Math.log(theta));
    }

    static double yarnMscale(double factor, double mscale) {
        return factor <= 1 ? 1.0 : 0.1 * mscale * Math.log(factor) + 1.0;
    }

    /** YaRN parameters from {@code rope_scaling}. */
    public record Yarn(double factor, int originalMaxPositions, double betaFast, double betaSlow, double mscale, double mscaleAllDim) {
    }
}
