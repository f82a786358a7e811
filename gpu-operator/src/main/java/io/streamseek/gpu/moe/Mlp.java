package io.streamseek.gpu.moe;

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

    /** {@code out[outOffset ..] = mlp(x[xOffset ..])}, gate and up projections in one parallel dispatch. */
    public void forward(float[] x, int xOffset, float[] out, int outOffset, MoeScratch s) {
        s.job(0, gateProj, x, xOffset, s.gates[0]);
        s.job(1, upProj, x, xOffset, s.ups[0]);
        s.runJobs(2);
        Kernels.siluMul(s.gates[0], 0, s.ups[0], 0, intermediateSize());
        s.workers.matvec(downProj, s.gates[0], 0, out, outOffset);
    }

    /**
     * {@code out[outOffset + t·hidden ..] = mlp(x[xOffset + t·hidden ..])} for {@code tokens} rows,
     * each weight row read once for all of them. Every output is the same dot product the
     * single-token path computes.
     */
    public void forwardBatch(float[] x, int xOffset, int tokens, float[] out, int outOffset, MoeScratch s) {
        int inter = intermediateSize();
        int hidden = downProj.rows();
        s.ensureBatch(tokens);
        s.workers.matmul(gateProj, x, xOffset, hidden, s.batchGate, 0, inter, tokens);
        s.workers.matmul(upProj, x, xOffset, hidden, s.batchUp, 0, inter, tokens);
        for (int t = 0; t < tokens; t++) {
            Kernels.siluMul(s.batchGate, t * inter, s.batchUp, t * inter, inter);
        }
        s.workers.matmul(downProj, s.batchGate, 0, inter, out, outOffset, hidden, tokens);
    }

    /** Bytes of weights one token reads through this MLP. */
    public long bytes() {
        return gateProj.bytes() + upProj.bytes() + downProj.bytes();
    }
}
