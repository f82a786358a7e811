package io.streamseek.gpu.backend.cpu;

/**
 * Element-wise and row kernels of the forward pass, on f32 activations. Each works on one row at
 * a time with a fixed order of operations, so a token's result never depends on its batch.
 */
public final class Kernels {

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
        for (int i = 0; i < n; i++) {
            y[yOffset + i] += a * x[xOffset + i];
        }
    }

    /** Dot product of two f32 vectors in index order. */
    public static float dot(float[] a, int aOffset, float[] b, int bOffset, int n) {
        float sum = 0f;
        for (int i = 0; i < n; i++) {
            sum += a[aOffset + i] * b[bOffset + i];
        }
        return sum;
    }
}
