package io.streamseek.gpu.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Element-wise and row kernels of the forward pass, on f32 activations. Each works on one row at
 * a time with a fixed order of operations, so a token's result never depends on its batch.
 */
public final class Kernels {

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private Kernels() {
    }

    /** RMSNorm: {@code out = x / sqrt(mean(x^2) + eps) * weight}, over {@code n} values. */
    public static void rmsNorm(float[] x, int xOffset, float[] weight, float eps, float[] out, int outOffset, int n) {
        float sumSquares = 0f;
        for (int i = 0; i < n; i++) {
            float v = x[xOffset + i];
            sumSquares += v * v;
        }
        float inv = (float) (1.0 / Math.sqrt(sumSquares / n + eps));
        for (int i = 0; i < n; i++) {
            out[outOffset + i] = x[xOffset + i] * inv * weight[i];
        }
    }

    /**
     * LayerNorm with weight and bias, in place: {@code x = (x − mean) / sqrt(var + eps) · weight + bias}
     * over {@code n} values, the variance biased (divided by {@code n}) as torch's.
     */
    public static void layerNorm(float[] x, int offset, float[] weight, float[] bias, float eps, int n) {
        float sum = 0f;
        for (int i = 0; i < n; i++) {
            sum += x[offset + i];
        }
        float mean = sum / n;
        float squares = 0f;
        for (int i = 0; i < n; i++) {
            float d = x[offset + i] - mean;
            squares += d * d;
        }
        float inv = (float) (1.0 / Math.sqrt(squares / n + eps));
        for (int i = 0; i < n; i++) {
            x[offset + i] = (x[offset + i] - mean) * inv * weight[i] + bias[i];
        }
    }

    /** SwiGLU gating in place: {@code gate[i] = silu(gate[i]) * up[i]}. */
    public static void siluMul(float[] gate, int gateOffset, float[] up, int upOffset, int n) {
        for (int i = 0; i < n; i++) {
            float g = gate[gateOffset + i];
            gate[gateOffset + i] = g / (1f + (float) Math.exp(-g)) * up[upOffset + i];
        }
    }

    /** Softmax in place over {@code n} values. */
    public static void softmax(float[] x, int offset, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, x[offset + i]);
        }
        float sum = 0f;
        for (int i = 0; i < n; i++) {
            float e = (float) Math.exp(x[offset + i] - max);
            x[offset + i] = e;
            sum += e;
        }
        float inv = 1f / sum;
        for (int i = 0; i < n; i++) {
            x[offset + i] *= inv;
        }
    }

    /** {@code y[yOffset ..] += a * x[xOffset ..]} over {@code n} values. */
    public static void axpy(float a, float[] x, int xOffset, float[] y, int yOffset, int n) {
        FloatVector scale = FloatVector.broadcast(F, a);
        int i = 0;
        for (int upper = F.loopBound(n); i < upper; i += F.length()) {
            FloatVector.fromArray(F, x, xOffset + i).fma(scale, FloatVector.fromArray(F, y, yOffset + i)).intoArray(y, yOffset + i);
        }
        for (; i < n; i++) {
            y[yOffset + i] += a * x[xOffset + i];
        }
    }

    /**
     * Dot product of two f32 vectors. The attention hot loop: vectorised with two accumulators (the
     * JIT does not vectorise float reductions itself); the order depends only on {@code n}.
     */
    public static float dot(float[] a, int aOffset, float[] b, int bOffset, int n) {
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        int l = F.length();
        int i = 0;
        for (int upper = n - n % (2 * l); i < upper; i += 2 * l) {
            acc0 = FloatVector.fromArray(F, a, aOffset + i).fma(FloatVector.fromArray(F, b, bOffset + i), acc0);
            acc1 = FloatVector.fromArray(F, a, aOffset + i + l).fma(FloatVector.fromArray(F, b, bOffset + i + l), acc1);
        }
        float sum = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            sum += a[aOffset + i] * b[bOffset + i];
        }
        return sum;
    }

    /** f32 lanes of this machine's vectors: the granularity of {@link #transposedScores}' rows. */
    public static int lanes() {
        return F.length();
    }

    /**
     * {@code out[p] = Σ_d q[qOffset + d] · k[d·width + p]} for p in {@code [0, count)} rounded up to
     * whole vectors ({@code width} at least that): scores of one query against keys stored transposed,
     * positions in the lanes. Each lane is one FMA chain over {@code d = 0 .. dims − 1} in order,
     * whichever block of positions it falls in; four vectors of positions at a time share each
     * broadcast of {@code q[d]}.
     */
    public static void transposedScores(float[] q, int qOffset, float[] k, int width, int dims, int count, float[] out) {
        int l = F.length();
        int end = (count + l - 1) / l * l;
        int p = 0;
        for (; p + 4 * l <= end; p += 4 * l) {
            FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
            for (int d = 0, row = p; d < dims; d++, row += width) {
                FloatVector qd = FloatVector.broadcast(F, q[qOffset + d]);
                a0 = FloatVector.fromArray(F, k, row).fma(qd, a0);
                a1 = FloatVector.fromArray(F, k, row + l).fma(qd, a1);
                a2 = FloatVector.fromArray(F, k, row + 2 * l).fma(qd, a2);
                a3 = FloatVector.fromArray(F, k, row + 3 * l).fma(qd, a3);
            }
            a0.intoArray(out, p);
            a1.intoArray(out, p + l);
            a2.intoArray(out, p + 2 * l);
            a3.intoArray(out, p + 3 * l);
        }
        for (; p < end; p += l) {
            FloatVector a0 = FloatVector.zero(F);
            for (int d = 0, row = p; d < dims; d++, row += width) {
                a0 = FloatVector.fromArray(F, k, row).fma(FloatVector.broadcast(F, q[qOffset + d]), a0);
            }
            a0.intoArray(out, p);
        }
    }

    /**
     * {@code out[outOffset ..] = Σ_j p[pOffset + j] · x[xOffset + j·stride ..]} over {@code count}
     * rows of {@code n} values: bitwise zero-filling {@code out} and calling {@link #axpy} per row,
     * but each group of four output vectors stays in registers across all rows instead of being
     * loaded and stored once per row. Attention's probability-weighted sum of values.
     */
    public static void weightedRows(float[] p, int pOffset, int count, float[] x, int xOffset, int stride, float[] out, int outOffset, int n) {
        int l = F.length();
        int i = 0;
        for (int upper = F.loopBound(n) - F.loopBound(n) % (4 * l); i < upper; i += 4 * l) {
            FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
            for (int j = 0, row = xOffset + i; j < count; j++, row += stride) {
                FloatVector scale = FloatVector.broadcast(F, p[pOffset + j]);
                a0 = FloatVector.fromArray(F, x, row).fma(scale, a0);
                a1 = FloatVector.fromArray(F, x, row + l).fma(scale, a1);
                a2 = FloatVector.fromArray(F, x, row + 2 * l).fma(scale, a2);
                a3 = FloatVector.fromArray(F, x, row + 3 * l).fma(scale, a3);
            }
            a0.intoArray(out, outOffset + i);
            a1.intoArray(out, outOffset + i + l);
            a2.intoArray(out, outOffset + i + 2 * l);
            a3.intoArray(out, outOffset + i + 3 * l);
        }
        for (int upper = F.loopBound(n); i < upper; i += l) {
            FloatVector a0 = FloatVector.zero(F);
            for (int j = 0, row = xOffset + i; j < count; j++, row += stride) {
                a0 = FloatVector.fromArray(F, x, row).fma(FloatVector.broadcast(F, p[pOffset + j]), a0);
            }
            a0.intoArray(out, outOffset + i);
        }
        for (; i < n; i++) {
            float sum = 0f;
            for (int j = 0; j < count; j++) {
                sum += p[pOffset + j] * x[xOffset + j * stride + i];
            }
            out[outOffset + i] = sum;
        }
    }
}
