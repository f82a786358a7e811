package io.streamseek.gpu.backend.cuda;

import io.streamseek.gpu.attention.RotaryEmbedding;
import io.streamseek.gpu.backend.cpu.Kernels;
import io.streamseek.gpu.backend.cpu.Linear;
import io.streamseek.gpu.backend.cpu.ScalarDot;
import io.streamseek.gpu.backend.cuda.driver.DevicePointer;
import io.streamseek.gpu.backend.cuda.kernel.ElementwiseKernels;
import io.streamseek.gpu.backend.cuda.kernel.KernelSignature;
import io.streamseek.gpu.backend.cuda.kernel.LinearKernels;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The element-wise and linear kernels against the CPU backend's own functions, launched through the
 * runner's {@link DeviceKernels}: run on the emulator by {@link EmulatedKernelsTest} and on a GPU by
 * {@link ElementwiseAndLinearKernelsGpuTest}. MLA and MoE: {@link MlaKernelChecks},
 * {@link MoeKernelChecks}.
 */
abstract class ElementwiseAndLinearKernelChecks extends KernelChecks {

    static final long SEED = 42;

    @Test
    void embeddingDecodesEachFormatAsLinearCopyRow() {
        KernelTestDevice device = device();
        DeviceKernels kernels = device.kernels;
        int vocab = 260;
        int hidden = 136; // E4M3 scales [3, 2]
        int[] tokens = {5, 259, 130, 0};
        float[] table = device.uniform(vocab * hidden, 1f);
        short[] bits = device.bf16(vocab * hidden);
        byte[] codes = device.e4m3(vocab * hidden);
        float[] scales = device.scales(vocab, hidden);
        Linear[] references = {Linear.ofFloats(vocab, hidden, table), Linear.bf16(vocab, hidden, bits, Linear.Layout.ROWS),
                Linear.e4m3(vocab, hidden, ByteBuffer.wrap(codes), scales)};
        DevicePointer[] tables = {device.floats("f32 table", table), device.shorts("bf16 table", bits), device.bytes("e4m3 table", codes)};
        DevicePointer scaleTable = device.floats("e4m3 scales", scales);
        DevicePointer tokenIds = device.ints("tokens", tokens);
        KernelSignature[] kernelOf = {ElementwiseKernels.EMBEDDING_F32, ElementwiseKernels.EMBEDDING_BF16, ElementwiseKernels.EMBEDDING_E4M3};
        for (int f = 0; f < references.length; f++) {
            DevicePointer out = device.output("embedded", tokens.length * hidden);
            kernels.embedding(references[f].format(), tables[f], scaleTable, hidden, tokenIds, out, tokens.length);
            float[] expected = new float[tokens.length * hidden];
            for (int t = 0; t < tokens.length; t++) {
                references[f].copyRow(tokens[t], expected, t * hidden);
            }
            assertOutput(kernelOf[f], device.read(out, expected.length), expected, 0);
        }
    }

    @Test
    void rmsNormMatchesKernelsRmsNormWithStridesInPlaceAndGathered() {
        KernelTestDevice device = device();
        DeviceKernels kernels = device.kernels;
        int rows = 3;
        int n = 300;
        int xStride = 310;
        int outStride = 305;
        float eps = 1e-6f;
        float[] x = device.uniform(rows * xStride, 2f);
        float[] weight = device.uniform(n, 1.5f);
        float[] expected = new float[rows * outStride];
        Arrays.fill(expected, Float.NaN);
        for (int r = 0; r < rows; r++) {
            Kernels.rmsNorm(x, r * xStride, weight, eps, expected, r * outStride, n);
        }
        DevicePointer xs = device.floats("x", x);
        DevicePointer w = device.floats("weight", weight);
        DevicePointer out = device.output("out", rows * outStride);
        kernels.rmsNorm(xs, xStride, w, eps, out, outStride, rows, n);
        assertOutput(ElementwiseKernels.RMS_NORM, device.read(out, rows * outStride), expected, 1e-5); // NaN stride gaps: untouched

        DevicePointer inPlace = device.floats("in place", x);
        kernels.rmsNorm(inPlace, xStride, w, eps, inPlace, xStride, rows, n);
        float[] normed = device.read(inPlace, rows * xStride);
        for (int r = 0; r < rows; r++) {
            assertOutput(ElementwiseKernels.RMS_NORM, Arrays.copyOfRange(normed, r * xStride, r * xStride + n),
                    Arrays.copyOfRange(expected, r * outStride, r * outStride + n), 1e-5);
        }

        DevicePointer gathered = device.output("gathered", 3 * n);
        kernels.rmsNormGather(xs, xStride, device.ints("row index", 2, 0, 2), w, eps, gathered, n, 3, n);
        float[] rowsOut = device.read(gathered, 3 * n);
        int[] from = {2, 0, 2};
        for (int i = 0; i < 3; i++) {
            assertOutput(ElementwiseKernels.RMS_NORM_GATHER, Arrays.copyOfRange(rowsOut, i * n, (i + 1) * n),
                    Arrays.copyOfRange(expected, from[i] * outStride, from[i] * outStride + n), 1e-5);
        }
    }

    @Test
    void ropeRotatesEveryHeadsPairsAsRotaryEmbeddingRotate() {
        KernelTestDevice device = device();
        DeviceKernels kernels = device.kernels;
        int rows = 3;
        int heads = 4;
        int nope = 6;
        int ropeDim = 8;
        int qk = nope + ropeDim;
        int[] positions = {0, 7, 31};
        RotaryEmbedding rope = RotaryEmbedding.plain(ropeDim, 10000, 32);
        float[] q = device.uniform(rows * heads * qk, 1f);
        float[] expected = q.clone();
        for (int r = 0; r < rows; r++) {
            rope.rotate(expected, r * heads * qk + nope, qk, heads, positions[r]);
        }
        DevicePointer x = device.floats("q", q);
        kernels.rope(x, heads * qk, nope, qk, heads, device.ints("positions", positions), device.floats("cos", rope.cosTable()),
                device.floats("sin", rope.sinTable()), ropeDim / 2, rows);
        assertOutput(ElementwiseKernels.ROPE, device.read(x, q.length), expected, 0);
    }

    @Test
    void latentCacheWriteStoresNormalisedCkvAndRopedKpeInTheTokensSlots() {
        KernelTestDevice device = device();
        DeviceKernels kernels = device.kernels;
        int lora = 16;
        int ropeDim = 8;
        int width = lora + ropeDim;
        int kvStride = width + 4;
        int numLayers = 2;
        int layer = 1;
        int blockSize = 4;
        int numBlocks = 3;
        int[] slotBlock = {2, 0, 2};
        int[] slotIndex = {3, 1, 0};
        int[] positions = {11, 1, 8};
        float eps = 1e-6f;
        RotaryEmbedding rope = RotaryEmbedding.plain(ropeDim, 10000, 16);
        float[] kv = device.uniform(3 * kvStride, 3f);
        float[] weight = device.uniform(lora, 1f);
        float[] expected = new float[numBlocks * numLayers * blockSize * width];
        for (int t = 0; t < 3; t++) {
            int row = ((slotBlock[t] * numLayers + layer) * blockSize + slotIndex[t]) * width;
            Kernels.rmsNorm(kv, t * kvStride, weight, eps, expected, row, lora);
            System.arraycopy(kv, t * kvStride + lora, expected, row + lora, ropeDim);
            rope.rotate(expected, row + lora, ropeDim, 1, positions[t]);
        }
        DevicePointer cache = device.floats("latent cache", new float[expected.length]);
        kernels.latentCacheWrite(device.floats("kv", kv), kvStride, device.floats("kv_a_layernorm", weight), eps, lora, ropeDim,
                device.ints("positions", positions), device.floats("cos", rope.cosTable()), device.floats("sin", rope.sinTable()),
                device.ints("slot block", slotBlock), device.ints("slot index", slotIndex), cache, layer, numLayers, blockSize, 3);
        assertOutput(ElementwiseKernels.LATENT_CACHE_WRITE, device.read(cache, expected.length), expected, 1e-5);
    }

    @Test
    void addInPlaceAndSiluMulMatchTheCpu() {
        KernelTestDevice device = device();
        DeviceKernels kernels = device.kernels;
        float[] h = device.uniform(100, 4f);
        float[] delta = device.uniform(100, 4f);
        DevicePointer hs = device.floats("h", h);
        kernels.addInPlace(hs, device.floats("delta", delta), 100);
        float[] sum = new float[100];
        for (int i = 0; i < 100; i++) {
            sum[i] = h[i] + delta[i];
        }
        assertOutput(ElementwiseKernels.ADD_INPLACE, device.read(hs, 100), sum, 0);

        int rows = 2;
        int n = 50;
        float[] gate = device.uniform(rows * 60, 6f);
        float[] up = device.uniform(rows * 55, 2f);
        float[] expected = gate.clone();
        for (int r = 0; r < rows; r++) {
            Kernels.siluMul(expected, r * 60, up, r * 55, n);
        }
        DevicePointer gates = device.floats("gate", gate);
        kernels.siluMul(gates, 60, device.floats("up", up), 55, rows, n);
        assertOutput(ElementwiseKernels.SILU_MUL, device.read(gates, gate.length), expected, 0);
    }

    @Test
    void everyLinearKernelMatchesLinearDotOfItsFormat() {
        KernelTestDevice device = device();
        DeviceKernels kernels = device.kernels;
        int tokens = 3;
        int rows = 130; // two row blocks of E4M3 scales
        int cols = 200;
        int xStride = 210;
        int outStride = 140;
        float[] x = device.uniform(tokens * xStride, 1f);
        float[] bf16x = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            bf16x[i] = ScalarDot.roundToBf16(x[i]);
        }
        float[] w = device.uniform(rows * cols, 1f);
        short[] bits = device.bf16(rows * cols);
        byte[] codes = device.e4m3(rows * cols);
        float[] scales = device.scales(rows, cols);
        Linear f32 = Linear.ofFloats(rows, cols, w);
        Linear bf16 = Linear.bf16(rows, cols, bits, Linear.Layout.ROWS);
        Linear e4m3 = Linear.e4m3(rows, cols, ByteBuffer.wrap(codes), scales);
        DevicePointer xs = device.floats("x", x);
        DevicePointer wF32 = device.floats("w f32", w);
        DevicePointer wBf16 = device.shorts("w bf16", bits);
        DevicePointer wE4m3 = device.bytes("w e4m3", codes);
        DevicePointer wScales = device.floats("w scales", scales);

        DevicePointer out = device.output("out f32", tokens * outStride);
        kernels.linearF32(xs, xStride, wF32, out, outStride, tokens, rows, cols);
        assertOutput(LinearKernels.LINEAR_F32, device.read(out, tokens * outStride), expected(f32, x, xStride, outStride, tokens), 1e-5);
        out = device.output("out bf16", tokens * outStride);
        kernels.linearBf16(xs, xStride, wBf16, out, outStride, tokens, rows, cols);
        assertOutput(LinearKernels.LINEAR_BF16, device.read(out, tokens * outStride), expected(bf16, x, xStride, outStride, tokens), 1e-5);
        out = device.output("out e4m3", tokens * outStride);
        kernels.linearE4m3(xs, xStride, wE4m3, wScales, out, outStride, tokens, rows, cols);
        assertOutput(LinearKernels.LINEAR_E4M3, device.read(out, tokens * outStride), expected(e4m3, x, xStride, outStride, tokens), 1e-5);
        // Tensor cores: the same products of activations rounded to bf16.
        out = device.output("out bf16 mma", tokens * outStride);
        kernels.linearBf16Mma(xs, xStride, wBf16, out, outStride, tokens, rows, cols);
        assertOutput(LinearKernels.LINEAR_BF16_MMA, device.read(out, tokens * outStride), expected(bf16, bf16x, xStride, outStride, tokens), 1e-5);
        out = device.output("out e4m3 mma", tokens * outStride);
        kernels.linearE4m3Mma(xs, xStride, wE4m3, wScales, out, outStride, tokens, rows, cols);
        assertOutput(LinearKernels.LINEAR_E4M3_MMA, device.read(out, tokens * outStride), expected(e4m3, bf16x, xStride, outStride, tokens), 1e-5);
    }

    /** Linear.dot per (token, row), NaN in the stride gaps the kernel must not write. */
    private static float[] expected(Linear w, float[] x, int xStride, int outStride, int tokens) {
        float[] out = new float[tokens * outStride];
        Arrays.fill(out, Float.NaN);
        for (int t = 0; t < tokens; t++) {
            for (int r = 0; r < w.rows(); r++) {
                out[t * outStride + r] = w.dot(r, x, t * xStride);
            }
        }
        return out;
    }
}
