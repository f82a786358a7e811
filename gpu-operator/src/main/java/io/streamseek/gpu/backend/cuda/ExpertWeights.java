package io.streamseek.gpu.backend.cuda;

import io.streamseek.gpu.backend.cpu.Linear;
import io.streamseek.gpu.backend.cuda.driver.DevicePointer;
import io.streamseek.gpu.backend.cuda.kernel.MoeKernels;
import io.streamseek.gpu.moe.Mlp;
import io.streamseek.gpu.moe.MoeLayer;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntPredicate;

/**
 * One MoE layer's routed experts on one GPU: the experts this device runs, uploaded, and the
 * device address table the grouped kernels read ({@code [6][n_routed_experts]}: gate, up and down
 * weights, then their block scales), with 0 for every expert this device does not run, which the
 * kernels skip.
 */
final class ExpertWeights implements AutoCloseable {

    final DeviceArray addresses;
    final int format;
    final int intermediateSize;
    private final List<DeviceLinear> uploaded;

    private ExpertWeights(DeviceArray addresses, int format, int intermediateSize, List<DeviceLinear> uploaded) {
        this.addresses = addresses;
        this.format = format;
        this.intermediateSize = intermediateSize;
        this.uploaded = uploaded;
    }

    /**
     * @param onThisDevice which experts (by index) this device runs
     * @param prefix the layer's checkpoint prefix, {@code model.layers.N.mlp.}
     */
    static ExpertWeights upload(DeviceMemory memory, MoeLayer moe, IntPredicate onThisDevice, String prefix) {
        Mlp[] experts = moe.experts();
        int n = experts.length;
        Linear.Format format = experts[0].gateProj().format();
        long[] addresses = new long[6 * n];
        List<DeviceLinear> uploaded = new ArrayList<>();
        for (int e = 0; e < n; e++) {
            String name = prefix + "experts." + e + ".";
            List<Linear> weights = List.of(experts[e].gateProj(), experts[e].upProj(), experts[e].downProj());
            for (Linear w : weights) {
                if (w.format() != format) {
                    throw new IllegalArgumentException(name + ": routed experts of one layer must share a dtype, found " + format
                            + " and " + w.format());
                }
            }
            if (!onThisDevice.test(e)) {
                continue;
            }
            String[] names = {"gate_proj.weight", "up_proj.weight", "down_proj.weight"};
            for (int m = 0; m < 3; m++) {
                DeviceLinear w = DeviceLinear.upload(memory, weights.get(m), name + names[m]);
                uploaded.add(w);
                addresses[m * n + e] = w.values.address();
                addresses[(3 + m) * n + e] = w.scalesAddress();
            }
        }
        DeviceArray table = memory.allocate(8L * addresses.length, prefix + "experts address table");
        table.upload(addresses);
        // F16 experts are widened to f32 on upload.
        int code = MoeKernels.formatCode(format == Linear.Format.F16 ? Linear.Format.F32 : format);
        return new ExpertWeights(table, code, experts[0].intermediateSize(), uploaded);
    }

    /**
     * Groups the step's token-expert pairs by expert and runs this device's experts over them:
     * {@code down[pair] = D_e · (silu(G_e · x_t) ⊙ (U_e · x_t))} for each pair whose expert is here;
     * other pairs' rows are left as they are.
     *
     * @param chosen {@code [tokens, k]} experts per token, ascending
     */
    void launch(DeviceKernels kernels, DevicePointer x, DevicePointer chosen, int tokens, int k, int experts, int hidden,
                DevicePointer offsets, DevicePointer pairs, DevicePointer act, DevicePointer down) {
        long n = experts;
        kernels.moeSort(chosen, tokens, k, experts, offsets, pairs);
        kernels.moeGateUp(x, addresses.at(0), addresses.at(8 * n), addresses.at(8 * 3 * n), addresses.at(8 * 4 * n), format, offsets, pairs,
                k, act, experts, intermediateSize, hidden);
        kernels.moeDown(act, addresses.at(8 * 2 * n), addresses.at(8 * 5 * n), format, offsets, pairs, down, experts, intermediateSize,
                hidden);
    }

    @Override
    public void close() {
        addresses.close();
        uploaded.forEach(DeviceLinear::close);
    }
}
