package io.streamseek.gpu.backend.cuda;

import io.streamseek.gpu.backend.cpu.Linear;
import io.streamseek.gpu.backend.cuda.driver.CudaContext;
import io.streamseek.gpu.backend.cuda.driver.CudaStream;
import io.streamseek.gpu.backend.cuda.driver.DevicePointer;
import io.streamseek.gpu.backend.cuda.driver.Kernel;
import io.streamseek.gpu.backend.cuda.driver.KernelModule;
import io.streamseek.gpu.backend.cuda.kernel.ElementwiseKernels;
import io.streamseek.gpu.backend.cuda.kernel.KernelSignature;
import io.streamseek.gpu.backend.cuda.kernel.LaunchGeometry;
import io.streamseek.gpu.backend.cuda.kernel.LinearKernels;
import io.streamseek.gpu.backend.cuda.kernel.MlaKernels;
import io.streamseek.gpu.backend.cuda.kernel.MoeKernels;

import java.util.HashMap;
import java.util.Map;

/**
 * Every kernel of the forward pass, loaded once per device, launched on the device's stream with
 * the geometry its family computes. One method per operation, in the forward pass's terms; the
 * argument lists mirror the CUDA sources (checked against the PTX by {@code PtxSignatureTest}).
 */
final class DeviceKernels {

    /** Launches one kernel; a test puts a recorder here to check every launch's arguments without a GPU. */
    @FunctionalInterface
    interface Launcher {
        void launch(KernelSignature kernel, LaunchGeometry geometry, Object... args);
    }

    private final Launcher launcher;

    /** Kernels of {@code context}'s device, loaded on first use, launched on {@code stream}. */
    DeviceKernels(CudaContext context, CudaStream stream) {
        Map<String, KernelModule> modules = new HashMap<>();
        Map<KernelSignature, Kernel> kernels = new HashMap<>();
        this.launcher = (signature, geometry, args) -> kernels.computeIfAbsent(signature,
                s -> modules.computeIfAbsent(s.module(), context::loadModule).kernel(s)).launch(stream, geometry, args);
    }

    DeviceKernels(Launcher launcher) {
        this.launcher = launcher;
    }

    // ---- elementwise ----

    void embedding(Linear.Format format, DevicePointer table, DevicePointer scales, int hidden, DevicePointer tokens, DevicePointer out,
                   int count) {
        LaunchGeometry geometry = ElementwiseKernels.embeddingGeometry(count, hidden);
        switch (format) {
            case F32 -> launcher.launch(ElementwiseKernels.EMBEDDING_F32, geometry, table, tokens, out, count, hidden);
            case BF16 -> launcher.launch(ElementwiseKernels.EMBEDDING_BF16, geometry, table, tokens, out, count, hidden);
            case E4M3 -> launcher.launch(ElementwiseKernels.EMBEDDING_E4M3, geometry, table, scales, tokens, out, count, hidden);
            default -> throw new IllegalStateException("no embedding kernel for " + format);
        }
    }

    void rmsNorm(DevicePointer x, int xStride, DevicePointer weight, float eps, DevicePointer out, int outStride, int rows, int n) {
        launcher.launch(ElementwiseKernels.RMS_NORM, ElementwiseKernels.rmsNormGeometry(rows, n), x, xStride, weight, eps, out,
                outStride, rows, n);
    }

    void rmsNormGather(DevicePointer x, int xStride, DevicePointer rowIndex, DevicePointer weight, float eps, DevicePointer out,
                       int outStride, int rows, int n) {
        launcher.launch(ElementwiseKernels.RMS_NORM_GATHER, ElementwiseKernels.rmsNormGatherGeometry(rows, n), x, xStride, rowIndex,
                weight, eps, out, outStride, rows, n);
    }

    void rope(DevicePointer x, int rowStride, int offset, int headStride, int heads, DevicePointer positions, DevicePointer cos,
              DevicePointer sin, int half, int rows) {
        launcher.launch(ElementwiseKernels.ROPE, ElementwiseKernels.ropeGeometry(rows, heads, half), x, rowStride, offset,
                headStride, heads, positions, cos, sin, half, rows);
    }

    void latentCacheWrite(DevicePointer kv, int kvStride, DevicePointer normWeight, float eps, int lora, int ropeDim,
                          DevicePointer positions, DevicePointer cos, DevicePointer sin, DevicePointer slotBlock, DevicePointer slotIndex,
                          DevicePointer cache, int layer, int numLayers, int blockSize, int rows) {
        launcher.launch(ElementwiseKernels.LATENT_CACHE_WRITE, ElementwiseKernels.latentCacheWriteGeometry(rows, lora, ropeDim),
                kv, kvStride, normWeight, eps, lora, ropeDim, positions, cos, sin, slotBlock, slotIndex, cache, layer, numLayers,
                blockSize, rows);
    }

    void addInPlace(DevicePointer h, DevicePointer delta, int n) {
        launcher.launch(ElementwiseKernels.ADD_INPLACE, ElementwiseKernels.addGeometry(n), h, delta, n);
    }

    void siluMul(DevicePointer gate, int gateStride, DevicePointer up, int upStride, int rows, int n) {
        launcher.launch(ElementwiseKernels.SILU_MUL, ElementwiseKernels.siluMulGeometry(rows, n), gate, gateStride, up, upStride,
                rows, n);
    }

    // ---- weight products ----

    void linearF32(DevicePointer x, int xStride, DevicePointer w, DevicePointer out, int outStride, int tokens, int rows, int cols) {
        launcher.launch(LinearKernels.LINEAR_F32, LinearKernels.simtGeometry(tokens, rows, cols), x, xStride, w, out, outStride,
                tokens, rows, cols);
    }

    void linearBf16(DevicePointer x, int xStride, DevicePointer w, DevicePointer out, int outStride, int tokens, int rows, int cols) {
        launcher.launch(LinearKernels.LINEAR_BF16, LinearKernels.simtGeometry(tokens, rows, cols), x, xStride, w, out, outStride,
                tokens, rows, cols);
    }

    void linearE4m3(DevicePointer x, int xStride, DevicePointer w, DevicePointer scales, DevicePointer out, int outStride, int tokens, int rows,
                    int cols) {
        launcher.launch(LinearKernels.LINEAR_E4M3, LinearKernels.simtGeometry(tokens, rows, cols), x, xStride, w, scales, out,
                outStride, tokens, rows, cols);
    }

    void linearBf16Mma(DevicePointer x, int xStride, DevicePointer w, DevicePointer out, int outStride, int tokens, int rows, int cols) {
        launcher.launch(LinearKernels.LINEAR_BF16_MMA, LinearKernels.mmaGeometry(tokens, rows, cols), x, xStride, w, out, outStride,
                tokens, rows, cols);
    }

    void linearE4m3Mma(DevicePointer x, int xStride, DevicePointer w, DevicePointer scales, DevicePointer out, int outStride, int tokens, int rows,
                       int cols) {
        launcher.launch(LinearKernels.LINEAR_E4M3_MMA, LinearKernels.mmaGeometry(tokens, rows, cols), x, xStride, w, scales, out,
                outStride, tokens, rows, cols);
    }

    // ---- multi-head latent attention ----

    void mlaAbsorbQuery(DevicePointer q, int qStride, DevicePointer kvB, DevicePointer taskToken, DevicePointer qLatent, int tasks,
                        int heads, int nope, int rope, int v, int lora) {
        launcher.launch(MlaKernels.ABSORB_QUERY, MlaKernels.absorbQueryGeometry(tasks, heads, nope, lora), q, qStride, kvB,
                taskToken, qLatent, tasks, heads, nope, rope, v, lora);
    }

    /**
     * @param tensorCores the TF32 tensor-core variant ({@link MlaKernels#useTensorCores}): chosen by the
     *     model's shape, never by the batch, so a token's arithmetic does not depend on its step
     */
    void mlaDecodeAttention(boolean tensorCores, DevicePointer qLatent, DevicePointer cache, DevicePointer blockTables, int maxBlocks,
                            DevicePointer contextLens, DevicePointer partOut, DevicePointer partMax, DevicePointer partSum, int tasks,
                            int heads, int lora, int width, int layer, int numLayers, int blockSize, int maxSplits, float softmaxScale) {
        KernelSignature signature = tensorCores ? MlaKernels.DECODE_ATTENTION_TC : MlaKernels.DECODE_ATTENTION;
        LaunchGeometry geometry = tensorCores ? MlaKernels.decodeTcGeometry(tasks, maxSplits, heads, lora, width)
                : MlaKernels.decodeGeometry(tasks, maxSplits, heads, lora, width);
        launcher.launch(signature, geometry, qLatent, cache, blockTables, maxBlocks, contextLens, partOut, partMax, partSum, tasks,
                heads, lora, width, layer, numLayers, blockSize, MlaKernels.SPLIT_LEN, maxSplits, softmaxScale);
    }

    void mlaDecodeCombine(DevicePointer partOut, DevicePointer partMax, DevicePointer partSum, DevicePointer contextLens,
                          DevicePointer oLatent, int tasks, int heads, int lora, int maxSplits) {
        launcher.launch(MlaKernels.DECODE_COMBINE, MlaKernels.combineGeometry(tasks, heads), partOut, partMax, partSum,
                contextLens, oLatent, tasks, heads, lora, MlaKernels.SPLIT_LEN, maxSplits);
    }

    void mlaAbsorbOutput(DevicePointer oLatent, DevicePointer kvB, DevicePointer taskToken, DevicePointer attn, int attnStride, int tasks,
                         int heads, int nope, int v, int lora) {
        launcher.launch(MlaKernels.ABSORB_OUTPUT, MlaKernels.absorbOutputGeometry(tasks, heads, lora), oLatent, kvB, taskToken, attn,
                attnStride, tasks, heads, nope, v, lora);
    }

    void mlaGatherLatent(DevicePointer cache, DevicePointer blockTable, int context, int layer, int numLayers, int blockSize, int width,
                         DevicePointer latent) {
        launcher.launch(MlaKernels.GATHER_LATENT, MlaKernels.gatherGeometry(context, width), cache, blockTable, context, layer,
                numLayers, blockSize, width, latent);
    }

    void mlaPrefillAttention(DevicePointer q, int qStride, DevicePointer keysValues, DevicePointer latent, DevicePointer attn,
                             int attnStride, int count, int startPos, int heads, int nope, int rope, int v, int lora, int width,
                             float softmaxScale) {
        launcher.launch(MlaKernels.PREFILL_ATTENTION, MlaKernels.prefillGeometry(count, heads, nope, rope, v), q, qStride, keysValues, latent,
                attn, attnStride, count, startPos, heads, nope, rope, v, lora, width, softmaxScale);
    }

    // ---- DeepSeekMoE ----

    void moeRoute(DevicePointer logits, DevicePointer correctionBias, DevicePointer chosen, DevicePointer weights, int tokens, int experts,
                  int k, int topkMethod, int scoring, int groups, int topkGroup, boolean normTopkProb, float routedScalingFactor) {
        launcher.launch(MoeKernels.ROUTE, MoeKernels.routeGeometry(tokens, experts, k, groups), logits, correctionBias, chosen, weights, tokens,
                experts, k, topkMethod, scoring, groups, topkGroup, normTopkProb ? 1 : 0, routedScalingFactor);
    }

    void moeSort(DevicePointer chosen, int tokens, int k, int experts, DevicePointer expertOffsets, DevicePointer sortedPairs) {
        launcher.launch(MoeKernels.SORT, MoeKernels.sortGeometry(tokens, k, experts), chosen, tokens, k, experts, expertOffsets,
                sortedPairs);
    }

    void moeGateUp(DevicePointer x, DevicePointer gateW, DevicePointer upW, DevicePointer gateScales, DevicePointer upScales, int format,
                   DevicePointer expertOffsets, DevicePointer sortedPairs, int k, DevicePointer act, int experts, int inter, int hidden) {
        launcher.launch(MoeKernels.EXPERT_GATE_UP, MoeKernels.gateUpGeometry(experts, inter, hidden), x, gateW, upW, gateScales, upScales, format,
                expertOffsets, sortedPairs, k, act, experts, inter, hidden);
    }

    void moeDown(DevicePointer act, DevicePointer downW, DevicePointer downScales, int format, DevicePointer expertOffsets,
                 DevicePointer sortedPairs, DevicePointer down, int experts, int inter, int hidden) {
        launcher.launch(MoeKernels.EXPERT_DOWN, MoeKernels.downGeometry(experts, inter, hidden), act, downW, downScales, format, expertOffsets,
                sortedPairs, down, experts, inter, hidden);
    }

    void moeCombine(DevicePointer down, DevicePointer weights, DevicePointer shared, DevicePointer out, int tokens, int k, int hidden) {
        launcher.launch(MoeKernels.COMBINE, MoeKernels.combineGeometry(tokens, hidden), down, weights, shared, out, tokens, k, hidden);
    }
}
