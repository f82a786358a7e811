package io.streamseek.gpu.backend.cuda;

import io.streamseek.gpu.backend.cuda.kernel.MoeKernels;

import java.util.Map;

/**
 * The {@code moe} module ({@code moe.cu}) emulated: routing ({@link EmulatedRoute}), the counting
 * sort of (token, slot) pairs by expert, the grouped expert MLPs and the weighted combine. A pair is
 * {@code t·k + slot}.
 */
final class EmulatedMoe {

    private EmulatedMoe() {
    }

    static Map<String, EmulatedKernels.Emulation> emulations() {
        return Map.of(
                "moe_route", EmulatedRoute::route,
                "moe_sort", EmulatedMoe::sort,
                "moe_expert_gate_up", EmulatedMoe::gateUp,
                "moe_expert_down", EmulatedMoe::down,
                "moe_combine", EmulatedMoe::combine);
    }

    /**
     * Stable counting sort: expert e's pairs are sorted_pairs[expert_offsets[e] .. expert_offsets[e + 1])
     * in ascending pair order. Choices outside [0, experts) are left out, as the kernel leaves them.
     */
    private static void sort(EmulatedMemory m, EmulatedArgs a) {
        long chosen = a.ptr("chosen");
        int tokens = a.i32("tokens");
        int k = a.i32("k");
        int experts = a.i32("experts");
        long expertOffsets = a.ptr("expert_offsets");
        long sortedPairs = a.ptr("sorted_pairs");
        int pairs = tokens * k;
        int[] cursor = new int[experts];
        for (int p = 0; p < pairs; p++) {
            int e = m.i32(chosen, p);
            if (e >= 0 && e < experts) {
                cursor[e]++;
            }
        }
        int start = 0;
        for (int e = 0; e < experts; e++) {
            int count = cursor[e];
            m.i32(expertOffsets, e, start);
            cursor[e] = start;
            start += count;
        }
        m.i32(expertOffsets, experts, start);
        for (int p = 0; p < pairs; p++) {
            int e = m.i32(chosen, p);
            if (e >= 0 && e < experts) {
                m.i32(sortedPairs, cursor[e]++, p);
            }
        }
    }

    /**
     * act[p, r] = silu(G_e[r] · x[p / k]) · (U_e[r] · x[p / k]) for every pair p of every expert e
     * whose weight addresses (u64 tables gate_w, up_w) are not 0; E4M3 weights take their scales'
     * addresses from gate_scales, up_scales.
     */
    private static void gateUp(EmulatedMemory m, EmulatedArgs a) {
        long x = a.ptr("x");
        long gateW = a.ptr("gate_w");
        long upW = a.ptr("up_w");
        long gateScales = a.ptr("gate_scales");
        long upScales = a.ptr("up_scales");
        int format = a.i32("format");
        long expertOffsets = a.ptr("expert_offsets");
        long sortedPairs = a.ptr("sorted_pairs");
        int k = a.i32("k");
        long act = a.ptr("act");
        int experts = a.i32("experts");
        int inter = a.i32("inter");
        int hidden = a.i32("hidden");
        for (int e = 0; e < experts; e++) {
            int begin = m.i32(expertOffsets, e);
            int end = m.i32(expertOffsets, e + 1);
            long gate = m.u64(gateW, e);
            long up = m.u64(upW, e);
            if (begin >= end || gate == 0 || up == 0) {
                continue;
            }
            boolean scaled = format == MoeKernels.FORMAT_E4M3;
            EmulatedWeights g = new EmulatedWeights(m, format, gate, scaled ? m.u64(gateScales, e) : 0, hidden);
            EmulatedWeights u = new EmulatedWeights(m, format, up, scaled ? m.u64(upScales, e) : 0, hidden);
            for (int at = begin; at < end; at++) {
                int pair = m.i32(sortedPairs, at);
                long input = x + 4L * (pair / k) * hidden;
                for (int r = 0; r < inter; r++) {
                    float gateValue = g.dot(r, input, false);
                    float upValue = u.dot(r, input, false);
                    m.f32(act, (long) pair * inter + r, EmulatedElementwise.silu(gateValue) * upValue);
                }
            }
        }
    }

    /** down[p, r] = D_e[r] · act[p] for every pair p of every expert e whose address in down_w is not 0. */
    private static void down(EmulatedMemory m, EmulatedArgs a) {
        long act = a.ptr("act");
        long downW = a.ptr("down_w");
        long downScales = a.ptr("down_scales");
        int format = a.i32("format");
        long expertOffsets = a.ptr("expert_offsets");
        long sortedPairs = a.ptr("sorted_pairs");
        long down = a.ptr("down");
        int experts = a.i32("experts");
        int inter = a.i32("inter");
        int hidden = a.i32("hidden");
        for (int e = 0; e < experts; e++) {
            int begin = m.i32(expertOffsets, e);
            int end = m.i32(expertOffsets, e + 1);
            long w = m.u64(downW, e);
            if (begin >= end || w == 0) {
                continue;
            }
            long scales = format == MoeKernels.FORMAT_E4M3 ? m.u64(downScales, e) : 0;
            EmulatedWeights d = new EmulatedWeights(m, format, w, scales, inter);
            for (int at = begin; at < end; at++) {
                int pair = m.i32(sortedPairs, at);
                long input = act + 4L * pair * inter;
                for (int r = 0; r < hidden; r++) {
                    m.f32(down, (long) pair * hidden + r, d.dot(r, input, false));
                }
            }
        }
    }

    /** out[t] = Σ_slot weights[t, slot] · down[t·k + slot] in slot order, then + shared[t] when shared is not NULL. */
    private static void combine(EmulatedMemory m, EmulatedArgs a) {
        long down = a.ptr("down");
        long weights = a.ptr("weights");
        long shared = a.ptr("shared");
        long out = a.ptr("out");
        int tokens = a.i32("tokens");
        int k = a.i32("k");
        int hidden = a.i32("hidden");
        for (int t = 0; t < tokens; t++) {
            for (int i = 0; i < hidden; i++) {
                float sum = m.f32(weights, (long) t * k) * m.f32(down, (long) t * k * hidden + i);
                for (int slot = 1; slot < k; slot++) {
                    long pair = (long) t * k + slot;
                    sum += m.f32(weights, pair) * m.f32(down, pair * hidden + i);
                }
                long idx = (long) t * hidden + i;
                if (shared != 0) {
                    sum += m.f32(shared, idx);
                }
                m.f32(out, idx, sum);
            }
        }
    }
}
