package io.streamseek.gpu.loader.gguf;

import io.streamseek.gpu.config.DeepSeekConfig;
import io.streamseek.gpu.loader.CheckpointException;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.List;

/**
 * The {@code deepseek2} architecture's GGUF metadata and the engine's {@link DeepSeekConfig}, both
 * ways: {@link #toConfig} reads every key llama.cpp's loader reads for the architecture;
 * {@link #write} writes them as llama.cpp's converter does. Keys are {@code deepseek2.*}. DeepSeek-V3.2
 * is llama.cpp's {@code deepseek32}: the same keys under {@code deepseek32.*}, plus its indexer's
 * {@code attention.indexer.head_count}, {@code key_length} and {@code top_k}.
 *
 * <p>What GGUF does not store is derived the way llama.cpp derives it: {@code topk_method} is
 * {@code noaux_tc} when the layers carry an {@code exp_probs_b} correction bias, group-limited when
 * {@code expert_group_count > 1}, greedy otherwise; YaRN's {@code mscale} and
 * {@code mscale_all_dim} are both {@code yarn_log_multiplier / 0.1} (the converter writes
 * {@code 0.1 × mscale_all_dim}, and llama.cpp's attention assumes the two are equal, as they are in
 * every published DeepSeek config).
 */
public final class Deepseek2Metadata {

    public static final String ARCHITECTURE = "deepseek2";
    /** DeepSeek-V3.2 (DeepSeek Sparse Attention) in llama.cpp's names. */
    public static final String ARCHITECTURE_V32 = "deepseek32";
    /** llama.cpp's {@code expert_gating_func} values. */
    private static final int GATING_SOFTMAX = 1;
    private static final int GATING_SIGMOID = 2;

    private Deepseek2Metadata() {
    }

    /** The engine's config of a {@code deepseek2} GGUF file; anything else is refused, naming what the file is. */
    public static DeepSeekConfig toConfig(GgufFile file) {
        GgufMetadata m = file.metadata();
        String name = file.path().getFileName().toString();
        String arch = m.string("general.architecture");
        if (!arch.equals(ARCHITECTURE) && !arch.equals(ARCHITECTURE_V32)) {
            throw new CheckpointException(name + ": general.architecture is '" + arch + "'; this engine runs DeepSeek-V2/V3-architecture "
                    + "models, which GGUF calls '" + ARCHITECTURE + "' (DeepSeek-V2, V2-Lite, V2.5, V3, R1, Moonlight, Kimi-K2 and their fine-tunes), "
                    + "and DeepSeek-V3.2, '" + ARCHITECTURE_V32 + "'");
        }
        String P = arch + ".";
        int rope = (int) m.integer(P + "rope.dimension_count");
        int nope;
        int vHead;
        if (m.has(P + "attention.key_length_mla")) {
            // The split (attn_k_b + attn_v_b) layout: key_length is the latent MQA head, the _mla keys the real ones.
            nope = (int) m.integer(P + "attention.key_length_mla") - rope;
            vHead = (int) m.integer(P + "attention.value_length_mla");
        } else {
            nope = (int) m.integer(P + "attention.key_length") - rope;
            vHead = (int) m.integer(P + "attention.value_length");
        }
        int experts = (int) m.integer(P + "expert_count", 0);
        int groups = (int) m.integer(P + "expert_group_count", 1);
        boolean correctionBias = file.tensors().keySet().stream().anyMatch(t -> t.endsWith(".exp_probs_b.bias"));
        String topkMethod = correctionBias ? "noaux_tc" : groups > 1 ? "group_limited_greedy" : "greedy";
        long gating = m.integer(P + "expert_gating_func", GATING_SOFTMAX);
        if (gating != GATING_SOFTMAX && gating != GATING_SIGMOID) {
            throw new CheckpointException(name + ": " + P + "expert_gating_func is " + gating + "; supported: 1 (softmax) and 2 (sigmoid)");
        }
        int vocab = m.has(P + "vocab_size") ? (int) m.integer(P + "vocab_size")
                : m.has("tokenizer.ggml.tokens") ? m.strings("tokenizer.ggml.tokens").size()
                : (int) requireTensor(file, "token_embd.weight").dims()[1];
        List<Integer> eos = m.has("tokenizer.ggml.eos_token_id") ? List.of((int) m.integer("tokenizer.ggml.eos_token_id")) : List.of();
        DeepSeekConfig.SparseAttention indexer = arch.equals(ARCHITECTURE_V32)
                ? new DeepSeekConfig.SparseAttention((int) m.integer(P + "attention.indexer.head_count"),
                        (int) m.integer(P + "attention.indexer.key_length"), (int) m.integer(P + "attention.indexer.top_k"))
                : null;
        try {
            return new DeepSeekConfig(
                    (int) m.integer(P + "embedding_length"), (int) m.integer(P + "block_count"),
                    (int) m.integer(P + "attention.head_count"), vocab,
                    (float) m.real(P + "attention.layer_norm_rms_epsilon"), (int) m.integer(P + "context_length"),
                    file.tensor("output.weight") == null,
                    (int) m.integer(P + "attention.q_lora_rank", 0), (int) m.integer(P + "attention.kv_lora_rank"), nope, rope, vHead,
                    (int) m.integer(P + "feed_forward_length", 0), (int) m.integer(P + "expert_feed_forward_length", 0),
                    experts, (int) m.integer(P + "expert_shared_count", 0), (int) m.integer(P + "expert_used_count", 0),
                    (int) m.integer(P + "leading_dense_block_count", 0), 1,
                    topkMethod, groups, (int) m.integer(P + "expert_group_used_count", 1),
                    gating == GATING_SIGMOID ? "sigmoid" : "softmax", m.bool(P + "expert_weights_norm", false),
                    (float) m.real(P + "expert_weights_scale", 1.0),
                    m.real(P + "rope.freq_base", 10000), yarn(m, name, P),
                    (int) m.integer("tokenizer.ggml.bos_token_id", -1), eos, (int) m.integer(P + "nextn_predict_layers", 0), null, indexer);
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(name + ": the " + arch + " metadata, in config.json's names, is invalid: " + e.getMessage(), e);
        }
    }

    private static DeepSeekConfig.Yarn yarn(GgufMetadata m, String name, String P) {
        String type = m.string(P + "rope.scaling.type", "none");
        if (type.equals("none")) {
            return null;
        }
        if (!type.equals("yarn")) {
            throw new CheckpointException(name + ": " + P + "rope.scaling.type is '" + type + "'; DeepSeek models use 'yarn' or 'none'");
        }
        // Stored as f32 0.1 × mscale_all_dim: six significant digits give back the config's value (0.707, not 0.70700001).
        double mscale = new BigDecimal(m.real(P + "rope.scaling.yarn_log_multiplier", 0) / 0.1).round(new MathContext(6)).doubleValue();
        return new DeepSeekConfig.Yarn(m.real(P + "rope.scaling.factor"), (int) m.integer(P + "rope.scaling.original_context_length"),
                m.real(P + "rope.scaling.yarn_beta_fast", 32), m.real(P + "rope.scaling.yarn_beta_slow", 1), mscale, mscale);
    }

    private static GgufTensor requireTensor(GgufFile file, String tensor) {
        GgufTensor t = file.tensor(tensor);
        if (t == null) {
            throw new CheckpointException(file.path().getFileName() + ": tensor " + tensor + " is missing");
        }
        return t;
    }

    /**
     * Writes the architecture's keys for {@code c}, in the split MLA layout ({@code attn_k_b} +
     * {@code attn_v_b}, {@code head_count_kv} 1) that current llama.cpp expects.
     *
     * @throws IllegalArgumentException for a config GGUF cannot express (YaRN with
     *         {@code mscale != mscale_all_dim}, a {@code moe_layer_freq} other than 1)
     */
    public static void write(DeepSeekConfig c, GgufWriter w) {
        if (c.nRoutedExperts() > 0 && c.moeLayerFreq() != 1) {
            throw new IllegalArgumentException("moe_layer_freq " + c.moeLayerFreq() + " cannot be written to GGUF: deepseek2 has MoE in every layer after leading_dense_block_count");
        }
        String arch = c.sparseAttention() == null ? ARCHITECTURE : ARCHITECTURE_V32;
        String P = arch + ".";
        w.putString("general.architecture", arch);
        if (c.sparseAttention() != null) {
            w.putUint32(P + "attention.indexer.head_count", c.sparseAttention().indexNHeads());
            w.putUint32(P + "attention.indexer.key_length", c.sparseAttention().indexHeadDim());
            w.putUint32(P + "attention.indexer.top_k", c.sparseAttention().indexTopk());
        }
        w.putUint32(P + "block_count", c.numHiddenLayers());
        w.putUint32(P + "context_length", c.maxPositionEmbeddings());
        w.putUint32(P + "embedding_length", c.hiddenSize());
        w.putUint32(P + "feed_forward_length", c.intermediateSize());
        w.putUint32(P + "attention.head_count", c.numAttentionHeads());
        w.putUint32(P + "attention.head_count_kv", 1);
        w.putFloat32(P + "rope.freq_base", (float) c.ropeTheta());
        w.putFloat32(P + "attention.layer_norm_rms_epsilon", c.rmsNormEps());
        w.putUint32(P + "leading_dense_block_count", c.firstKDenseReplace());
        w.putUint32(P + "vocab_size", c.vocabSize());
        if (c.qLoraRank() > 0) {
            w.putUint32(P + "attention.q_lora_rank", c.qLoraRank());
        }
        w.putUint32(P + "attention.kv_lora_rank", c.kvLoraRank());
        w.putUint32(P + "attention.key_length", c.kvLoraRank() + c.qkRopeHeadDim());
        w.putUint32(P + "attention.value_length", c.kvLoraRank());
        w.putUint32(P + "attention.key_length_mla", c.qkHeadDim());
        w.putUint32(P + "attention.value_length_mla", c.vHeadDim());
        w.putUint32(P + "expert_feed_forward_length", c.moeIntermediateSize());
        w.putUint32(P + "expert_count", c.nRoutedExperts());
        w.putUint32(P + "expert_shared_count", c.nSharedExperts());
        w.putUint32(P + "expert_used_count", c.numExpertsPerTok());
        w.putFloat32(P + "expert_weights_scale", c.routedScalingFactor());
        w.putBool(P + "expert_weights_norm", c.normTopkProb());
        w.putUint32(P + "expert_gating_func", c.scoringFunc().equals("sigmoid") ? GATING_SIGMOID : GATING_SOFTMAX);
        if (!c.topkMethod().equals("greedy")) {
            w.putUint32(P + "expert_group_count", c.nGroup());
            w.putUint32(P + "expert_group_used_count", c.topkGroup());
        }
        w.putUint32(P + "rope.dimension_count", c.qkRopeHeadDim());
        DeepSeekConfig.Yarn y = c.yarn();
        if (y != null) {
            if (Math.abs(y.mscale() - y.mscaleAllDim()) > 1e-9) {
                throw new IllegalArgumentException("rope_scaling has mscale " + y.mscale() + " and mscale_all_dim " + y.mscaleAllDim()
                        + "; GGUF's deepseek2 stores one (yarn_log_multiplier) and assumes they are equal");
            }
            w.putString(P + "rope.scaling.type", "yarn");
            w.putFloat32(P + "rope.scaling.factor", (float) y.factor());
            w.putUint32(P + "rope.scaling.original_context_length", y.originalMaxPositionEmbeddings());
            w.putFloat32(P + "rope.scaling.yarn_log_multiplier", (float) (0.1 * y.mscaleAllDim()));
            w.putFloat32(P + "rope.scaling.yarn_beta_fast", (float) y.betaFast());
            w.putFloat32(P + "rope.scaling.yarn_beta_slow", (float) y.betaSlow());
        }
        if (c.numNextnPredictLayers() > 0) {
            w.putUint32(P + "nextn_predict_layers", c.numNextnPredictLayers());
        }
    }
}
