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
}
