package io.streamseek.gpu.backend.cuda;

import java.util.Map;

/**
 * The {@code elementwise} module ({@code elementwise.cu}) emulated: embedding lookup, RMSNorm,
 * RoPE, the latent cache write, the residual add and SwiGLU gating, each as the CPU backend's
 * {@code Kernels} / {@code RotaryEmbedding} compute them.
 */
final class EmulatedElementwise {

    private EmulatedElementwise() {
    }

    static Map<String, EmulatedKernels.Emulation> emulations() {
        return Map.of(
                "embedding_f32", (m, a) -> embedding(m, a, EmulatedWeights.F32, false),
                "embedding_bf16", (m, a) -> embedding(m, a, EmulatedWeights.BF16, false),
                "embedding_e4m3", (m, a) -> embedding(m, a, EmulatedWeights.E4M3, true),
                "rms_norm", (m, a) -> rmsNorm(m, a, false),
                "rms_norm_gather", (m, a) -> rmsNorm(m, a, true),
                "rope", EmulatedElementwise::rope,
                "latent_cache_write", EmulatedElementwise::latentCacheWrite,
                "add_inplace", EmulatedElementwise::addInPlace,
                "silu_mul", EmulatedElementwise::siluMul);
    }

    /** out[t, c] = table[tokens[t], c] decoded from the table's storage format. */
    private static void embedding(EmulatedMemory m, EmulatedArgs a, int format, boolean scaled) {
        long table = a.ptr("table");
        long scales = scaled ? a.ptr("scales") : 0;
        long tokens = a.ptr("tokens");
        long out = a.ptr("out");
        int count = a.i32("count");
        int hidden = a.i32("hidden");
        EmulatedWeights weights = new EmulatedWeights(m, format, table, scales, hidden);
        for (int t = 0; t < count; t++) {
            int token = m.i32(tokens, t);
            for (int c = 0; c < hidden; c++) {
                m.f32(out, (long) t * hidden + c, weights.get(token, c));
            }
        }
    }

    private static void rmsNorm(EmulatedMemory m, EmulatedArgs a, boolean gather) {
        long x = a.ptr("x");
        int xStride = a.i32("x_stride");
        long rowIndex = gather ? a.ptr("row_index") : 0;
        long weight = a.ptr("weight");
        float eps = a.f32("eps");
        long out = a.ptr("out");
        int outStride = a.i32("out_stride");
        int rows = a.i32("rows");
        int n = a.i32("n");
        for (int r = 0; r < rows; r++) {
            long source = gather ? m.i32(rowIndex, r) : r;
            normRow(m, x + 4 * source * xStride, weight, eps, out + 4L * r * outStride, n);
        }
    }

    /**
     * {@code out = x * (1 / sqrt(mean(x²) + eps)) * weight} over n values, f32 throughout as the
     * kernel's {@code norm_row} (the CPU takes the square root in double: at most an ulp apart).
     * The whole row is read before any of it is written, so x may be out.
     */
    static void normRow(EmulatedMemory m, long x, long weight, float eps, long out, int n) {
        float squares = 0f;
        for (int i = 0; i < n; i++) {
            float v = m.f32(x, i);
            squares += v * v;
        }
        float inv = 1f / (float) Math.sqrt(squares / (float) n + eps);
        for (int i = 0; i < n; i++) {
            m.f32(out, i, m.f32(x, i) * inv * m.f32(weight, i));
        }
    }

    private static void rope(EmulatedMemory m, EmulatedArgs a) {
        long x = a.ptr("x");
        int rowStride = a.i32("row_stride");
        int offset = a.i32("offset");
        int headStride = a.i32("head_stride");
        int heads = a.i32("heads");
        long positions = a.ptr("positions");
        long cos = a.ptr("cos");
        long sin = a.ptr("sin");
        int half = a.i32("half");
        int rows = a.i32("rows");
        for (int r = 0; r < rows; r++) {
            long table = (long) m.i32(positions, r) * half;
            for (int h = 0; h < heads; h++) {
                long pair = x + 4 * ((long) r * rowStride + offset + (long) h * headStride);
                for (int i = 0; i < half; i++) {
                    rotatePair(m, pair + 8L * i, pair + 8L * i, m.f32(cos, table + i), m.f32(sin, table + i));
                }
            }
        }
    }

    /** The interleaved pair at {@code from} rotated into {@code to}: RotaryEmbedding.rotate's arithmetic. */
    private static void rotatePair(EmulatedMemory m, long from, long to, float c, float s) {
        float x0 = m.f32(from, 0);
        float x1 = m.f32(from, 1);
        m.f32(to, 0, x0 * c - x1 * s);
        m.f32(to, 1, x0 * s + x1 * c);
    }

    /** Latent row [rms_norm(c_kv), rope(k_pe)] of each token into its cache slot. */
    private static void latentCacheWrite(EmulatedMemory m, EmulatedArgs a) {
        long kv = a.ptr("kv");
        int kvStride = a.i32("kv_stride");
        long normWeight = a.ptr("norm_weight");
        float eps = a.f32("eps");
        int lora = a.i32("kv_lora_rank");
        int ropeDim = a.i32("rope_dim");
        long positions = a.ptr("positions");
        long cos = a.ptr("cos");
        long sin = a.ptr("sin");
        long slotBlock = a.ptr("slot_block");
        long slotIndex = a.ptr("slot_index");
        long cache = a.ptr("cache");
        int layer = a.i32("layer");
        int numLayers = a.i32("num_layers");
        int blockSize = a.i32("block_size");
        int rows = a.i32("rows");
        int width = lora + ropeDim;
        int half = ropeDim / 2;
        for (int t = 0; t < rows; t++) {
            long slot = ((long) m.i32(slotBlock, t) * numLayers + layer) * blockSize + m.i32(slotIndex, t);
            long dest = cache + 4 * slot * width;
            long src = kv + 4L * t * kvStride;
            normRow(m, src, normWeight, eps, dest, lora);
            long table = (long) m.i32(positions, t) * half;
            for (int i = 0; i < half; i++) {
                rotatePair(m, src + 4L * (lora + 2 * i), dest + 4L * (lora + 2 * i), m.f32(cos, table + i), m.f32(sin, table + i));
            }
        }
    }

    private static void addInPlace(EmulatedMemory m, EmulatedArgs a) {
        long h = a.ptr("h");
        long delta = a.ptr("delta");
        int n = a.i32("n");
        for (int i = 0; i < n; i++) {
            m.f32(h, i, m.f32(h, i) + m.f32(delta, i));
        }
    }

    /** gate = silu(gate) * up, silu(g) = g / (1 + exp(-g)) as Kernels.siluMul. */
    private static void siluMul(EmulatedMemory m, EmulatedArgs a) {
        long gate = a.ptr("gate");
        int gateStride = a.i32("gate_stride");
        long up = a.ptr("up");
        int upStride = a.i32("up_stride");
        int rows = a.i32("rows");
        int n = a.i32("n");
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < n; c++) {
                long g = (long) r * gateStride + c;
                m.f32(gate, g, silu(m.f32(gate, g)) * m.f32(up, (long) r * upStride + c));
            }
        }
    }

    static float silu(float g) {
        return g / (1f + (float) Math.exp(-g));
    }
}
