package io.streamseek.gpu.backend.cuda;

import io.streamseek.gpu.attention.MlaSpec;
import io.streamseek.gpu.backend.cuda.driver.DevicePointer;
import io.streamseek.gpu.backend.cuda.kernel.MoeKernels;
import io.streamseek.gpu.model.DeepSeekModel;
import io.streamseek.gpu.model.ModelSpec;

/**
 * The hot path of a CUDA step: one layer's launches over the step's tokens, as {@link StepPlan}
 * laid them out — attention (both paths), dense MLPs and DeepSeekMoE — each weight product a launch
 * per run of decode or prefill rows. {@link CudaRunner} does the plumbing around it.
 */
final class StepLaunches {

    private final DeepSeekModel model;
    private final DeviceKernels kernels;
    private final DeviceModel weights;
    private final StepBuffers buffers;
    private final DeviceArray cache;
    private final StepSizes sizes;
    private final StepPlan plan;
    private final boolean tensorCoreAttention;
    private final int numLayers;
    private final int blockSize;
    private final DeviceMemory memory;
    private final ExpertDevice[] remotes;
    private final DeviceArray[] remoteDown; // on this device: each other device's expert outputs [T × k, hidden]

    /**
     * @param tensorCoreAttention the TF32 decode attention, chosen once by the model's shape
     * @param remotes the other GPUs running routed experts; empty on one GPU
     * @param remoteDown one buffer per remote on this device, for its expert outputs
     */
    StepLaunches(DeepSeekModel model, DeviceMemory memory, DeviceKernels kernels, DeviceModel weights, StepBuffers buffers, DeviceArray cache,
                 StepSizes sizes, StepPlan plan, boolean tensorCoreAttention, ExpertDevice[] remotes, DeviceArray[] remoteDown) {
        this.memory = memory;
        this.remotes = remotes;
        this.remoteDown = remoteDown;
        this.model = model;
        this.kernels = kernels;
        this.weights = weights;
        this.buffers = buffers;
        this.cache = cache;
        this.sizes = sizes;
        this.plan = plan;
        this.tensorCoreAttention = tensorCoreAttention;
        this.numLayers = model.numLayers();
        this.blockSize = sizes.blockSize();
    }

    /** Multi-head latent attention of layer {@code l} for every token of the step, into {@code branch}. */
    void attention(int l, DeviceModel.Attention a) {
        MlaSpec mla = model.mlaSpec();
        int hidden = model.spec().hiddenSize();
        int heads = mla.numHeads();
        int qk = mla.qkHeadDim();
        int nope = mla.qkNopeHeadDim();
        int rope = mla.qkRopeHeadDim();
        int lora = mla.kvLoraRank();
        int v = mla.vHeadDim();
        int width = mla.latentWidth();
        int qWidth = heads * qk;
        int tokens = plan.tokens;
        if (a.qAProj() != null) {
            int qLora = mla.qLoraRank();
            applyRuns(a.qAProj(), buffers.normed, hidden, buffers.qa, qLora);
            kernels.rmsNorm(buffers.qa.at(0), qLora, a.qALayernorm().at(0), mla.rmsNormEps(), buffers.qa.at(0), qLora, tokens, qLora);
            applyRuns(a.qBProj(), buffers.qa, qLora, buffers.q, qWidth);
        } else {
            applyRuns(a.qBProj(), buffers.normed, hidden, buffers.q, qWidth);
        }
        applyRuns(a.kvAProjWithMqa(), buffers.normed, hidden, buffers.kv, width);
        kernels.rope(buffers.q.at(0), qWidth, nope, qk, heads, ints(plan.positionsAt), weights.cos.at(0), weights.sin.at(0), rope / 2, tokens);
        kernels.latentCacheWrite(buffers.kv.at(0), width, a.kvALayernorm().at(0), mla.rmsNormEps(), lora, rope, ints(plan.positionsAt),
                weights.cos.at(0), weights.sin.at(0), ints(plan.slotBlockAt), ints(plan.slotIndexAt), cache.at(0), l, numLayers, blockSize,
                tokens);
        if (plan.tasks > 0) {
            absorbedAttention(l, a);
        }
        for (int i = 0; i < plan.prefills; i++) {
            int context = plan.prefillStart[i] + plan.prefillCount[i];
            int row = plan.prefillRow[i];
            kernels.mlaGatherLatent(cache.at(0), ints(plan.prefillTableAt[i]), context, l, numLayers, blockSize, width, buffers.latent.at(0));
            int expanded = heads * (nope + v);
            a.kvBF32().apply(kernels, buffers.latent.at(0), width, buffers.keysValues.at(0), expanded, context, false);
            kernels.mlaPrefillAttention(buffers.q.at(4L * row * qWidth), qWidth, buffers.keysValues.at(0), buffers.latent.at(0),
                    buffers.attn.at(4L * row * heads * v), heads * v, plan.prefillCount[i], plan.prefillStart[i], heads, nope, rope, v,
                    lora, width, mla.softmaxScale());
        }
        applyRuns(a.oProj(), buffers.attn, heads * v, buffers.branch, hidden);
    }

    /**
     * The decode tokens' attention over the latent cache, in launches of as many tasks as the
     * partials budget holds at the step's longest context.
     */
    void absorbedAttention(int l, DeviceModel.Attention a) {
        MlaSpec mla = model.mlaSpec();
        int heads = mla.numHeads();
        int lora = mla.kvLoraRank();
        int width = mla.latentWidth();
        int v = mla.vHeadDim();
        int[] packed = plan.packed();
        int longest = 0;
        for (int i = 0; i < plan.tasks; i++) {
            longest = Math.max(longest, packed[plan.contextLensAt + i]);
        }
        int maxSplits = sizes.splits(longest);
        int perLaunch = sizes.tasksPerLaunch(maxSplits);
        long partOut = (long) perLaunch * maxSplits * heads * lora;
        long partStats = (long) perLaunch * maxSplits * heads;
        for (int first = 0; first < plan.tasks; first += perLaunch) {
            int n = Math.min(perLaunch, plan.tasks - first);
            DevicePointer taskToken = ints(plan.taskTokenAt + first);
            DevicePointer contextLens = ints(plan.contextLensAt + first);
            kernels.mlaAbsorbQuery(buffers.q.at(0), heads * mla.qkHeadDim(), a.kvBF32().values.pointer(), taskToken, buffers.qLatent.at(0), n, heads,
                    mla.qkNopeHeadDim(), mla.qkRopeHeadDim(), v, lora);
            kernels.mlaDecodeAttention(tensorCoreAttention, buffers.qLatent.at(0), cache.at(0), ints(plan.blockTablesAt + first * plan.maxBlocks), plan.maxBlocks,
                    contextLens, buffers.partials.at(0), buffers.partials.at(4 * partOut), buffers.partials.at(4 * (partOut + partStats)), n,
                    heads, lora, width, l, numLayers, blockSize, maxSplits, mla.softmaxScale());
            kernels.mlaDecodeCombine(buffers.partials.at(0), buffers.partials.at(4 * partOut), buffers.partials.at(4 * (partOut + partStats)),
                    contextLens, buffers.oLatent.at(0), n, heads, lora, maxSplits);
            kernels.mlaAbsorbOutput(buffers.oLatent.at(0), a.kvBF32().values.pointer(), taskToken, buffers.attn.at(0), heads * v, n, heads,
                    mla.qkNopeHeadDim(), v, lora);
        }
    }

    /** DeepSeekMoE of layer {@code l}: route on the device, group tokens by expert, run the experts, combine. */
    void moe(int l, DeviceModel.Moe m) {
        ModelSpec spec = model.spec();
        int hidden = spec.hiddenSize();
        int tokens = plan.tokens;
        int experts = m.router().numExperts();
        int k = m.router().expertsPerToken();
        applyRuns(m.gate(), buffers.normed, hidden, buffers.routerLogits, experts);
        DevicePointer chosen = buffers.chosen.at(4L * l * sizes.maxTokens() * k);
        kernels.moeRoute(buffers.routerLogits.at(0), m.correctionBias() == null ? DevicePointer.NULL : m.correctionBias().at(0), chosen,
                buffers.routerWeights.at(0), tokens, experts, k, MoeKernels.topkMethodCode(m.router().topkMethod()),
                MoeKernels.scoringCode(m.router().scoringFunc()), m.router().numGroups(), m.router().topkGroup(), m.router().normTopkProb(),
                m.router().routedScalingFactor());
        if (remotes.length == 0) {
            m.experts().launch(kernels, buffers.normed.pointer(), chosen, tokens, k, experts, hidden, buffers.expertOffsets.pointer(),
                    buffers.sortedPairs.pointer(), buffers.expertAct.pointer(), buffers.expertDown.pointer());
        } else {
            expertsOnEveryDevice(l, m, chosen, tokens, k, experts, hidden);
        }
        DevicePointer shared = DevicePointer.NULL;
        if (m.sharedExperts() != null) {
            mlp(m.sharedExperts(), buffers.normed, buffers.shared);
            shared = buffers.shared.at(0);
        }
        kernels.moeCombine(buffers.expertDown.at(0), buffers.routerWeights.at(0), shared, buffers.branch.at(0), tokens, k, hidden);
    }

    /**
     * Routed experts spread over GPUs: the other devices start on their experts as soon as the
     * routing is done, this one runs its own meanwhile, then adds the others' outputs (zero rows for
     * pairs they do not own) in device order.
     */
    private void expertsOnEveryDevice(int l, DeviceModel.Moe m, DevicePointer chosen, int tokens, int k, int experts, int hidden) {
        memory.synchronize();
        long routingOffset = 4L * l * sizes.maxTokens() * k;
        for (ExpertDevice remote : remotes) {
            remote.launch(l, buffers.normed, buffers.chosen, routingOffset, tokens, k, experts, hidden);
        }
        long rows = 4L * tokens * k * hidden;
        buffers.expertDown.zero(rows);
        m.experts().launch(kernels, buffers.normed.pointer(), chosen, tokens, k, experts, hidden, buffers.expertOffsets.pointer(),
                buffers.sortedPairs.pointer(), buffers.expertAct.pointer(), buffers.expertDown.pointer());
        for (int d = 0; d < remotes.length; d++) {
            remotes[d].target.memory().synchronize();
            remoteDown[d].copyFrom(remotes[d].down, 0, rows);
            kernels.addInPlace(buffers.expertDown.pointer(), remoteDown[d].pointer(), tokens * k * hidden);
        }
    }

    /** A dense SwiGLU MLP over every token of the step. */
    void mlp(DeviceModel.DenseMlp mlp, DeviceArray x, DeviceArray out) {
        int hidden = model.spec().hiddenSize();
        int inter = mlp.gateProj().rows;
        applyRuns(mlp.gateProj(), x, hidden, buffers.mlpGate, inter);
        applyRuns(mlp.upProj(), x, hidden, buffers.mlpUp, inter);
        kernels.siluMul(buffers.mlpGate.at(0), inter, buffers.mlpUp.at(0), inter, plan.tokens, inter);
        applyRuns(mlp.downProj(), buffers.mlpGate, inter, out, hidden);
    }

    /** One weight over the step's rows, a launch per run of decode or prefill rows (see {@link StepPlan}). */
    void applyRuns(DeviceLinear w, DeviceArray x, int xStride, DeviceArray out, int outStride) {
        for (int r = 0; r < plan.runs; r++) {
            int row = plan.runRow[r];
            w.apply(kernels, x.at(4L * row * xStride), xStride, out.at(4L * row * outStride), outStride, plan.runCount[r], plan.runPrefill[r]);
        }
    }

    DevicePointer ints(int packedIndex) {
        return buffers.control.at(4L * packedIndex);
    }
}
