package io.streamseek.gpu.backend.cuda;

import io.streamseek.gpu.attention.MlaSpec;
import io.streamseek.gpu.backend.ModelRunner;
import io.streamseek.gpu.backend.cuda.driver.CudaDevice;
import io.streamseek.gpu.backend.cuda.driver.CudaDriver;
import io.streamseek.gpu.backend.cuda.driver.CudaUnavailableException;
import io.streamseek.gpu.backend.cuda.driver.DevicePointer;
import io.streamseek.gpu.backend.cuda.kernel.MlaKernels;
import io.streamseek.gpu.backend.cuda.kernel.MoeKernels;
import io.streamseek.gpu.cache.PagedLatentStore;
import io.streamseek.gpu.engine.EngineConfig;
import io.streamseek.gpu.model.DeepSeekModel;
import io.streamseek.gpu.model.ModelSpec;
import io.streamseek.gpu.model.StepBatch;
import io.streamseek.gpu.moe.ep.ExpertLoad;
import io.streamseek.gpu.moe.ep.ExpertPlacement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;


/**
 * The CUDA backend: the model's forward pass on an NVIDIA GPU. Weights are uploaded once; the
 * latent cache lives on the device, in the engine's block layout, so the scheduler's block tables
 * address it unchanged. A step uploads its control data in one copy, launches its kernels on one
 * stream, and reads back the logits and the routing (for the load counters) in two.
 */
public final class CudaRunner implements ModelRunner {

    private static final Logger LOG = LoggerFactory.getLogger(CudaRunner.class);

    private final DeepSeekModel model;
    private final String device;
    private final DeviceMemory memory;
    private final DeviceKernels kernels;
    private final DeviceModel weights;
    private final StepBuffers buffers;
    private final DeviceArray cache;
    private final StepSizes sizes;
    private final StepPlan plan;
    private final ExpertLoad load;
    private final ExpertPlacement placement;
    private final int numLayers;
    private final int blockSize;
    private final int[] expertCounts;
    private final int[] chosenHost;
    private final boolean tensorCoreAttention;
    private int lastStepExperts;

    /**
     * @param memory where weights, cache and activations go; closed with the runner
     * @param kernels the launches, on {@code memory}'s device
     * @param device the device, as one line
     */
    CudaRunner(DeepSeekModel model, EngineConfig config, PagedLatentStore store, DeviceMemory memory, DeviceKernels kernels,
               String device) {
        this.model = model;
        this.device = device;
        this.memory = memory;
        this.kernels = kernels;
        this.numLayers = model.numLayers();
        this.blockSize = store.blockSize();
        ModelSpec spec = model.spec();
        MlaKernels.requireSupported(model.mlaSpec());
        this.tensorCoreAttention = MlaKernels.useTensorCores(model.mlaSpec());
        for (int l = 0; l < numLayers; l++) {
            if (model.layer(l).isMoe()) {
                MoeKernels.requireSupported(model.layer(l).moe().router());
            }
        }
        this.sizes = StepSizes.of(spec, model.mlaSpec(), config.maxTokensPerStep(), blockSize, MlaKernels.SPLIT_LEN);
        long cacheBytes = store.numBlocks() * PagedLatentStore.bytesPerBlock(numLayers, store.rowWidth(), blockSize);
        DeviceMemoryPlan plan = new DeviceMemoryPlan(model, config.expertParallel(), cacheBytes, sizes, 1);
        plan.check(new long[] {memory.freeBytes()}, new String[] {device});
        LOG.info("GPU memory plan: {}", plan.describe());
        this.weights = new DeviceModel(memory, model, line -> LOG.info("{}: {}", device, line));
        this.cache = memory.allocate(cacheBytes, "latent cache (" + store.numBlocks() + " blocks of " + blockSize + " tokens)");
        this.buffers = new StepBuffers(memory, sizes, numLayers);
        this.plan = new StepPlan(blockSize, sizes.naiveMaxContext());
        boolean[] moeLayers = new boolean[numLayers];
        for (int l = 0; l < numLayers; l++) {
            moeLayers[l] = model.layer(l).isMoe();
        }
        int experts = Math.max(1, spec.numRoutedExperts());
        this.placement = new ExpertPlacement(config.expertParallel(), moeLayers, experts);
        this.load = new ExpertLoad(numLayers, experts, config.expertParallel().size());
        this.expertCounts = new int[experts];
        this.chosenHost = new int[numLayers * sizes.maxTokens() * Math.max(1, spec.expertsPerToken())];
    }

    /** The CUDA runner on {@code device}; releases it when the upload fails. */
    private static CudaRunner on(DeepSeekModel model, EngineConfig config, PagedLatentStore store, CudaDevice device) {
        CudaMemory memory = new CudaMemory(device);
        try {
            return new CudaRunner(model, config, store, memory, new DeviceKernels(memory.context(), memory.stream()), device.toString());
        } catch (RuntimeException e) {
            memory.close();
            throw e;
        }
    }

    /**
     * Opens the first supported GPU for {@code model}.
     *
     * @throws CudaUnavailableException when no GPU is usable, with the reason
     */
    public static CudaRunner open(DeepSeekModel model, EngineConfig config, PagedLatentStore store) {
        CudaDriver driver = CudaDriver.load();
        StringBuilder reasons = new StringBuilder();
        for (int i = 0; i < driver.deviceCount(); i++) {
            CudaDevice candidate = driver.device(i);
            if (candidate.isSupported()) {
                if (config.expertParallel().size() > 1) {
                    LOG.info("{} expert-parallel ranks run on GPU {} together: multi-GPU expert parallelism is not implemented yet",
                            config.expertParallel().size(), i);
                }
                return on(model, config, store, candidate);
            }
            reasons.append("; GPU ").append(i).append(": ").append(candidate.unsupportedReason().orElse("not supported"));
        }
        throw new CudaUnavailableException("no usable CUDA device: "
                + (driver.deviceCount() == 0 ? "the driver sees no GPU" : reasons.substring(2)));
    }

    @Override
    public void forward(StepBatch batch, float[] logits) {
        model.checkStep(batch);
        plan.plan(batch);
        if (plan.packedSize() > buffers.controlCapacity) {
            throw new IllegalStateException("a step's control data of " + plan.packedSize() + " ints exceeds the " + buffers.controlCapacity
                    + " planned for " + sizes.maxTokens() + " tokens");
        }
        buffers.control.upload(plan.packed(), plan.packedSize());

        ModelSpec spec = model.spec();
        int hidden = spec.hiddenSize();
        int tokens = plan.tokens;
        DeviceLinear embed = weights.embedTokens;
        kernels.embedding(embed.format, embed.values.pointer(), embed.scales == null ? DevicePointer.NULL : embed.scales.pointer(), hidden,
                ints(plan.tokenIdsAt), buffers.hidden.at(0), tokens);
        for (int l = 0; l < numLayers; l++) {
            DeviceModel.Layer layer = weights.layers[l];
            kernels.rmsNorm(buffers.hidden.at(0), hidden, layer.inputLayernorm().at(0), spec.rmsNormEps(), buffers.normed.at(0), hidden,
                    tokens, hidden);
            attention(l, layer.attention());
            kernels.addInPlace(buffers.hidden.at(0), buffers.branch.at(0), tokens * hidden);
            kernels.rmsNorm(buffers.hidden.at(0), hidden, layer.postAttentionLayernorm().at(0), spec.rmsNormEps(), buffers.normed.at(0),
                    hidden, tokens, hidden);
            if (layer.moe() != null) {
                moe(l, layer.moe());
            } else {
                mlp(layer.denseMlp(), buffers.normed, buffers.branch);
            }
            kernels.addInPlace(buffers.hidden.at(0), buffers.branch.at(0), tokens * hidden);
        }
        kernels.rmsNormGather(buffers.hidden.at(0), hidden, ints(plan.logitRowIndexAt), weights.norm.at(0), spec.rmsNormEps(),
                buffers.logitInputs.at(0), hidden, plan.logitRows, hidden);
        int vocab = spec.vocabSize();
        for (int r = 0; r < plan.logitRuns; r++) {
            int row = plan.logitRunRow[r];
            weights.lmHead.apply(kernels, buffers.logitInputs.at(4L * row * hidden), hidden, buffers.logits.at(4L * row * vocab), vocab,
                    plan.logitRunCount[r], plan.logitRunPrefill[r]);
        }
        buffers.logits.download(logits, plan.logitRows * vocab);
        int k = Math.max(1, spec.expertsPerToken());
        if (spec.numRoutedExperts() > 0) {
            buffers.chosen.download(chosenHost, chosenHost.length);
        }
        countExperts(tokens, k);
    }

    /** Multi-head latent attention of layer {@code l} for every token of the step, into {@code branch}. */
    private void attention(int l, DeviceModel.Attention a) {
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
    private void absorbedAttention(int l, DeviceModel.Attention a) {
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
    private void moe(int l, DeviceModel.Moe m) {
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
        kernels.moeSort(chosen, tokens, k, experts, buffers.expertOffsets.at(0), buffers.sortedPairs.at(0));
        DeviceArray table = m.addresses();
        long n = experts;
        kernels.moeGateUp(buffers.normed.at(0), table.at(0), table.at(8 * n), table.at(8 * 3 * n), table.at(8 * 4 * n), m.format(),
                buffers.expertOffsets.at(0), buffers.sortedPairs.at(0), k, buffers.expertAct.at(0), experts, m.intermediateSize(), hidden);
        kernels.moeDown(buffers.expertAct.at(0), table.at(8 * 2 * n), table.at(8 * 5 * n), m.format(), buffers.expertOffsets.at(0),
                buffers.sortedPairs.at(0), buffers.expertDown.at(0), experts, m.intermediateSize(), hidden);
        DevicePointer shared = DevicePointer.NULL;
        if (m.sharedExperts() != null) {
            mlp(m.sharedExperts(), buffers.normed, buffers.shared);
            shared = buffers.shared.at(0);
        }
        kernels.moeCombine(buffers.expertDown.at(0), buffers.routerWeights.at(0), shared, buffers.branch.at(0), tokens, k, hidden);
    }

    /** A dense SwiGLU MLP over every token of the step. */
    private void mlp(DeviceModel.DenseMlp mlp, DeviceArray x, DeviceArray out) {
        int hidden = model.spec().hiddenSize();
        int inter = mlp.gateProj().rows;
        applyRuns(mlp.gateProj(), x, hidden, buffers.mlpGate, inter);
        applyRuns(mlp.upProj(), x, hidden, buffers.mlpUp, inter);
        kernels.siluMul(buffers.mlpGate.at(0), inter, buffers.mlpUp.at(0), inter, plan.tokens, inter);
        applyRuns(mlp.downProj(), buffers.mlpGate, inter, out, hidden);
    }

    /** One weight over the step's rows, a launch per run of decode or prefill rows (see {@link StepPlan}). */
    private void applyRuns(DeviceLinear w, DeviceArray x, int xStride, DeviceArray out, int outStride) {
        for (int r = 0; r < plan.runs; r++) {
            int row = plan.runRow[r];
            w.apply(kernels, x.at(4L * row * xStride), xStride, out.at(4L * row * outStride), outStride, plan.runCount[r], plan.runPrefill[r]);
        }
    }

    private DevicePointer ints(int packedIndex) {
        return buffers.control.at(4L * packedIndex);
    }

    /** The load counters from the step's routing, read back with the logits. */
    private void countExperts(int tokens, int k) {
        lastStepExperts = 0;
        if (model.spec().numRoutedExperts() == 0) {
            return;
        }
        for (int l = 0; l < numLayers; l++) {
            if (!model.layer(l).isMoe()) {
                continue;
            }
            java.util.Arrays.fill(expertCounts, 0);
            int base = l * sizes.maxTokens() * k;
            for (int i = 0; i < tokens * k; i++) {
                expertCounts[chosenHost[base + i]]++;
            }
            for (int e = 0; e < expertCounts.length; e++) {
                if (expertCounts[e] > 0) {
                    load.routed(l, e, expertCounts[e]);
                    load.computed(placement.owners(l, e)[0], expertCounts[e], 0);
                    lastStepExperts++;
                }
            }
        }
    }

    @Override
    public int lastStepExperts() {
        return lastStepExperts;
    }

    @Override
    public ExpertLoad.Snapshot expertLoad() {
        return load.snapshot();
    }

    @Override
    public String description() {
        return "cuda: " + device;
    }

    @Override
    public void close() {
        buffers.close();
        cache.close();
        weights.close();
        memory.close();
    }
}
