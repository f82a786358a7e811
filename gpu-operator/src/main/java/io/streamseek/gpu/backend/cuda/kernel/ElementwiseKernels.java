package io.streamseek.gpu.backend.cuda.kernel;

import java.util.List;

import static io.streamseek.gpu.backend.cuda.kernel.KernelSignature.f32;
import static io.streamseek.gpu.backend.cuda.kernel.KernelSignature.i32;
import static io.streamseek.gpu.backend.cuda.kernel.KernelSignature.ptr;

/**
 * The element-wise and row kernels of {@code src/main/cuda/elementwise.cu}: embedding lookup,
 * RMSNorm, RoPE, the MLA latent cache write, the residual add and SwiGLU gating, and how each is
 * launched. Row kernels run one block of {@link #ROW_THREADS} threads per row (the thread layout is
 * the row's reduction order, so it is fixed here and in the CUDA source alike); element kernels one
 * thread per value.
 */
public final class ElementwiseKernels {

    public static final String MODULE = "elementwise";
    /** Threads per block of the one-block-per-row kernels: {@code ROW_THREADS} in elementwise.cu. */
    public static final int ROW_THREADS = 256;
    /** Threads per block of the one-thread-per-value kernels. */
    public static final int ELEMENT_THREADS = 256;

    public static final KernelSignature EMBEDDING_F32 = KernelSignature.of(MODULE, "embedding_f32",
            ptr("table"), ptr("tokens"), ptr("out"), i32("count"), i32("hidden"));
    public static final KernelSignature EMBEDDING_BF16 = KernelSignature.of(MODULE, "embedding_bf16",
            ptr("table"), ptr("tokens"), ptr("out"), i32("count"), i32("hidden"));
    public static final KernelSignature EMBEDDING_E4M3 = KernelSignature.of(MODULE, "embedding_e4m3",
            ptr("table"), ptr("scales"), ptr("tokens"), ptr("out"), i32("count"), i32("hidden"));
    public static final KernelSignature RMS_NORM = KernelSignature.of(MODULE, "rms_norm",
            ptr("x"), i32("x_stride"), ptr("weight"), f32("eps"), ptr("out"), i32("out_stride"), i32("rows"), i32("n"));
    public static final KernelSignature RMS_NORM_GATHER = KernelSignature.of(MODULE, "rms_norm_gather",
            ptr("x"), i32("x_stride"), ptr("row_index"), ptr("weight"), f32("eps"), ptr("out"), i32("out_stride"),
            i32("rows"), i32("n"));
    public static final KernelSignature ROPE = KernelSignature.of(MODULE, "rope",
            ptr("x"), i32("row_stride"), i32("offset"), i32("head_stride"), i32("heads"), ptr("positions"), ptr("cos"),
            ptr("sin"), i32("half"), i32("rows"));
    public static final KernelSignature LATENT_CACHE_WRITE = KernelSignature.of(MODULE, "latent_cache_write",
            ptr("kv"), i32("kv_stride"), ptr("norm_weight"), f32("eps"), i32("kv_lora_rank"), i32("rope_dim"),
            ptr("positions"), ptr("cos"), ptr("sin"), ptr("slot_block"), ptr("slot_index"), ptr("cache"), i32("layer"),
            i32("num_layers"), i32("block_size"), i32("rows"));
    public static final KernelSignature ADD_INPLACE = KernelSignature.of(MODULE, "add_inplace",
            ptr("h"), ptr("delta"), i32("n"));
    public static final KernelSignature SILU_MUL = KernelSignature.of(MODULE, "silu_mul",
            ptr("gate"), i32("gate_stride"), ptr("up"), i32("up_stride"), i32("rows"), i32("n"));

    private ElementwiseKernels() {
    }

    public static List<KernelSignature> signatures() {
        return List.of(EMBEDDING_F32, EMBEDDING_BF16, EMBEDDING_E4M3, RMS_NORM, RMS_NORM_GATHER, ROPE, LATENT_CACHE_WRITE,
                ADD_INPLACE, SILU_MUL);
    }

    /** Any {@code embedding_*}: one block per token, its threads striding over the hidden size. */
    public static LaunchGeometry embeddingGeometry(int count, int hidden) {
        return rowGeometry("embedding", "tokens", count, "hidden", hidden);
    }

    /** {@code rms_norm}: one block per row of {@code n} values. */
    public static LaunchGeometry rmsNormGeometry(int rows, int n) {
        return rowGeometry("rms_norm", "rows", rows, "n", n);
    }

    /** {@code rms_norm_gather}: one block per gathered row ({@code rows} = length of row_index). */
    public static LaunchGeometry rmsNormGatherGeometry(int rows, int n) {
        return rowGeometry("rms_norm_gather", "rows", rows, "n", n);
    }

    /** {@code rope}: one thread per rotated pair, {@code rows × heads × half} of them. */
    public static LaunchGeometry ropeGeometry(int rows, int heads, int half) {
        positive("rope", "rows", rows);
        positive("rope", "heads", heads);
        positive("rope", "half", half);
        return elements("rope", (long) rows * heads * half);
    }

    /**
     * {@code latent_cache_write}: one block per token row; its threads normalise the
     * {@code kv_lora_rank} values, then rotate the {@code rope_dim / 2} pairs of k_pe.
     */
    public static LaunchGeometry latentCacheWriteGeometry(int rows, int kvLoraRank, int ropeDim) {
        positive("latent_cache_write", "kv_lora_rank", kvLoraRank);
        if (ropeDim < 2 || ropeDim % 2 != 0) {
            throw new IllegalArgumentException("latent_cache_write rotates interleaved pairs: rope_dim must be even and at least 2, got "
                    + ropeDim);
        }
        return rowGeometry("latent_cache_write", "rows", rows, "kv_lora_rank", kvLoraRank);
    }

    /** {@code add_inplace}: one thread per value. */
    public static LaunchGeometry addGeometry(int n) {
        positive("add_inplace", "n", n);
        return elements("add_inplace", n);
    }

    /** {@code silu_mul}: one thread per (row, column), column fastest. */
    public static LaunchGeometry siluMulGeometry(int rows, int n) {
        positive("silu_mul", "rows", rows);
        positive("silu_mul", "n", n);
        return elements("silu_mul", (long) rows * n);
    }

    private static LaunchGeometry rowGeometry(String kernel, String rowsName, int rows, String widthName, int width) {
        positive(kernel, rowsName, rows);
        positive(kernel, widthName, width);
        return LaunchGeometry.linear(rows, ROW_THREADS, 0);
    }

    private static LaunchGeometry elements(String kernel, long items) {
        long blocks = (items + ELEMENT_THREADS - 1) / ELEMENT_THREADS;
        if (blocks > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(kernel + " over " + items + " values needs " + blocks + " blocks; a grid holds at most "
                    + Integer.MAX_VALUE);
        }
        return LaunchGeometry.cover(items, ELEMENT_THREADS);
    }

    static void positive(String kernel, String name, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(kernel + " needs " + name + " >= 1, got " + value);
        }
    }
}
