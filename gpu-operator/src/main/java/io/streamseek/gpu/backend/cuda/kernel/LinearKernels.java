package io.streamseek.gpu.backend.cuda.kernel;

import java.util.List;

import static io.streamseek.gpu.backend.cuda.kernel.KernelSignature.i32;
import static io.streamseek.gpu.backend.cuda.kernel.KernelSignature.ptr;

/**
 * The linear-layer kernels of {@code src/main/cuda/linear.cu}: {@code out[t, r] = W[r, :] · x[t, :]}
 * with f32 accumulation, and how each is launched.
 *
 * <ul>
 *   <li>{@code linear_f32/bf16/e4m3} (CUDA cores, the decode path): one warp per weight row,
 *       {@link #SIMT_ROWS_PER_BLOCK} rows per block; the warp walks the tokens
 *       {@link #SIMT_TOKEN_TILE} at a time. Any shape works.</li>
 *   <li>{@code linear_bf16_mma/e4m3_mma} (tensor cores, bf16 operands, the prefill path): a block
 *       per tile of {@link #MMA_TILE_TOKENS} tokens × {@link #MMA_TILE_ROWS} weight rows, token tiles
 *       along grid x. Any shape works: tails are staged as zeros.</li>
 * </ul>
 * Both are deterministic and batch invariant: an output's reduction order depends on {@code cols}
 * alone (the two families differ from each other: the tensor-core path rounds activations to bf16).
 */
public final class LinearKernels {

    public static final String MODULE = "linear";
    /** Threads per block of the CUDA-core kernels ({@code SIMT_THREADS}): one warp per row. */
    public static final int SIMT_THREADS = 256;
    public static final int SIMT_ROWS_PER_BLOCK = SIMT_THREADS / 32;
    /** Tokens whose accumulators a warp keeps in registers while it streams a weight row. */
    public static final int SIMT_TOKEN_TILE = 8;
    /** Threads per block of the tensor-core kernels ({@code MMA_THREADS}). */
    public static final int MMA_THREADS = 256;
    /** Tokens per tensor-core block tile ({@code MMA_TILE_M}). */
    public static final int MMA_TILE_TOKENS = 128;
    /** Weight rows per tensor-core block tile ({@code MMA_TILE_N}). */
    public static final int MMA_TILE_ROWS = 128;
    /** Columns per tensor-core k-step ({@code MMA_TILE_K}). */
    public static final int MMA_TILE_COLS = 32;

    public static final KernelSignature LINEAR_F32 = KernelSignature.of(MODULE, "linear_f32",
            ptr("x"), i32("x_stride"), ptr("w"), ptr("out"), i32("out_stride"), i32("tokens"), i32("rows"), i32("cols"));
    public static final KernelSignature LINEAR_BF16 = KernelSignature.of(MODULE, "linear_bf16",
            ptr("x"), i32("x_stride"), ptr("w"), ptr("out"), i32("out_stride"), i32("tokens"), i32("rows"), i32("cols"));
    public static final KernelSignature LINEAR_E4M3 = KernelSignature.of(MODULE, "linear_e4m3",
            ptr("x"), i32("x_stride"), ptr("w"), ptr("scales"), ptr("out"), i32("out_stride"), i32("tokens"), i32("rows"),
            i32("cols"));
    public static final KernelSignature LINEAR_BF16_MMA = KernelSignature.of(MODULE, "linear_bf16_mma",
            ptr("x"), i32("x_stride"), ptr("w"), ptr("out"), i32("out_stride"), i32("tokens"), i32("rows"), i32("cols"));
    public static final KernelSignature LINEAR_E4M3_MMA = KernelSignature.of(MODULE, "linear_e4m3_mma",
            ptr("x"), i32("x_stride"), ptr("w"), ptr("scales"), ptr("out"), i32("out_stride"), i32("tokens"), i32("rows"),
            i32("cols"));

    private LinearKernels() {
    }

    public static List<KernelSignature> signatures() {
        return List.of(LINEAR_F32, LINEAR_BF16, LINEAR_E4M3, LINEAR_BF16_MMA, LINEAR_E4M3_MMA);
    }

    /** Any CUDA-core kernel: {@code ceil(rows / 8)} blocks of 256 threads, warp w of block b on row 8b + w. */
    public static LaunchGeometry simtGeometry(int tokens, int rows, int cols) {
        checkShape("linear (CUDA cores)", tokens, rows, cols);
        return LaunchGeometry.linear((rows + SIMT_ROWS_PER_BLOCK - 1) / SIMT_ROWS_PER_BLOCK, SIMT_THREADS, 0);
    }

    /**
     * Any tensor-core kernel: grid ({@code ceil(tokens / 128)}, {@code ceil(rows / 128)}) of 256 threads,
     * with 40 KiB of static shared memory (no dynamic shared memory).
     */
    public static LaunchGeometry mmaGeometry(int tokens, int rows, int cols) {
        checkShape("linear (tensor cores)", tokens, rows, cols);
        int rowTiles = (rows + MMA_TILE_ROWS - 1) / MMA_TILE_ROWS;
        if (rowTiles > LaunchGeometry.MAX_GRID_YZ) {
            throw new IllegalArgumentException("linear (tensor cores) over " + rows + " weight rows needs " + rowTiles
                    + " row tiles of " + MMA_TILE_ROWS + "; grid y holds at most " + LaunchGeometry.MAX_GRID_YZ);
        }
        int tokenTiles = (tokens + MMA_TILE_TOKENS - 1) / MMA_TILE_TOKENS;
        return new LaunchGeometry(tokenTiles, rowTiles, 1, MMA_THREADS, 1, 1, 0);
    }

    private static void checkShape(String kernel, int tokens, int rows, int cols) {
        ElementwiseKernels.positive(kernel, "tokens", tokens);
        ElementwiseKernels.positive(kernel, "rows", rows);
        ElementwiseKernels.positive(kernel, "cols", cols);
    }
}
