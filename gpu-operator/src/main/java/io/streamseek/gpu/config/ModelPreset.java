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

    /** The preset named on the command line: tiny, tiny-v2, tiny-k, small, bench or v2-lite. */
    public static ModelPreset fromName(String name) {
        for (ModelPreset preset : values()) {
            if (preset.cliName().equals(name)) {
                return preset;
            }
        }
        throw new IllegalArgumentException("unknown preset '" + name + "'; use tiny, tiny-v2, tiny-k, small, bench or v2-lite");
    }

    public String cliName() {
        return name().toLowerCase().replace('_', '-');
    }
}
