// DeepSeekMoE on the GPU: the gate's routing, the sort of (token, slot) pairs by expert, the
// grouped expert MLPs (moe_experts.cuh) and the weighted combine. The CPU twins are
// io.streamseek.gpu.moe.Router, MoeLayer and ep.ExpertDispatcher; the host side is
// io.streamseek.gpu.backend.cuda.kernel.MoeKernels.
#include "common.cuh"
#include "warp_tiles.cuh"

#include "moe_experts.cuh"

#define MOE_MAX_EXPERTS 512
#define MOE_MAX_K 16
#define MOE_MAX_GROUPS 32
#define MOE_ROUTE_TOKENS 4 // one warp per token
#define MOE_TOPK_GREEDY 0
#define MOE_TOPK_GROUP_LIMITED_GREEDY 1
#define MOE_TOPK_NOAUX_TC 2
#define MOE_SCORING_SOFTMAX 0
#define MOE_SCORING_SIGMOID 1

// Whether candidate (value, index) beats (best_value, best) under Router.route's rule: a larger
// value, ties to the lower index, -inf (masked) never chosen. A total order, so a butterfly over
// lanes finds the same winner as the CPU's scan in index order.
__device__ __forceinline__ bool moe_beats(float value, int index, float best_value, int best) {
    if (index < 0 || value == -INFINITY) {
        return false;
    }
    return best < 0 || value > best_value || (value == best_value && index < best);
}

// Router.route for one token per warp, then its choices sorted by ascending expert index
// (MoeLayer.sortChosen). Sums run in expert order on one lane and exp is taken in double as
// Java's Math.exp, so scores match the CPU's to the rounding of exp.
// logits [tokens, experts]; correction_bias [experts] or null; chosen [tokens, k];
// weights [tokens, k]. Grid (ceil(tokens / 4)), 128 threads.
extern "C" __global__ void __launch_bounds__(MOE_ROUTE_TOKENS * 32)
moe_route(const float* logits, const float* correction_bias, int* chosen, float* weights, int tokens, int experts, int k,
          int topk_method, int scoring, int groups, int topk_group, int norm_topk_prob, float routed_scaling_factor) {
    __shared__ float score_all[MOE_ROUTE_TOKENS][MOE_MAX_EXPERTS];
    __shared__ float selection_all[MOE_ROUTE_TOKENS][MOE_MAX_EXPERTS];
    const int warp = threadIdx.x >> 5;
    const int lane = threadIdx.x & 31;
    const int t = blockIdx.x * MOE_ROUTE_TOKENS + warp;
    if (t >= tokens) {
        return; // warp-level work only: no block barrier follows
    }
    const float* row = logits + (size_t) t * experts;
    float* scores = score_all[warp];
    float* selection = selection_all[warp];

    if (scoring == MOE_SCORING_SIGMOID) {
        for (int e = lane; e < experts; e += 32) {
            scores[e] = (float) (1.0 / (1.0 + exp(-(double) row[e])));
        }
    } else {
        float max = -INFINITY;
        for (int e = lane; e < experts; e += 32) {
            max = fmaxf(max, row[e]);
        }
        max = warp_max(max);
        for (int e = lane; e < experts; e += 32) {
            scores[e] = (float) exp((double) (row[e] - max));
        }
        __syncwarp();
        float sum = 0.f;
        if (lane == 0) {
            for (int e = 0; e < experts; e++) {
                sum += scores[e];
            }
        }
        sum = __shfl_sync(0xffffffffu, sum, 0);
        for (int e = lane; e < experts; e += 32) {
            scores[e] = scores[e] / sum;
        }
    }
    __syncwarp();
    for (int e = lane; e < experts; e += 32) {
        selection[e] = correction_bias == nullptr ? scores[e] : scores[e] + correction_bias[e];
    }
    __syncwarp();

    if (groups > 1) {
        // Lane g scores group g: its best expert, or its best two summed under noaux_tc.
        const int per_group = experts / groups;
        float group_score = -INFINITY;
        if (lane < groups) {
            float first = -INFINITY;
            float second = -INFINITY;
            for (int e = lane * per_group; e < (lane + 1) * per_group; e++) {
                const float s = selection[e];
                if (s > first) {
                    second = first;
                    first = s;
                } else if (s > second) {
                    second = s;
                }
            }
            group_score = topk_method == MOE_TOPK_NOAUX_TC ? first + second : first;
        }
        unsigned eligible = 0;
        for (int pick = 0; pick < topk_group; pick++) {
            float best_value = group_score;
            int best = lane < groups && !((eligible >> lane) & 1u) ? lane : -1;
            for (int offset = 16; offset > 0; offset >>= 1) {
                const float other_value = __shfl_xor_sync(0xffffffffu, best_value, offset);
                const int other = __shfl_xor_sync(0xffffffffu, best, offset);
                // Groups compare with a plain '>' as in Router: a -inf group can still be picked.
                if (other >= 0 && (best < 0 || other_value > best_value || (other_value == best_value && other < best))) {
                    best_value = other_value;
                    best = other;
                }
            }
            eligible |= 1u << best;
        }
        for (int e = lane; e < experts; e += 32) {
            if (!((eligible >> (e / per_group)) & 1u)) {
                selection[e] = -INFINITY;
            }
        }
        __syncwarp();
    }

    int picked[MOE_MAX_K];
    float picked_weight[MOE_MAX_K];
    float sum = 0.f;
#pragma unroll
    for (int slot = 0; slot < MOE_MAX_K; slot++) {
        picked[slot] = -1;
        picked_weight[slot] = 0.f;
        if (slot < k) {
            float best_value = -INFINITY;
            int best = -1;
            for (int e = lane; e < experts; e += 32) {
                if (moe_beats(selection[e], e, best_value, best)) {
                    best_value = selection[e];
                    best = e;
                }
            }
            for (int offset = 16; offset > 0; offset >>= 1) {
                const float other_value = __shfl_xor_sync(0xffffffffu, best_value, offset);
                const int other = __shfl_xor_sync(0xffffffffu, best, offset);
                if (moe_beats(other_value, other, best_value, best)) {
                    best_value = other_value;
                    best = other;
                }
            }
            if (best >= 0) {
                picked[slot] = best;
                picked_weight[slot] = scores[best];
                sum += scores[best];
                __syncwarp();
                if (lane == 0) {
                    selection[best] = -INFINITY;
                }
                __syncwarp();
            }
        }
    }
    float scale = routed_scaling_factor;
    if (norm_topk_prob && k > 1) {
        scale /= sum + 1e-20f;
    }
    if (lane == 0) {
        // Insertion sort by expert index, as MoeLayer.sortChosen (k <= 16: registers).
#pragma unroll
        for (int i = 1; i < MOE_MAX_K; i++) {
#pragma unroll
            for (int j = i; j > 0; j--) {
                const bool swap = j < k && picked[j - 1] > picked[j];
                const int e = picked[j];
                const float w = picked_weight[j];
                picked[j] = swap ? picked[j - 1] : e;
                picked_weight[j] = swap ? picked_weight[j - 1] : w;
                picked[j - 1] = swap ? e : picked[j - 1];
                picked_weight[j - 1] = swap ? w : picked_weight[j - 1];
            }
        }
#pragma unroll
        for (int slot = 0; slot < MOE_MAX_K; slot++) {
            if (slot < k) {
                chosen[(size_t) t * k + slot] = picked[slot];
                weights[(size_t) t * k + slot] = picked_weight[slot] * scale;
            }
        }
    }
}

// Counting sort of the tokens × k pairs (pair = t·k + slot) by expert, pairs ascending within an
// expert. chosen [tokens, k]; expert_offsets [experts + 1]: expert e's pairs are
// sorted_pairs[expert_offsets[e] .. expert_offsets[e + 1]). One block of 1024 threads; pairs are
// placed chunk by chunk, warp by warp in order, so the result does not depend on timing.
extern "C" __global__ void __launch_bounds__(1024)
moe_sort(const int* chosen, int tokens, int k, int experts, int* expert_offsets, int* sorted_pairs) {
    __shared__ int cursor[MOE_MAX_EXPERTS];
    const int tid = threadIdx.x;
    const int warp = tid >> 5;
    const int lane = tid & 31;
    const int pairs = tokens * k;
    for (int e = tid; e < experts; e += blockDim.x) {
        cursor[e] = 0;
    }
    __syncthreads();
    for (int p = tid; p < pairs; p += blockDim.x) {
        const int e = chosen[p];
        if (e >= 0 && e < experts) {
            atomicAdd(&cursor[e], 1); // integer counts: the same whatever the order
        }
    }
    __syncthreads();
    if (tid == 0) {
        int start = 0;
        for (int e = 0; e < experts; e++) {
            const int count = cursor[e];
            expert_offsets[e] = start;
            cursor[e] = start;
            start += count;
        }
        expert_offsets[experts] = start;
    }
    __syncthreads();
    for (int base = 0; base < pairs; base += blockDim.x) {
        const int p = base + tid;
        int e = p < pairs ? chosen[p] : -1;
        if (e < 0 || e >= experts) {
            e = -1;
        }
        const unsigned same = __match_any_sync(0xffffffffu, e);
        const int rank = __popc(same & ((1u << lane) - 1u));
        const int count = __popc(same);
        for (int w = 0; w < (int) (blockDim.x >> 5); w++) {
            if (warp == w) {
                const int at = e >= 0 ? cursor[e] + rank : 0;
                __syncwarp();
                if (e >= 0) {
                    sorted_pairs[at] = p;
                    if (rank == count - 1) {
                        cursor[e] = at + 1;
                    }
                }
            }
            __syncthreads();
        }
    }
}

// out[t] = Σ_slot weights[t·k + slot] · down[t·k + slot] in slot order (the first term assigned),
// then + shared[t] when shared is not null: MoeLayer's sum, multiply and add rounded separately
// (no fused multiply-add) as in Java. down [tokens × k, hidden]; weights [tokens, k];
// shared [tokens, hidden] or null; out [tokens, hidden]. Grid cover(tokens × hidden, 256).
extern "C" __global__ void moe_combine(const float* down, const float* weights, const float* shared, float* out, int tokens, int k,
                                       int hidden) {
    const long long idx = (long long) blockIdx.x * blockDim.x + threadIdx.x;
    if (idx >= (long long) tokens * hidden) {
        return;
    }
    const long long t = idx / hidden;
    const long long i = idx - t * hidden;
    float sum = __fmul_rn(weights[t * k], down[(t * k) * hidden + i]);
    for (int slot = 1; slot < k; slot++) {
        sum = __fadd_rn(sum, __fmul_rn(weights[t * k + slot], down[(t * k + slot) * hidden + i]));
    }
    if (shared != nullptr) {
        sum = __fadd_rn(sum, shared[idx]);
    }
    out[idx] = sum;
}
