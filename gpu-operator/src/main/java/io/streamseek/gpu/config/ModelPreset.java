package io.streamseek.gpu.config;

import java.util.List;

/**
 * Architectures of randomly initialised checkpoints this project writes for tests, the demo and
 * benchmarks ({@code ./streamseek make-model}). Real users point at real checkpoints.
 */
public enum ModelPreset {
    /** DeepSeek-V3 style in miniature: q LoRA, noaux_tc sigmoid routing in groups, YaRN. Loads in seconds. */
    TINY(new DeepSeekConfig(64, 3, 4, 512, 1e-6f, 512, false,
            48, 32, 16, 8, 16,
            128, 32, 8, 1, 2, 1, 1, "noaux_tc", 4, 2, "sigmoid", true, 2.5f,
            10000, new DeepSeekConfig.Yarn(4, 128, 32, 1, 1, 1),
            0, List.of(1), 0, null)),
    /** DeepSeek-V2(-Lite) style in miniature: plain q_proj, greedy softmax routing, unnormalised weights. */
    TINY_V2(new DeepSeekConfig(64, 3, 4, 512, 1e-6f, 512, false,
            0, 32, 16, 8, 16,
            128, 32, 8, 2, 3, 1, 1, "greedy", 1, 1, "softmax", false, 1.0f,
            10000, new DeepSeekConfig.Yarn(4, 128, 32, 1, 0.707, 0.707),
            0, List.of(1), 0, null)),
    /**
     * {@link #TINY} with every weight width a multiple of 256, so that GGUF's K-quants (256-value
     * super-blocks) apply to its weights: for quantization tests. A leading dense layer, then MoE.
     */
    TINY_K(new DeepSeekConfig(256, 2, 2, 512, 1e-6f, 512, false,
            256, 256, 32, 32, 32,
            512, 256, 4, 1, 2, 1, 1, "noaux_tc", 2, 1, "sigmoid", true, 2.5f,
            10000, new DeepSeekConfig.Yarn(4, 128, 32, 1, 1, 1),
            0, List.of(1), 0, null)),
    /**
     * {@link #TINY} as DeepSeek-V3.2: DeepSeek Sparse Attention with an {@code index_topk} of 8, so
     * that prompts of a few dozen tokens already attend sparsely; 8 indexer heads of 16 dims.
     */
    TINY_V32(TINY.config.withSparseAttention(new DeepSeekConfig.SparseAttention(8, 16, 8))),
    /** For the demo: small enough to run fast, large enough to be a real MoE. */
    SMALL(new DeepSeekConfig(256, 4, 8, 4096, 1e-6f, 4096, false,
            128, 64, 32, 16, 32,
            768, 96, 16, 1, 4, 1, 1, "noaux_tc", 4, 2, "sigmoid", true, 2.5f,
            10000, new DeepSeekConfig.Yarn(4, 1024, 32, 1, 1, 1),
            0, List.of(1), 0, null)),
    /** Large enough that batch-1 decode is memory-bound: ~276M parameters, ~550 MB in bf16. */
    BENCH(new DeepSeekConfig(1024, 8, 16, 32000, 1e-6f, 8192, false,
            384, 256, 64, 32, 64,
            2816, 128, 64, 1, 6, 1, 1, "noaux_tc", 8, 4, "sigmoid", true, 2.5f,
            10000, new DeepSeekConfig.Yarn(4, 2048, 32, 1, 1, 1),
            0, List.of(1), 0, null)),
    /**
     * {@link #BENCH} as DeepSeek-V3.2, with a 32k context: an {@code index_topk} of 256, 8 indexer
     * heads of 64 dims (the indexer's share of the attention work per cached token is about that of
     * DeepSeek-V3.2's 64 heads of 128 beside its 128 MLA heads), for decode cost against context.
     */
    BENCH_V32(withContext(BENCH.config, 32768).withSparseAttention(new DeepSeekConfig.SparseAttention(8, 64, 256))),
    /**
     * DeepSeek-V2-Lite's shape (15.7B parameters, 31 GB in bf16, 16 GB in FP8): fills a good part of
     * an 80 GB GPU, for GPU benchmarks. Generating it takes minutes and the disk space of its dtype.
     */
    V2_LITE(new DeepSeekConfig(2048, 27, 16, 102400, 1e-6f, 163840, false,
            0, 512, 128, 64, 128,
            10944, 1408, 64, 2, 6, 1, 1, "greedy", 1, 1, "softmax", false, 1.0f,
            10000, new DeepSeekConfig.Yarn(40, 4096, 32, 1, 0.707, 0.707),
            100000, List.of(100001), 0, null));

    private final DeepSeekConfig config;

    ModelPreset(DeepSeekConfig config) {
        this.config = config;
    }

    public DeepSeekConfig config() {
        return config;
    }

    private static DeepSeekConfig withContext(DeepSeekConfig c, int maxPositionEmbeddings) {
        return new DeepSeekConfig(c.hiddenSize(), c.numHiddenLayers(), c.numAttentionHeads(), c.vocabSize(), c.rmsNormEps(),
                maxPositionEmbeddings, c.tieWordEmbeddings(), c.qLoraRank(), c.kvLoraRank(), c.qkNopeHeadDim(), c.qkRopeHeadDim(),
                c.vHeadDim(), c.intermediateSize(), c.moeIntermediateSize(), c.nRoutedExperts(), c.nSharedExperts(), c.numExpertsPerTok(),
                c.firstKDenseReplace(), c.moeLayerFreq(), c.topkMethod(), c.nGroup(), c.topkGroup(), c.scoringFunc(), c.normTopkProb(),
                c.routedScalingFactor(), c.ropeTheta(), c.yarn(), c.bosTokenId(), c.eosTokenIds(), c.numNextnPredictLayers(),
                c.fp8BlockSize(), c.sparseAttention());
    }

    /** The preset named on the command line: tiny, tiny-v2, tiny-k, tiny-v32, small, bench, bench-v32 or v2-lite. */
    public static ModelPreset fromName(String name) {
        for (ModelPreset preset : values()) {
            if (preset.cliName().equals(name)) {
                return preset;
            }
        }
        throw new IllegalArgumentException("unknown preset '" + name + "'; use tiny, tiny-v2, tiny-k, tiny-v32, small, bench, bench-v32 or v2-lite");
    }

    public String cliName() {
        return name().toLowerCase().replace('_', '-');
    }
}
