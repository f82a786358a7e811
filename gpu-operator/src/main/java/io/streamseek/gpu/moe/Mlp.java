package io.streamseek.gpu.moe;

import io.streamseek.gpu.backend.cpu.CpuWorkers;
import io.streamseek.gpu.backend.cpu.Kernels;
import io.streamseek.gpu.backend.cpu.Linear;

/**
 * A SiLU-gated MLP: {@code down_proj(silu(gate_proj(x)) * up_proj(x))}. The dense MLP of the first
 * {@code first_k_dense_replace} layers, each routed expert, and the shared experts (one MLP of width
 * {@code n_shared_experts × moe_intermediate_size}) are all this.
 *
 * @param gateProj {@code gate_proj} {@code [intermediate, hidden]}
 * @param upProj {@code up_proj} {@code [intermediate, hidden]}
 * @param downProj {@code down_proj} {@code [hidden, intermediate]}
 */
public record Mlp(Linear gateProj, Linear upProj, Linear downProj) {

    public int intermediateSize() {
        return gateProj.rows();
    }

    /**
     * {@code out[outOffset ..] (+)= scale × mlp(x[xOffset ..])}.
     *
     * @param gate scratch {@code [intermediate]}
     * @param up scratch {@code [intermediate]}
     * @param down scratch {@code [hidden]}
     * @param accumulate add into {@code out} rather than overwrite it
     */
    public void forward(float[] x, int xOffset, float[] out, int outOffset, float scale, boolean accumulate,
                        float[] gate, float[] up, float[] down, CpuWorkers workers) {
        int inter = intermediateSize();
        workers.matvec(gateProj, x, xOffset, gate, 0);
        workers.matvec(upProj, x, xOffset, up, 0);
        Kernels.siluMul(gate, 0, up, 0, inter);
        int hidden = downProj.rows();
        workers.matvec(downProj, gate, 0, down, 0);
        for (int i = 0; i < hidden; i++) {
            out[outOffset + i] = accumulate ? out[outOffset + i] + scale * down[i] : scale * down[i];
        }
    }

    /** Bytes of weights one token reads through this MLP. */
    public long bytes() {
        return gateProj.bytes() + upProj.bytes() + downProj.bytes();
    }
}
