package io.streamseek.gpu.backend.cuda.kernel;

import io.streamseek.gpu.backend.cpu.Linear;
import io.streamseek.gpu.moe.RouterSpec;

import java.util.List;

import static io.streamseek.gpu.backend.cuda.kernel.KernelSignature.f32;
import static io.streamseek.gpu.backend.cuda.kernel.KernelSignature.i32;
import static io.streamseek.gpu.backend.cuda.kernel.KernelSignature.ptr;
import static io.streamseek.gpu.backend.cuda.kernel.MlaKernels.blocks;
import static io.streamseek.gpu.backend.cuda.kernel.MlaKernels.require;

/**
 * Host side of the {@code moe} module ({@code src/main/cuda/moe.cu}): route → sort pairs by expert →
 * grouped gate/up → grouped down → combine. A pair is {@code t·k + slot}: token {@code t}'s
 * {@code slot}-th choice, slots in ascending expert order (as {@code MoeLayer.sortChosen}).
 *
 * <p>The grouped kernels' grids are sized from the shapes alone (row tiles × experts): blocks of
 * experts without pairs, or whose weights are on another device, leave at once, so the host never
 * reads the routing back.
 */
public final class MoeKernels {

    public static final String MODULE = "moe";

    /** Largest {@code n_routed_experts} (routing keeps a token's scores in shared memory). */
    public static final int MAX_EXPERTS = 512;
    /** Largest {@code num_experts_per_tok}. */
    public static final int MAX_K = 16;
    /** Largest {@code n_group}: one lane per group. */
    public static final int MAX_GROUPS = 32;
    /** Tokens per routing block: one warp each. */
    public static final int ROUTE_TOKENS = 4;
    public static final int SORT_THREADS = 1024;
    public static final int EXPERT_THREADS = 256;
    /** Pairs of one expert sharing each read of its weight rows. */
    public static final int PAIR_TILE = 8;
    /** Rows of {@code gate_proj}/{@code up_proj} per gate/up block (8 warps × 2). */
    public static final int GATE_UP_ROWS = 16;
    /** Rows of {@code down_proj} per down block (8 warps × 4). */
    public static final int DOWN_ROWS = 32;
    public static final int COMBINE_THREADS = 256;

    /** {@code topk_method} codes of {@code moe_route}. */
    public static final int TOPK_GREEDY = 0;
    public static final int TOPK_GROUP_LIMITED_GREEDY = 1;
    public static final int TOPK_NOAUX_TC = 2;
    /** {@code scoring} codes of {@code moe_route}. */
    public static final int SCORING_SOFTMAX = 0;
    public static final int SCORING_SIGMOID = 1;
    /** Weight {@code format} codes of the expert kernels. */
    public static final int FORMAT_F32 = 0;
    public static final int FORMAT_BF16 = 1;
    public static final int FORMAT_E4M3 = 2;

    public static final KernelSignature ROUTE = KernelSignature.of(MODULE, "moe_route",
            ptr("logits"), ptr("correction_bias"), ptr("chosen"), ptr("weights"), i32("tokens"), i32("experts"), i32("k"),
            i32("topk_method"), i32("scoring"), i32("groups"), i32("topk_group"), i32("norm_topk_prob"),
            f32("routed_scaling_factor"));
    public static final KernelSignature SORT = KernelSignature.of(MODULE, "moe_sort",
            ptr("chosen"), i32("tokens"), i32("k"), i32("experts"), ptr("expert_offsets"), ptr("sorted_pairs"));
    public static final KernelSignature EXPERT_GATE_UP = KernelSignature.of(MODULE, "moe_expert_gate_up",
            ptr("x"), ptr("gate_w"), ptr("up_w"), ptr("gate_scales"), ptr("up_scales"), i32("format"), ptr("expert_offsets"),
            ptr("sorted_pairs"), i32("k"), ptr("act"), i32("experts"), i32("inter"), i32("hidden"));
    public static final KernelSignature EXPERT_DOWN = KernelSignature.of(MODULE, "moe_expert_down",
            ptr("act"), ptr("down_w"), ptr("down_scales"), i32("format"), ptr("expert_offsets"), ptr("sorted_pairs"),
            ptr("down"), i32("experts"), i32("inter"), i32("hidden"));
    public static final KernelSignature COMBINE = KernelSignature.of(MODULE, "moe_combine",
            ptr("down"), ptr("weights"), ptr("shared"), ptr("out"), i32("tokens"), i32("k"), i32("hidden"));

    private MoeKernels() {
    }

    public static List<KernelSignature> signatures() {
        return List.of(ROUTE, SORT, EXPERT_GATE_UP, EXPERT_DOWN, COMBINE);
    }

    public static int topkMethodCode(RouterSpec.TopkMethod method) {
        return switch (method) {
            case GREEDY -> TOPK_GREEDY;
            case GROUP_LIMITED_GREEDY -> TOPK_GROUP_LIMITED_GREEDY;
            case NOAUX_TC -> TOPK_NOAUX_TC;
        };
    }

    public static int scoringCode(RouterSpec.ScoringFunc scoring) {
        return switch (scoring) {
            case SOFTMAX -> SCORING_SOFTMAX;
            case SIGMOID -> SCORING_SIGMOID;
        };
    }

    /** The expert kernels' code for a weight storage format; F16 experts have no GPU kernel. */
    public static int formatCode(Linear.Format format) {
        return switch (format) {
            case F32 -> FORMAT_F32;
            case BF16 -> FORMAT_BF16;
            case E4M3 -> FORMAT_E4M3;
            case F16 -> throw new IllegalArgumentException("expert weights in F16 are not supported by the CUDA expert kernels;"
                    + " use F32, BF16 or E4M3");
            case Q8_0, Q4_0, Q5_0, Q4_K, Q5_K, Q6_K -> throw new IllegalArgumentException("expert weights in " + format
                    + " are not supported by the CUDA expert kernels; the CUDA backend runs F32/BF16/FP8 weights: use the CPU"
                    + " backend or a bf16 checkpoint");
        };
    }

    /** Refuses gate settings {@code moe_route} cannot run, naming the setting. */
    public static void requireSupported(RouterSpec spec) {
        require(spec.numExperts() <= MAX_EXPERTS, "n_routed_experts", spec.numExperts(), "at most " + MAX_EXPERTS);
        require(spec.expertsPerToken() <= MAX_K, "num_experts_per_tok", spec.expertsPerToken(), "at most " + MAX_K);
        require(spec.numGroups() <= MAX_GROUPS, "n_group", spec.numGroups(), "at most " + MAX_GROUPS);
    }

    /** {@code moe_route}: one warp per token, 4 per block. */
    public static LaunchGeometry routeGeometry(int tokens, int experts, int k, int groups) {
        require(tokens >= 1, "tokens", tokens, "at least 1");
        require(experts >= 1 && experts <= MAX_EXPERTS, "n_routed_experts", experts, "1.." + MAX_EXPERTS);
        require(k >= 1 && k <= Math.min(MAX_K, experts), "num_experts_per_tok", k, "1.." + Math.min(MAX_K, experts));
        require(groups >= 1 && groups <= MAX_GROUPS && experts % groups == 0, "n_group", groups,
                "1.." + MAX_GROUPS + " dividing n_routed_experts (" + experts + ")");
        return LaunchGeometry.linear(blocks(tokens, ROUTE_TOKENS), ROUTE_TOKENS * 32, 0);
    }

    /** {@code moe_sort}: one block of 1024 threads over all {@code tokens × k} pairs. */
    public static LaunchGeometry sortGeometry(int tokens, int k, int experts) {
        require(tokens >= 1, "tokens", tokens, "at least 1");
        require(experts >= 1 && experts <= MAX_EXPERTS, "n_routed_experts", experts, "1.." + MAX_EXPERTS);
        require((long) tokens * k <= Integer.MAX_VALUE, "tokens × num_experts_per_tok", (long) tokens * k, "at most " + Integer.MAX_VALUE);
        return LaunchGeometry.linear(1, SORT_THREADS, 0);
    }

    /** {@code moe_expert_gate_up}: grid (⌈inter / 16⌉, experts), 256 threads. */
    public static LaunchGeometry gateUpGeometry(int experts, int inter, int hidden) {
        requireExperts(experts);
        require(inter >= 1, "moe_intermediate_size", inter, "at least 1");
        require(hidden >= 4 && hidden % 4 == 0, "hidden_size", hidden, "a positive multiple of 4 (float4 rows)");
        return new LaunchGeometry(blocks(inter, GATE_UP_ROWS), experts, 1, EXPERT_THREADS, 1, 1, 0);
    }

    /** {@code moe_expert_down}: grid (⌈hidden / 32⌉, experts), 256 threads. */
    public static LaunchGeometry downGeometry(int experts, int inter, int hidden) {
        requireExperts(experts);
        require(inter >= 4 && inter % 4 == 0, "moe_intermediate_size", inter, "a positive multiple of 4 (float4 rows)");
        require(hidden >= 1, "hidden_size", hidden, "at least 1");
        return new LaunchGeometry(blocks(hidden, DOWN_ROWS), experts, 1, EXPERT_THREADS, 1, 1, 0);
    }

    /** {@code moe_combine}: one thread per output element. */
    public static LaunchGeometry combineGeometry(int tokens, int hidden) {
        require(tokens >= 1, "tokens", tokens, "at least 1");
        return LaunchGeometry.cover((long) tokens * hidden, COMBINE_THREADS);
    }

    /** Bytes of {@code chosen} or of {@code weights} {@code [tokens, k]}, and of {@code sorted_pairs}. */
    public static long pairBytes(int tokens, int k) {
        return 4L * tokens * k;
    }

    /** Bytes of {@code expert_offsets} {@code [experts + 1]}. */
    public static long expertOffsetsBytes(int experts) {
        return 4L * (experts + 1);
    }

    /** Bytes of {@code act} {@code [tokens × k, inter]}. */
    public static long actBytes(int tokens, int k, int inter) {
        return 4L * tokens * k * inter;
    }

    /** Bytes of {@code down} {@code [tokens × k, hidden]}. */
    public static long downBytes(int tokens, int k, int hidden) {
        return 4L * tokens * k * hidden;
    }

    private static void requireExperts(int experts) {
        require(experts >= 1 && experts <= LaunchGeometry.MAX_GRID_YZ, "n_routed_experts", experts, "1.." + LaunchGeometry.MAX_GRID_YZ);
    }
}
