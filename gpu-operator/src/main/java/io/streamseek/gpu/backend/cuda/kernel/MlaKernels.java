package io.streamseek.gpu.backend.cuda.kernel;

import io.streamseek.gpu.attention.MlaSpec;

import java.util.List;

import static io.streamseek.gpu.backend.cuda.kernel.KernelSignature.f32;
import static io.streamseek.gpu.backend.cuda.kernel.KernelSignature.i32;
import static io.streamseek.gpu.backend.cuda.kernel.KernelSignature.ptr;

/**
 * Host side of the {@code mla} module ({@code src/main/cuda/mla.cu}): multi-head latent attention,
 * the absorbed decode path (absorb query → split-context attention → combine → absorb output) and
 * the naive prefill path (gather latent → expand with the linear kernel → prefill attention).
 * The split-context attention comes in two variants with the same parameters and outputs: f32 CUDA
 * cores ({@link #DECODE_ATTENTION}) and TF32 tensor cores ({@link #DECODE_ATTENTION_TC}), chosen per
 * model by {@link #useTensorCores}.
 *
 * <p>The constants mirror the {@code #define}s of the CUDA source; the geometry methods refuse shapes
 * the kernels were not written for (their register tiles have fixed bounds) with the offending value.
 */
public final class MlaKernels {

    public static final String MODULE = "mla";

    /**
     * Positions per split of the decode attention. Fixed, so a token's arithmetic depends on its
     * context length only, never on the batch. 256 keeps a 4k context at 16 splits × 8 head tiles
     * (DeepSeek-V3) ≈ one wave on an H100, while a split's partial results (heads × lora floats)
     * stay below the bytes of latent rows it reads for models with up to ~64 heads.
     */
    public static final int SPLIT_LEN = 256;
    /** Heads of one decode attention block ({@code MLA_HEAD_TILE}). */
    public static final int HEAD_TILE = 16;
    /** Latent rows staged per step in shared memory ({@code MLA_POS_TILE}), double buffered. */
    public static final int POSITION_TILE = 8;
    public static final int DECODE_THREADS = 256;
    /** Largest {@code kv_lora_rank + qk_rope_head_dim}: 18 query columns per lane in registers. */
    public static final int MAX_WIDTH = 576;
    /** Largest {@code kv_lora_rank}: 8 output columns per thread in the decode attention. */
    public static final int MAX_LORA = 512;
    /** Decode tokens per block of the two absorption kernels ({@code MLA_ABSORB_TASKS}). */
    public static final int ABSORB_TASKS = 16;
    public static final int ABSORB_THREADS = 256;
    /** Largest {@code qk_nope_head_dim} of the query absorption (its shared tile). */
    public static final int MAX_NOPE = 256;
    public static final int COMBINE_THREADS = 128;
    public static final int GATHER_THREADS = 256;
    /**
     * Heads of one tensor-core decode attention block ({@code MLA_TC_HEADS}): two 16-row mma tiles.
     * The block's queries and accumulators ({@code heads × (width + lora)} floats) must stay in
     * registers; 64 heads would need more than an SM's register file.
     */
    public static final int TC_HEAD_BLOCK = 32;
    /** Latent rows per staged tile of the tensor-core kernel ({@code MLA_TC_POS}): the mma's n of the scores. */
    public static final int TC_POSITION_TILE = 8;
    public static final int TC_THREADS = 256;
    /** Static shared memory of {@code mla_decode_attention_tc} (warp partial scores, probabilities, rescales; ptxas -v). */
    public static final int TC_STATIC_SHARED_BYTES = 9856;
    /** Fewest heads for which {@link #useTensorCores} picks the tensor-core kernel. */
    public static final int TC_MIN_HEADS = 16;
    /** Chunk tokens per prefill attention block; positions are staged 16 at a time. */
    public static final int PREFILL_QUERIES = 16;
    public static final int PREFILL_POSITIONS = 16;
    public static final int PREFILL_THREADS = 256;
    /** Largest {@code qk_nope_head_dim + qk_rope_head_dim} of the prefill attention. */
    public static final int PREFILL_MAX_QK = 256;
    /** Largest {@code v_head_dim} of the prefill attention. */
    public static final int PREFILL_MAX_V = 128;

    public static final KernelSignature ABSORB_QUERY = KernelSignature.of(MODULE, "mla_absorb_query",
            ptr("q"), i32("q_stride"), ptr("kv_b"), ptr("task_token"), ptr("q_latent"), i32("tasks"), i32("heads"),
            i32("nope"), i32("rope"), i32("v"), i32("lora"));
    public static final KernelSignature DECODE_ATTENTION = KernelSignature.of(MODULE, "mla_decode_attention",
            ptr("q_latent"), ptr("cache"), ptr("block_tables"), i32("max_blocks"), ptr("context_lens"), ptr("part_out"),
            ptr("part_max"), ptr("part_sum"), i32("tasks"), i32("heads"), i32("lora"), i32("width"), i32("layer"),
            i32("num_layers"), i32("block_size"), i32("split_len"), i32("max_splits"), f32("softmax_scale"));
    /**
     * {@code mla_decode_attention_tc}: the decode attention on TF32 tensor cores; parameters, grid
     * meaning and outputs as {@link #DECODE_ATTENTION}, geometry {@link #decodeTcGeometry}.
     */
    public static final KernelSignature DECODE_ATTENTION_TC = KernelSignature.of(MODULE, "mla_decode_attention_tc",
            ptr("q_latent"), ptr("cache"), ptr("block_tables"), i32("max_blocks"), ptr("context_lens"), ptr("part_out"),
            ptr("part_max"), ptr("part_sum"), i32("tasks"), i32("heads"), i32("lora"), i32("width"), i32("layer"),
            i32("num_layers"), i32("block_size"), i32("split_len"), i32("max_splits"), f32("softmax_scale"));
    public static final KernelSignature DECODE_COMBINE = KernelSignature.of(MODULE, "mla_decode_combine",
            ptr("part_out"), ptr("part_max"), ptr("part_sum"), ptr("context_lens"), ptr("o_latent"), i32("tasks"),
            i32("heads"), i32("lora"), i32("split_len"), i32("max_splits"));
    public static final KernelSignature ABSORB_OUTPUT = KernelSignature.of(MODULE, "mla_absorb_output",
            ptr("o_latent"), ptr("kv_b"), ptr("task_token"), ptr("attn"), i32("attn_stride"), i32("tasks"), i32("heads"),
            i32("nope"), i32("v"), i32("lora"));
    public static final KernelSignature GATHER_LATENT = KernelSignature.of(MODULE, "mla_gather_latent",
            ptr("cache"), ptr("block_table"), i32("context"), i32("layer"), i32("num_layers"), i32("block_size"),
            i32("width"), ptr("latent"));
    public static final KernelSignature PREFILL_ATTENTION = KernelSignature.of(MODULE, "mla_prefill_attention",
            ptr("q"), i32("q_stride"), ptr("keys_values"), ptr("latent"), ptr("attn"), i32("attn_stride"), i32("count"),
            i32("start_pos"), i32("heads"), i32("nope"), i32("rope"), i32("v"), i32("lora"), i32("width"),
            f32("softmax_scale"));

    private MlaKernels() {
    }

    public static List<KernelSignature> signatures() {
        return List.of(ABSORB_QUERY, DECODE_ATTENTION, DECODE_ATTENTION_TC, DECODE_COMBINE, ABSORB_OUTPUT, GATHER_LATENT, PREFILL_ATTENTION);
    }

    /** Refuses an attention shape one of the kernels cannot run, naming the setting. */
    public static void requireSupported(MlaSpec spec) {
        int lora = spec.kvLoraRank();
        int width = spec.latentWidth();
        require(spec.numHeads() >= 1 && spec.numHeads() <= LaunchGeometry.MAX_GRID_YZ, "num_attention_heads", spec.numHeads(),
                "1.." + LaunchGeometry.MAX_GRID_YZ);
        require(lora >= 4 && lora <= MAX_LORA && lora % 4 == 0, "kv_lora_rank", lora, "a multiple of 4 up to " + MAX_LORA);
        require(width <= MAX_WIDTH && width % 4 == 0, "kv_lora_rank + qk_rope_head_dim", width, "a multiple of 4 up to " + MAX_WIDTH);
        require(spec.qkNopeHeadDim() >= 1 && spec.qkNopeHeadDim() <= MAX_NOPE, "qk_nope_head_dim", spec.qkNopeHeadDim(),
                "1.." + MAX_NOPE);
        require(spec.qkHeadDim() <= PREFILL_MAX_QK, "qk_nope_head_dim + qk_rope_head_dim", spec.qkHeadDim(), "at most " + PREFILL_MAX_QK);
        require(spec.vHeadDim() >= 1 && spec.vHeadDim() <= PREFILL_MAX_V, "v_head_dim", spec.vHeadDim(), "1.." + PREFILL_MAX_V);
    }

    /** Splits of the decode attention over a context of {@code context} positions (0 for none). */
    public static int splits(int context) {
        if (context < 0) {
            throw new IllegalArgumentException("context length must not be negative, was " + context);
        }
        return (context + SPLIT_LEN - 1) / SPLIT_LEN;
    }

    /** {@code mla_absorb_query}: grid (heads, ⌈tasks / 16⌉), 256 threads. */
    public static LaunchGeometry absorbQueryGeometry(int tasks, int heads, int nope, int lora) {
        requireTasks(tasks);
        require(nope >= 1 && nope <= MAX_NOPE, "qk_nope_head_dim", nope, "1.." + MAX_NOPE);
        require(lora >= 1 && lora <= 2 * ABSORB_THREADS, "kv_lora_rank", lora, "1.." + 2 * ABSORB_THREADS);
        return new LaunchGeometry(heads, blocks(tasks, ABSORB_TASKS), 1, ABSORB_THREADS, 1, 1, 0);
    }

    /**
     * {@code mla_decode_attention}: grid (⌈heads / 16⌉, maxSplits, tasks), 256 threads, two tiles of
     * {@value #POSITION_TILE} latent rows of dynamic shared memory.
     */
    public static LaunchGeometry decodeGeometry(int tasks, int maxSplits, int heads, int lora, int width) {
        requireTasks(tasks);
        require(maxSplits >= 1 && maxSplits <= LaunchGeometry.MAX_GRID_YZ, "max_splits", maxSplits,
                "1.." + LaunchGeometry.MAX_GRID_YZ + " (a context of at most " + (long) LaunchGeometry.MAX_GRID_YZ * SPLIT_LEN + " positions)");
        require(tasks <= LaunchGeometry.MAX_GRID_YZ, "decode tasks per launch", tasks, "at most " + LaunchGeometry.MAX_GRID_YZ);
        require(lora >= 1 && lora <= MAX_LORA, "kv_lora_rank", lora, "1.." + MAX_LORA);
        require(width > lora && width <= MAX_WIDTH && width % 4 == 0, "latent width", width,
                "a multiple of 4 above kv_lora_rank (" + lora + ") and at most " + MAX_WIDTH);
        return new LaunchGeometry(blocks(heads, HEAD_TILE), maxSplits, tasks, DECODE_THREADS, 1, 1, decodeSharedBytes(width));
    }

    /** Dynamic shared memory of {@code mla_decode_attention}: two staged tiles of latent rows. */
    public static int decodeSharedBytes(int width) {
        return 2 * POSITION_TILE * width * Float.BYTES;
    }

    /**
     * Whether the decode attention of this model runs on TF32 tensor cores ({@link #DECODE_ATTENTION_TC})
     * rather than f32 CUDA cores ({@link #DECODE_ATTENTION}). A position costs about
     * {@code 2 · heads · (width + lora)} FLOPs for {@code 4 · width} bytes, roughly {@code heads} FLOP
     * per byte: from 16 heads on that reaches the f32 ridge of an H100 (~67 TFLOPS / 3.35 TB/s ≈ 20),
     * so the f32 kernel turns compute-bound and tensor cores pay; below it the f32 kernel is already
     * memory-bound and TF32's coarser rounding would buy nothing. The tensor-core kernel also needs
     * whole 8-column mma steps: {@code kv_lora_rank} and the latent width multiples of 8.
     *
     * <p>The answer depends on the model's shape only, never on the batch or the context, so a
     * token's arithmetic stays independent of the tokens it is batched with (the two kernels round
     * differently: TF32 results differ from f32 by ~1e-3 relative).
     */
    public static boolean useTensorCores(MlaSpec spec) {
        int lora = spec.kvLoraRank();
        int width = spec.latentWidth();
        return spec.numHeads() >= TC_MIN_HEADS && lora % 8 == 0 && width % 8 == 0 && lora <= MAX_LORA && width <= MAX_WIDTH
                && width > lora;
    }

    /**
     * {@code mla_decode_attention_tc}: grid (⌈heads / {@value #TC_HEAD_BLOCK}⌉, maxSplits, tasks),
     * {@value #TC_THREADS} threads, two tiles of {@value #TC_POSITION_TILE} padded latent rows of
     * dynamic shared memory ({@link #decodeTcSharedBytes}).
     */
    public static LaunchGeometry decodeTcGeometry(int tasks, int maxSplits, int heads, int lora, int width) {
        requireTasks(tasks);
        require(maxSplits >= 1 && maxSplits <= LaunchGeometry.MAX_GRID_YZ, "max_splits", maxSplits,
                "1.." + LaunchGeometry.MAX_GRID_YZ + " (a context of at most " + (long) LaunchGeometry.MAX_GRID_YZ * SPLIT_LEN + " positions)");
        require(tasks <= LaunchGeometry.MAX_GRID_YZ, "decode tasks per launch", tasks, "at most " + LaunchGeometry.MAX_GRID_YZ);
        require(heads >= 1, "num_attention_heads", heads, "at least 1");
        require(lora >= 8 && lora <= MAX_LORA && lora % 8 == 0, "kv_lora_rank", lora,
                "a multiple of 8 up to " + MAX_LORA + " for the tensor-core decode attention");
        require(width > lora && width <= MAX_WIDTH && width % 8 == 0, "latent width", width,
                "a multiple of 8 above kv_lora_rank (" + lora + ") and at most " + MAX_WIDTH + " for the tensor-core decode attention");
        return new LaunchGeometry(blocks(heads, TC_HEAD_BLOCK), maxSplits, tasks, TC_THREADS, 1, 1, decodeTcSharedBytes(width));
    }

    /**
     * Floats between staged rows in the tensor-core kernel's shared memory ({@code mla_tc_row_stride}):
     * the width padded to 8 mod 32, which keeps its fragment loads free of bank conflicts.
     */
    public static int tcRowStride(int width) {
        return width + Math.floorMod(40 - width % 32, 32);
    }

    /** Dynamic shared memory of {@code mla_decode_attention_tc}: two staged tiles of padded latent rows. */
    public static int decodeTcSharedBytes(int width) {
        return 2 * TC_POSITION_TILE * tcRowStride(width) * Float.BYTES;
    }

    /** {@code mla_decode_combine}: grid (heads, tasks), 128 threads. */
    public static LaunchGeometry combineGeometry(int tasks, int heads) {
        requireTasks(tasks);
        require(tasks <= LaunchGeometry.MAX_GRID_YZ, "decode tasks per launch", tasks, "at most " + LaunchGeometry.MAX_GRID_YZ);
        return new LaunchGeometry(heads, tasks, 1, COMBINE_THREADS, 1, 1, 0);
    }

    /** {@code mla_absorb_output}: grid (heads, ⌈tasks / 16⌉), 256 threads. */
    public static LaunchGeometry absorbOutputGeometry(int tasks, int heads, int lora) {
        requireTasks(tasks);
        require(lora >= 4 && lora <= MAX_LORA && lora % 4 == 0, "kv_lora_rank", lora, "a multiple of 4 up to " + MAX_LORA);
        return new LaunchGeometry(heads, blocks(tasks, ABSORB_TASKS), 1, ABSORB_THREADS, 1, 1, 0);
    }

    /** {@code mla_gather_latent}: one thread per float4 of the {@code [context, width]} copy. */
    public static LaunchGeometry gatherGeometry(int context, int width) {
        require(context >= 1, "context", context, "at least 1");
        require(width >= 4 && width % 4 == 0, "latent width", width, "a positive multiple of 4");
        return LaunchGeometry.cover((long) context * (width / 4), GATHER_THREADS);
    }

    /** {@code mla_prefill_attention}: grid (⌈count / 16⌉, heads), 256 threads, 16 positions of keys and values staged. */
    public static LaunchGeometry prefillGeometry(int count, int heads, int nope, int rope, int v) {
        require(count >= 1, "chunk tokens", count, "at least 1");
        require(heads >= 1 && heads <= LaunchGeometry.MAX_GRID_YZ, "num_attention_heads", heads, "1.." + LaunchGeometry.MAX_GRID_YZ);
        require(nope + rope >= 1 && nope + rope <= PREFILL_MAX_QK, "qk_nope_head_dim + qk_rope_head_dim", nope + rope,
                "1.." + PREFILL_MAX_QK);
        require(v >= 1 && v <= PREFILL_MAX_V, "v_head_dim", v, "1.." + PREFILL_MAX_V);
        return new LaunchGeometry(blocks(count, PREFILL_QUERIES), heads, 1, PREFILL_THREADS, 1, 1, prefillSharedBytes(nope + rope, v));
    }

    /** Dynamic shared memory of {@code mla_prefill_attention}: 16 positions of keys and values. */
    public static int prefillSharedBytes(int qkHeadDim, int v) {
        return PREFILL_POSITIONS * (qkHeadDim + v) * Float.BYTES;
    }

    /** Bytes of {@code part_out} {@code [tasks, maxSplits, heads, lora]}. */
    public static long partOutBytes(int tasks, int maxSplits, int heads, int lora) {
        return (long) Float.BYTES * tasks * maxSplits * heads * lora;
    }

    /** Bytes of {@code part_max} or of {@code part_sum} {@code [tasks, maxSplits, heads]}. */
    public static long partStatBytes(int tasks, int maxSplits, int heads) {
        return (long) Float.BYTES * tasks * maxSplits * heads;
    }

    /** Bytes of all three partial buffers for {@code tasks} tokens whose longest context is {@code maxContext}. */
    public static long partialBytes(int tasks, int maxContext, int heads, int lora) {
        int maxSplits = splits(maxContext);
        return partOutBytes(tasks, maxSplits, heads, lora) + 2 * partStatBytes(tasks, maxSplits, heads);
    }

    /** Bytes of {@code q_latent} {@code [tasks, heads, width]}. */
    public static long qLatentBytes(int tasks, int heads, int width) {
        return (long) Float.BYTES * tasks * heads * width;
    }

    /** Bytes of {@code o_latent} {@code [tasks, heads, lora]}. */
    public static long oLatentBytes(int tasks, int heads, int lora) {
        return (long) Float.BYTES * tasks * heads * lora;
    }

    /** Bytes of the gathered {@code latent} {@code [context, width]} of the naive path. */
    public static long gatheredLatentBytes(int context, int width) {
        return (long) Float.BYTES * context * width;
    }

    /** Bytes of the naive path's {@code keys_values} {@code [context, heads × (nope + v)]}. */
    public static long keysValuesBytes(int context, int heads, int nope, int v) {
        return (long) Float.BYTES * context * heads * (nope + v);
    }

    private static void requireTasks(int tasks) {
        require(tasks >= 1, "decode tasks", tasks, "at least 1");
    }

    static int blocks(int items, int perBlock) {
        return (items + perBlock - 1) / perBlock;
    }

    static void require(boolean ok, String what, long value, String expected) {
        if (!ok) {
            throw new IllegalArgumentException(what + " = " + value + " is not supported by the CUDA kernels: expected " + expected);
        }
    }
}
