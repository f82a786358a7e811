package io.streamseek.gpu.backend.cuda;

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

import java.util.ArrayList;
import java.util.List;

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
    private final StepLaunches launches;
    private final ExpertDevice[] remotes;
    private final DeviceArray[] remoteDown;
    private int lastStepExperts;

    /**
     * @param memory where weights, cache and activations go; closed with the runner
     * @param kernels the launches, on {@code memory}'s device
     * @param device the device, as one line
     * @param others further GPUs for the routed experts of expert-parallel ranks (rank {@code r} on
     *     device {@code r mod (1 + others.size())}); closed with the runner
     */
    CudaRunner(DeepSeekModel model, EngineConfig config, PagedLatentStore store, DeviceMemory memory, DeviceKernels kernels,
               String device, List<ExpertDevice.Target> others) {
        this.model = model;
        this.device = device;
        this.memory = memory;
        this.kernels = kernels;
        this.numLayers = model.numLayers();
        this.blockSize = store.blockSize();
        ModelSpec spec = model.spec();
        MlaKernels.requireSupported(model.mlaSpec());
        boolean[] moeLayers = new boolean[numLayers];
        for (int l = 0; l < numLayers; l++) {
            moeLayers[l] = model.layer(l).isMoe();
            if (moeLayers[l]) {
                MoeKernels.requireSupported(model.layer(l).moe().router());
            }
        }
        int experts = Math.max(1, spec.numRoutedExperts());
        this.placement = new ExpertPlacement(config.expertParallel(), moeLayers, experts);
        this.load = new ExpertLoad(numLayers, experts, config.expertParallel().size());
        this.expertCounts = new int[experts];
        int devices = 1 + others.size();
        this.sizes = StepSizes.of(spec, model.mlaSpec(), config.maxTokensPerStep(), blockSize, MlaKernels.SPLIT_LEN);
        this.chosenHost = new int[numLayers * sizes.maxTokens() * Math.max(1, spec.expertsPerToken())];
        long cacheBytes = store.numBlocks() * PagedLatentStore.bytesPerBlock(numLayers, store.rowWidth(), blockSize);
        DeviceMemoryPlan memoryPlan = new DeviceMemoryPlan(model, config.expertParallel(), cacheBytes, sizes, devices);
        long[] free = new long[devices];
        String[] names = new String[devices];
        free[0] = memory.freeBytes();
        names[0] = device;
        for (int d = 1; d < devices; d++) {
            free[d] = others.get(d - 1).memory().freeBytes();
            names[d] = others.get(d - 1).name();
        }
        memoryPlan.check(free, names);
        LOG.info("GPU memory plan: {}", memoryPlan.describe());
        // A replicated expert runs on its primary owner's GPU only: one owner per token-expert pair.
        this.weights = new DeviceModel(memory, model, (l, e) -> placement.owners(l, e)[0] % devices == 0,
                line -> LOG.info("{}: {}", device, line));
        this.remotes = new ExpertDevice[others.size()];
        this.remoteDown = new DeviceArray[others.size()];
        for (int d = 1; d < devices; d++) {
            int onDevice = d;
            ExpertDevice.Target target = others.get(d - 1);
            remotes[d - 1] = new ExpertDevice(target, model, sizes, (l, e) -> placement.owners(l, e)[0] % devices == onDevice,
                    line -> LOG.info("{}: {}", target.name(), line));
            remoteDown[d - 1] = memory.allocate(4L * sizes.maxTokens() * Math.max(1, spec.expertsPerToken()) * spec.hiddenSize(),
                    "expert outputs of " + target.name());
        }
        this.cache = memory.allocate(cacheBytes, "latent cache (" + store.numBlocks() + " blocks of " + blockSize + " tokens)");
        this.buffers = new StepBuffers(memory, sizes, numLayers);
        this.plan = new StepPlan(blockSize, sizes.naiveMaxContext());
        this.launches = new StepLaunches(model, memory, kernels, weights, buffers, cache, sizes, plan,
                MlaKernels.useTensorCores(model.mlaSpec()), remotes, remoteDown);
    }

    /** The CUDA runner on {@code devices} (the first runs everything but other ranks' experts); releases them when the upload fails. */
    private static CudaRunner on(DeepSeekModel model, EngineConfig config, PagedLatentStore store, List<CudaDevice> devices) {
        List<CudaMemory> opened = new ArrayList<>();
        try {
            for (CudaDevice device : devices) {
                opened.add(new CudaMemory(device));
            }
            List<ExpertDevice.Target> others = new ArrayList<>();
            for (int d = 1; d < devices.size(); d++) {
                CudaMemory memory = opened.get(d);
                others.add(new ExpertDevice.Target(memory, new DeviceKernels(memory.context(), memory.stream()), devices.get(d).toString()));
            }
            CudaMemory first = opened.get(0);
            return new CudaRunner(model, config, store, first, new DeviceKernels(first.context(), first.stream()), devices.get(0).toString(),
                    others);
        } catch (RuntimeException e) {
            opened.forEach(CudaMemory::close);
            throw e;
        }
    }

    /**
     * Opens the first supported GPU for {@code model}.
     *
     * @throws CudaUnavailableException when no GPU is usable, with the reason
     */
    public static CudaRunner open(DeepSeekModel model, EngineConfig config, PagedLatentStore store) {
        if (model.mlaSpec().indexer() != null) {
            // Refused before the driver is touched, so that auto runs such a model on the CPU.
            throw new CudaUnavailableException("the CUDA backend does not compute DeepSeek Sparse Attention (deepseek_v32) yet; "
                    + "the CPU backend does");
        }
        CudaDriver driver = CudaDriver.load();
        StringBuilder reasons = new StringBuilder();
        List<CudaDevice> usable = new ArrayList<>();
        for (int i = 0; i < driver.deviceCount(); i++) {
            CudaDevice candidate = driver.device(i);
            if (candidate.isSupported()) {
                usable.add(candidate);
            } else {
                reasons.append("; GPU ").append(i).append(": ").append(candidate.unsupportedReason().orElse("not supported"));
            }
        }
        if (!usable.isEmpty()) {
            // Expert-parallel ranks map onto as many GPUs as there are ranks (rank r on GPU r mod n).
            return on(model, config, store, usable.subList(0, Math.min(usable.size(), config.expertParallel().size())));
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
                launches.ints(plan.tokenIdsAt), buffers.hidden.at(0), tokens);
        for (int l = 0; l < numLayers; l++) {
            DeviceModel.Layer layer = weights.layers[l];
            kernels.rmsNorm(buffers.hidden.at(0), hidden, layer.inputLayernorm().at(0), spec.rmsNormEps(), buffers.normed.at(0), hidden,
                    tokens, hidden);
            launches.attention(l, layer.attention());
            kernels.addInPlace(buffers.hidden.at(0), buffers.branch.at(0), tokens * hidden);
            kernels.rmsNorm(buffers.hidden.at(0), hidden, layer.postAttentionLayernorm().at(0), spec.rmsNormEps(), buffers.normed.at(0),
                    hidden, tokens, hidden);
            if (layer.moe() != null) {
                launches.moe(l, layer.moe());
            } else {
                launches.mlp(layer.denseMlp(), buffers.normed, buffers.branch);
            }
            kernels.addInPlace(buffers.hidden.at(0), buffers.branch.at(0), tokens * hidden);
        }
        kernels.rmsNormGather(buffers.hidden.at(0), hidden, launches.ints(plan.logitRowIndexAt), weights.norm.at(0), spec.rmsNormEps(),
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
        for (int d = 0; d < remotes.length; d++) {
            remoteDown[d].close();
            remotes[d].close();
        }
        memory.close();
    }
}
