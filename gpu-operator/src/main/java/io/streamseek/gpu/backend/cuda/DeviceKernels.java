package io.streamseek.gpu.backend.cuda;

import io.streamseek.gpu.backend.cuda.driver.CudaContext;
import io.streamseek.gpu.backend.cuda.driver.CudaStream;
import io.streamseek.gpu.backend.cuda.driver.DeviceBuffer;
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

    private final CudaStream stream;
    private final Map<String, KernelModule> modules = new HashMap<>();
    private final Map<KernelSignature, Kernel> kernels = new HashMap<>();
    private final CudaContext context;

    DeviceKernels(CudaContext context, CudaStream stream) {
        this.context = context;
        this.stream = stream;
    }

    CudaStream stream() {
        return stream;
    }

    private Kernel kernel(KernelSignature signature) {
        return kernels.computeIfAbsent(signature,
                s -> modules.computeIfAbsent(s.module(), context::loadModule).kernel(s));
    }

    // ---- elementwise ----

    void embedding(DeviceLinear table, DevicePointer tokens, DevicePointer out, int count) {
        var geometry = ElementwiseKernels.embeddingGeometry(count, table.cols);
        switch (table.format) {
            case F32 -> kernel(ElementwiseKernels.EMBEDDING_F32).launch(stream, geometry, table.values, tokens, out, count, table.cols);
            case BF16 -> kernel(ElementwiseKernels.EMBEDDING_BF16).launch(stream, geometry, table.values, tokens, out, count, table.cols);
            case E4M3 -> kernel(ElementwiseKernels.EMBEDDING_E4M3).launch(stream, geometry, table.values, table.scales, tokens, out, count,
                    table.cols);
            default -> throw new IllegalStateException("no embedding kernel for " + table.format);
        }
    }

    void rmsNorm(DevicePointer x, int xStride, DevicePointer weight, float eps, DevicePointer out, int outStride, int rows, int n) {
        kernel(ElementwiseKernels.RMS_NORM).launch(stream, ElementwiseKernels.rmsNormGeometry(rows, n), x, xStride, weight, eps, out,
                outStride, rows, n);
    }

    void rmsNormGather(DevicePointer x, int xStride, DevicePointer rowIndex, DevicePointer weight, float eps, DevicePointer out,
                       int outStride, int rows, int n) {
        kernel(ElementwiseKernels.RMS_NORM_GATHER).launch(stream, ElementwiseKernels.rmsNormGatherGeometry(rows, n), x, xStride, rowIndex,
                weight, eps, out, outStride, rows, n);
    }

    void rope(DevicePointer x, int rowStride, int offset, int headStride, int heads, DevicePointer positions, DevicePointer cos,
              DevicePointer sin, int half, int rows) {
        kernel(ElementwiseKernels.ROPE).launch(stream, ElementwiseKernels.ropeGeometry(rows, heads, half), x, rowStride, offset,
                headStride, heads, positions, cos, sin, half, rows);
    }

    void latentCacheWrite(DevicePointer kv, int kvStride, DevicePointer normWeight, float eps, int lora, int ropeDim,
                          DevicePointer positions, DevicePointer cos, DevicePointer sin, DevicePointer slotBlock, DevicePointer slotIndex,
                          DevicePointer cache, int layer, int numLayers, int blockSize, int rows) {
        kernel(ElementwiseKernels.LATENT_CACHE_WRITE).launch(stream, ElementwiseKernels.latentCacheWriteGeometry(rows, lora, ropeDim),
                kv, kvStride, normWeight, eps, lora, ropeDim, positions, cos, sin, slotBlock, slotIndex, cache, layer, numLayers,
                blockSize, rows);
    }

    void addInPlace(DevicePointer h, DevicePointer delta, int n) {
        kernel(ElementwiseKernels.ADD_INPLACE).launch(stream, ElementwiseKernels.addGeometry(n), h, delta, n);
    }

    void siluMul(DevicePointer gate, int gateStride, DevicePointer up, int upStride, int rows, int n) {
        kernel(ElementwiseKernels.SILU_MUL).launch(stream, ElementwiseKernels.siluMulGeometry(rows, n), gate, gateStride, up, upStride,
                rows, n);
    }

    // ---- weight products ----

    void linearF32(DevicePointer x, int xStride, DeviceBuffer w, DevicePointer out, int outStride, int tokens, int rows, int cols) {
        kernel(LinearKernels.LINEAR_F32).launch(stream, LinearKernels.simtGeometry(tokens, rows, cols), x, xStride, w, out, outStride,
                tokens, rows, cols);
    }

    void linearBf16(DevicePointer x, int xStride, DeviceBuffer w, DevicePointer out, int outStride, int tokens, int rows, int cols) {
        kernel(LinearKernels.LINEAR_BF16).launch(stream, LinearKernels.simtGeometry(tokens, rows, cols), x, xStride, w, out, outStride,
                tokens, rows, cols);
    }

    void linearE4m3(DevicePointer x, int xStride, DeviceBuffer w, DeviceBuffer scales, DevicePointer out, int outStride, int tokens, int rows,
                    int cols) {
        kernel(LinearKernels.LINEAR_E4M3).launch(stream, LinearKernels.simtGeometry(tokens, rows, cols), x, xStride, w, scales, out,
                outStride, tokens, rows, cols);
    }

    void linearBf16Mma(DevicePointer x, int xStride, DeviceBuffer w, DevicePointer out, int outStride, int tokens, int rows, int cols) {
        kernel(LinearKernels.LINEAR_BF16_MMA).launch(stream, LinearKernels.mmaGeometry(tokens, rows, cols), x, xStride, w, out, outStride,
                tokens, rows, cols);
    }

    void linearE4m3Mma(DevicePointer x, int xStride, DeviceBuffer w, DeviceBuffer scales, DevicePointer out, int outStride, int tokens, int rows,
                       int cols) {
        kernel(LinearKernels.LINEAR_E4M3_MMA).launch(stream, LinearKernels.mmaGeometry(tokens, rows, cols), x, xStride, w, scales, out,
                outStride, tokens, rows, cols);
    }

    // ---- multi-head latent attention ----

    void mlaAbsorbQuery(DevicePointer q, int qStride, DeviceBuffer kvB, DevicePointer taskToken, DevicePointer qLatent, int tasks,
                        int heads, int nope, int rope, int v, int lora) {
        kernel(MlaKernels.ABSORB_QUERY).launch(stream, MlaKernels.absorbQueryGeometry(tasks, heads, nope, lora), q, qStride, kvB,
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
        kernel(signature).launch(stream, geometry, qLatent, cache, blockTables, maxBlocks, contextLens, partOut, partMax, partSum, tasks,
                heads, lora, width, layer, numLayers, blockSize, MlaKernels.SPLIT_LEN, maxSplits, softmaxScale);
    }

    void mlaDecodeCombine(DevicePointer partOut, DevicePointer partMax, DevicePointer partSum, DevicePointer contextLens,
                          DevicePointer oLatent, int tasks, int heads, int lora, int maxSplits) {
        kernel(MlaKernels.DECODE_COMBINE).launch(stream, MlaKernels.combineGeometry(tasks, heads), partOut, partMax, partSum,
                contextLens, oLatent, tasks, heads, lora, MlaKernels.SPLIT_LEN, maxSplits);
    }

    void mlaAbsorbOutput(DevicePointer oLatent, DeviceBuffer kvB, DevicePointer taskToken, DevicePointer attn, int attnStride, int tasks,
                         int heads, int nope, int v, int lora) {
        kernel(MlaKernels.ABSORB_OUTPUT).launch(stream, MlaKernels.absorbOutputGeometry(tasks, heads, lora), oLatent, kvB, taskToken, attn,
                attnStride, tasks, heads, nope, v, lora);
    }

    void mlaGatherLatent(DevicePointer cache, DevicePointer blockTable, int context, int layer, int numLayers, int blockSize, int width,
                         DevicePointer latent) {
        kernel(MlaKernels.GATHER_LATENT).launch(stream, MlaKernels.gatherGeometry(context, width), cache, blockTable, context, layer,
                numLayers, blockSize, width, latent);
    }

    void mlaPrefillAttention(DevicePointer q, int qStride, DevicePointer keysValues, DevicePointer latent, DevicePointer attn,
                             int attnStride, int count, int startPos, int heads, int nope, int rope, int v, int lora, int width,
                             float softmaxScale) {
        kernel(MlaKernels.PREFILL_ATTENTION).launch(stream, MlaKernels.prefillGeometry(count, heads, nope, rope, v), q, qStride, keysValues, latent,
                attn, attnStride, count, startPos, heads, nope, rope, v, lora, width, softmaxScale);
    }

    // ---- DeepSeekMoE ----

    void moeRoute(DevicePointer logits, DevicePointer correctionBias, DevicePointer chosen, DevicePointer weights, int tokens, int experts,
                  int k, int topkMethod, int scoring, int groups, int topkGroup, boolean normTopkProb, float routedScalingFactor) {
        kernel(MoeKernels.ROUTE).launch(stream, MoeKernels.routeGeometry(tokens, experts, k, groups), logits, correctionBias, chosen, weights, tokens,
                experts, k, topkMethod, scoring, groups, topkGroup, normTopkProb ? 1 : 0, routedScalingFactor);
    }

    void moeSort(DevicePointer chosen, int tokens, int k, int experts, DevicePointer expertOffsets, DevicePointer sortedPairs) {
        kernel(MoeKernels.SORT).launch(stream, MoeKernels.sortGeometry(tokens, k, experts), chosen, tokens, k, experts, expertOffsets,
                sortedPairs);
    }

    void moeGateUp(DevicePointer x, DevicePointer gateW, DevicePointer upW, DevicePointer gateScales, DevicePointer upScales, int format,
                   DevicePointer expertOffsets, DevicePointer sortedPairs, int k, DevicePointer act, int experts, int inter, int hidden) {
        kernel(MoeKernels.EXPERT_GATE_UP).launch(stream, MoeKernels.gateUpGeometry(experts, inter, hidden), x, gateW, upW, gateScales, upScales, format,
                expertOffsets, sortedPairs, k, act, experts, inter, hidden);
    }

    void moeDown(DevicePointer act, DevicePointer downW, DevicePointer downScales, int format, DevicePointer expertOffsets,
                 DevicePointer sortedPairs, DevicePointer down, int experts, int inter, int hidden) {
        kernel(MoeKernels.EXPERT_DOWN).launch(stream, MoeKernels.downGeometry(experts, inter, hidden), act, downW, downScales, format, expertOffsets,
                sortedPairs, down, experts, inter, hidden);
    }

    void moeCombine(DevicePointer down, DevicePointer weights, DevicePointer shared, DevicePointer out, int tokens, int k, int hidden) {
        kernel(MoeKernels.COMBINE).launch(stream, MoeKernels.combineGeometry(tokens, hidden), down, weights, shared, out, tokens, k, hidden);
    }
}
