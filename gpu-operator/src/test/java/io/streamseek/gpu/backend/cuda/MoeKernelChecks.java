package io.streamseek.gpu.backend.cuda;

import io.streamseek.gpu.backend.cpu.Kernels;
import io.streamseek.gpu.backend.cpu.Linear;
import io.streamseek.gpu.backend.cuda.driver.DevicePointer;
import io.streamseek.gpu.backend.cuda.kernel.MoeKernels;
import io.streamseek.gpu.moe.Router;
import io.streamseek.gpu.moe.RouterSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.ByteBuffer;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The DeepSeekMoE kernels against the CPU: routing against {@link Router#route} for every
 * {@code topk_method}, the sort's order, the grouped expert MLPs against {@link Linear#dot} and
 * {@link Kernels#siluMul} in every storage format, and the weighted combine: run on the emulator by
 * {@link EmulatedMoeKernelsTest} and on a GPU by {@link MoeKernelsGpuTest}. The routing choices and
 * the sort are integers, checked exactly on any device: the routing scores are computed as
 * {@code Router} does (exp in double, sums in expert order), so only two selection scores within an
 * ulp of each other could be ordered differently, and the one tie the routing check plants is exact
 * (it goes to the lower index everywhere).
 */
abstract class MoeKernelChecks extends KernelChecks {

    static final long SEED = 11;

    @ParameterizedTest
    @EnumSource(RouterSpec.TopkMethod.class)
    void routeChoosesAsRouterRouteWithChoicesInExpertOrder(RouterSpec.TopkMethod method) {
        KernelTestDevice device = device();
        DeviceKernels kernels = device.kernels;
        int experts = 16;
        int k = 4;
        int tokens = 6;
        boolean noaux = method == RouterSpec.TopkMethod.NOAUX_TC;
        float[] bias = noaux ? device.uniform(experts, 0.05f) : null;
        RouterSpec spec = new RouterSpec(experts, k, method, noaux ? RouterSpec.ScoringFunc.SIGMOID : RouterSpec.ScoringFunc.SOFTMAX,
                4, 2, noaux, noaux ? 2.5f : 16f, bias);
        float[] logits = device.uniform(tokens * experts, 3f);
        logits[3] = logits[7]; // a tie: the lower index wins on both sides
        DevicePointer chosen = device.ints("chosen", new int[tokens * k]);
        DevicePointer weights = device.output("weights", tokens * k);
        kernels.moeRoute(device.floats("router logits", logits), bias == null ? DevicePointer.NULL : device.floats("bias", bias), chosen,
                weights, tokens, experts, k, MoeKernels.topkMethodCode(method), MoeKernels.scoringCode(spec.scoringFunc()),
                spec.numGroups(), spec.topkGroup(), spec.normTopkProb(), spec.routedScalingFactor());

        Router router = new Router(experts, 4);
        int[] expectedChosen = new int[tokens * k];
        float[] expectedWeights = new float[tokens * k];
        int[] picked = new int[k];
        float[] pickedWeights = new float[k];
        for (int t = 0; t < tokens; t++) {
            router.route(spec, logits, t * experts, picked, pickedWeights);
            Integer[] order = {0, 1, 2, 3};
            Arrays.sort(order, (a, b) -> Integer.compare(picked[a], picked[b]));
            for (int slot = 0; slot < k; slot++) {
                expectedChosen[t * k + slot] = picked[order[slot]];
                expectedWeights[t * k + slot] = pickedWeights[order[slot]];
            }
        }
        assertThat(device.readInts(chosen, tokens * k)).as("moe_route choices").isEqualTo(expectedChosen);
        assertOutput(MoeKernels.ROUTE, device.read(weights, tokens * k), expectedWeights, 1e-6);
    }

    @Test
    void sortGroupsPairsByExpertInAscendingPairOrder() {
        KernelTestDevice device = device();
        DeviceKernels kernels = device.kernels;
        int tokens = 7;
        int k = 3;
        int experts = 5;
        int[] chosen = new int[tokens * k];
        for (int p = 0; p < chosen.length; p++) {
            chosen[p] = device.random.nextInt(experts);
        }
        chosen[4] = -1; // not a choice: left out
        DevicePointer offsets = device.ints("expert offsets", new int[experts + 1]);
        DevicePointer sorted = device.ints("sorted pairs", new int[tokens * k]);
        kernels.moeSort(device.ints("chosen", chosen), tokens, k, experts, offsets, sorted);

        int[] expectedOffsets = new int[experts + 1];
        int[] expectedPairs = new int[tokens * k]; // the last slot stays 0: one pair was left out
        int at = 0;
        for (int e = 0; e < experts; e++) {
            expectedOffsets[e] = at;
            for (int p = 0; p < chosen.length; p++) {
                if (chosen[p] == e) {
                    expectedPairs[at++] = p;
                }
            }
        }
        expectedOffsets[experts] = at;
        assertThat(device.readInts(offsets, experts + 1)).as("moe_sort expert offsets").isEqualTo(expectedOffsets);
        assertThat(device.readInts(sorted, tokens * k)).as("moe_sort sorted pairs").isEqualTo(expectedPairs);
    }

    @ParameterizedTest
    @EnumSource(value = Linear.Format.class, names = {"F32", "BF16", "E4M3"})
    void expertKernelsRunEachPairThroughItsExpertsMlpAndSkipExpertsNotOnTheDevice(Linear.Format format) {
        KernelTestDevice device = device();
        DeviceKernels kernels = device.kernels;
        int experts = 4;
        int hidden = 8;
        int inter = 12;
        int tokens = 3;
        int k = 2;
        int absent = 1; // weights on another device: address 0
        int[] chosen = {0, 2, 2, 3, 0, 1};
        float[] x = device.uniform(tokens * hidden, 1f);
        Linear[] gate = new Linear[experts];
        Linear[] up = new Linear[experts];
        Linear[] down = new Linear[experts];
        long[][] addresses = new long[6][experts]; // gate, up, down weights; gate, up, down scales
        for (int e = 0; e < experts; e++) {
            gate[e] = upload(format, inter, hidden, addresses, 0, e, e == absent);
            up[e] = upload(format, inter, hidden, addresses, 1, e, e == absent);
            down[e] = upload(format, hidden, inter, addresses, 2, e, e == absent);
        }
        boolean scaled = format == Linear.Format.E4M3;
        DevicePointer offsets = device.ints("expert offsets", new int[experts + 1]);
        DevicePointer sorted = device.ints("sorted pairs", new int[tokens * k]);
        kernels.moeSort(device.ints("chosen", chosen), tokens, k, experts, offsets, sorted);
        DevicePointer act = device.output("act", tokens * k * inter);
        DevicePointer downOut = device.output("down", tokens * k * hidden);
        int code = MoeKernels.formatCode(format);
        kernels.moeGateUp(device.floats("x", x), device.longs("gate_w", addresses[0]), device.longs("up_w", addresses[1]),
                scaled ? device.longs("gate scales", addresses[3]) : DevicePointer.NULL,
                scaled ? device.longs("up scales", addresses[4]) : DevicePointer.NULL, code, offsets, sorted, k, act, experts, inter, hidden);
        kernels.moeDown(act, device.longs("down_w", addresses[2]), scaled ? device.longs("down scales", addresses[5]) : DevicePointer.NULL,
                code, offsets, sorted, downOut, experts, inter, hidden);

        float[] expectedAct = new float[tokens * k * inter];
        float[] expectedDown = new float[tokens * k * hidden];
        Arrays.fill(expectedAct, Float.NaN);
        Arrays.fill(expectedDown, Float.NaN);
        for (int pair = 0; pair < chosen.length; pair++) {
            int e = chosen[pair];
            if (e == absent) {
                continue;
            }
            float[] u = new float[inter];
            for (int r = 0; r < inter; r++) {
                expectedAct[pair * inter + r] = gate[e].dot(r, x, pair / k * hidden);
                u[r] = up[e].dot(r, x, pair / k * hidden);
            }
            Kernels.siluMul(expectedAct, pair * inter, u, 0, inter);
            for (int r = 0; r < hidden; r++) {
                expectedDown[pair * hidden + r] = down[e].dot(r, expectedAct, pair * inter);
            }
        }
        assertOutput(MoeKernels.EXPERT_GATE_UP, device.read(act, expectedAct.length), expectedAct, 1e-5);
        assertOutput(MoeKernels.EXPERT_DOWN, device.read(downOut, expectedDown.length), expectedDown, 1e-5);
    }

    /** A random expert matrix on the device (its address in {@code addresses[slot][e]}), or only on the host when absent. */
    private Linear upload(Linear.Format format, int rows, int cols, long[][] addresses, int slot, int e, boolean absent) {
        KernelTestDevice device = device();
        String name = "expert " + e + " matrix " + slot;
        Linear w;
        DevicePointer values;
        switch (format) {
            case F32 -> {
                float[] v = device.uniform(rows * cols, 1f);
                w = Linear.ofFloats(rows, cols, v);
                values = device.floats(name, v);
            }
            case BF16 -> {
                short[] bits = device.bf16(rows * cols);
                w = Linear.bf16(rows, cols, bits, Linear.Layout.ROWS);
                values = device.shorts(name, bits);
            }
            default -> {
                byte[] codes = device.e4m3(rows * cols);
                float[] scales = device.scales(rows, cols);
                w = Linear.e4m3(rows, cols, ByteBuffer.wrap(codes), scales);
                values = device.bytes(name, codes);
                addresses[slot + 3][e] = absent ? 0 : device.floats(name + " scales", scales).address();
            }
        }
        addresses[slot][e] = absent ? 0 : values.address();
        return w;
    }

    @Test
    void combineSumsTheWeightedSlotsInOrderThenAddsTheSharedExperts() {
        KernelTestDevice device = device();
        DeviceKernels kernels = device.kernels;
        int tokens = 3;
        int k = 2;
        int hidden = 8;
        float[] down = device.uniform(tokens * k * hidden, 2f);
        float[] weights = device.uniform(tokens * k, 1f);
        float[] shared = device.uniform(tokens * hidden, 2f);
        DevicePointer downs = device.floats("down", down);
        DevicePointer ws = device.floats("weights", weights);
        float[] routed = new float[tokens * hidden];
        float[] withShared = new float[tokens * hidden];
        for (int t = 0; t < tokens; t++) {
            for (int i = 0; i < hidden; i++) {
                float sum = weights[t * k] * down[t * k * hidden + i];
                for (int slot = 1; slot < k; slot++) {
                    sum += weights[t * k + slot] * down[(t * k + slot) * hidden + i];
                }
                routed[t * hidden + i] = sum;
                withShared[t * hidden + i] = sum + shared[t * hidden + i];
            }
        }
        DevicePointer out = device.output("out", tokens * hidden);
        kernels.moeCombine(downs, ws, DevicePointer.NULL, out, tokens, k, hidden);
        assertOutput(MoeKernels.COMBINE, device.read(out, tokens * hidden), routed, 0);
        kernels.moeCombine(downs, ws, device.floats("shared", shared), out, tokens, k, hidden);
        assertOutput(MoeKernels.COMBINE, device.read(out, tokens * hidden), withShared, 0);
    }
}
