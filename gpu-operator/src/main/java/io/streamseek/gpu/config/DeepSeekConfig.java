package io.streamseek.gpu.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A DeepSeek-V2/V3/V3.2 {@code config.json} ({@code model_type} {@code deepseek_v2}, {@code deepseek_v3}
 * or {@code deepseek_v32}), in the checkpoint's own vocabulary. Each component is named
 * after its JSON key (camelCase) and defaults as Hugging Face's DeepSeek config classes do.
 *
 * @param hiddenSize {@code hidden_size}: width of the residual stream
 * @param numHiddenLayers {@code num_hidden_layers}: decoder layers (MTP layers beyond are ignored)
 * @param numAttentionHeads {@code num_attention_heads}
 * @param vocabSize {@code vocab_size}
 * @param rmsNormEps {@code rms_norm_eps}
 * @param maxPositionEmbeddings {@code max_position_embeddings}: the context length
 * @param tieWordEmbeddings {@code tie_word_embeddings}: lm_head shares embed_tokens
 * @param qLoraRank MLA {@code q_lora_rank}; 0 when null (a plain {@code q_proj})
 * @param kvLoraRank MLA {@code kv_lora_rank}: width of the cached latent
 * @param qkNopeHeadDim MLA {@code qk_nope_head_dim}
 * @param qkRopeHeadDim MLA {@code qk_rope_head_dim}
 * @param vHeadDim MLA {@code v_head_dim}
 * @param intermediateSize {@code intermediate_size}: dense MLP width
 * @param moeIntermediateSize MoE {@code moe_intermediate_size}: one expert's width
 * @param nRoutedExperts MoE {@code n_routed_experts}; 0 when null (a dense model)
 * @param nSharedExperts MoE {@code n_shared_experts}
 * @param numExpertsPerTok MoE {@code num_experts_per_tok}
 * @param firstKDenseReplace MoE {@code first_k_dense_replace}: leading layers with a dense MLP
 * @param moeLayerFreq MoE {@code moe_layer_freq}: every n-th layer after those is MoE
 * @param topkMethod MoE {@code topk_method}: greedy, group_limited_greedy or noaux_tc
 * @param nGroup MoE {@code n_group}
 * @param topkGroup MoE {@code topk_group}
 * @param scoringFunc MoE {@code scoring_func}: softmax or sigmoid
 * @param normTopkProb MoE {@code norm_topk_prob}
 * @param routedScalingFactor MoE {@code routed_scaling_factor}
 * @param ropeTheta rope {@code rope_theta}
 * @param yarn rope {@code rope_scaling} of type yarn; null without scaling
 * @param bosTokenId {@code bos_token_id}; -1 when absent
 * @param eosTokenIds {@code eos_token_id} (an int or a list)
 * @param numNextnPredictLayers {@code num_nextn_predict_layers}: MTP layers stored after the decoder layers
 * @param fp8BlockSize {@code quantization_config.weight_block_size} of an fp8 checkpoint; null otherwise
 * @param sparseAttention DeepSeek Sparse Attention's indexer ({@code deepseek_v32}); null for dense MLA
 */
public record DeepSeekConfig(
        int hiddenSize, int numHiddenLayers, int numAttentionHeads, int vocabSize, float rmsNormEps,
        int maxPositionEmbeddings, boolean tieWordEmbeddings,
        int qLoraRank, int kvLoraRank, int qkNopeHeadDim, int qkRopeHeadDim, int vHeadDim,
        int intermediateSize, int moeIntermediateSize, int nRoutedExperts, int nSharedExperts, int numExpertsPerTok,
        int firstKDenseReplace, int moeLayerFreq, String topkMethod, int nGroup, int topkGroup, String scoringFunc,
        boolean normTopkProb, float routedScalingFactor,
        double ropeTheta, Yarn yarn,
        int bosTokenId, List<Integer> eosTokenIds, int numNextnPredictLayers, int[] fp8BlockSize, SparseAttention sparseAttention) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * DeepSeek Sparse Attention (DeepSeek-V3.2): in every layer a lightning indexer scores the cached
     * tokens and MLA attends only to the best {@code index_topk} of them.
     *
     * @param indexNHeads {@code index_n_heads}: the indexer's query heads (64 in DeepSeek-V3.2)
     * @param indexHeadDim {@code index_head_dim}: width of its query heads and of its one key per
     *     token (128), of which the first {@code qk_rope_head_dim} carry rotary embedding
     * @param indexTopk {@code index_topk}: tokens each query attends to (2048)
     */
    public record SparseAttention(int indexNHeads, int indexHeadDim, int indexTopk) {
    }

    /** A dense-attention (V2/V3) config: no indexer. */
    public DeepSeekConfig(int hiddenSize, int numHiddenLayers, int numAttentionHeads, int vocabSize, float rmsNormEps,
                          int maxPositionEmbeddings, boolean tieWordEmbeddings,
                          int qLoraRank, int kvLoraRank, int qkNopeHeadDim, int qkRopeHeadDim, int vHeadDim,
                          int intermediateSize, int moeIntermediateSize, int nRoutedExperts, int nSharedExperts, int numExpertsPerTok,
                          int firstKDenseReplace, int moeLayerFreq, String topkMethod, int nGroup, int topkGroup, String scoringFunc,
                          boolean normTopkProb, float routedScalingFactor, double ropeTheta, Yarn yarn,
                          int bosTokenId, List<Integer> eosTokenIds, int numNextnPredictLayers, int[] fp8BlockSize) {
        this(hiddenSize, numHiddenLayers, numAttentionHeads, vocabSize, rmsNormEps, maxPositionEmbeddings, tieWordEmbeddings,
                qLoraRank, kvLoraRank, qkNopeHeadDim, qkRopeHeadDim, vHeadDim, intermediateSize, moeIntermediateSize, nRoutedExperts,
                nSharedExperts, numExpertsPerTok, firstKDenseReplace, moeLayerFreq, topkMethod, nGroup, topkGroup, scoringFunc,
                normTopkProb, routedScalingFactor, ropeTheta, yarn, bosTokenId, eosTokenIds, numNextnPredictLayers, fp8BlockSize, null);
    }

    /** This config with DeepSeek Sparse Attention's indexer (or without it, for {@code null}). */
    public DeepSeekConfig withSparseAttention(SparseAttention indexer) {
        return new DeepSeekConfig(hiddenSize, numHiddenLayers, numAttentionHeads, vocabSize, rmsNormEps, maxPositionEmbeddings,
                tieWordEmbeddings, qLoraRank, kvLoraRank, qkNopeHeadDim, qkRopeHeadDim, vHeadDim, intermediateSize, moeIntermediateSize,
                nRoutedExperts, nSharedExperts, numExpertsPerTok, firstKDenseReplace, moeLayerFreq, topkMethod, nGroup, topkGroup,
                scoringFunc, normTopkProb, routedScalingFactor, ropeTheta, yarn, bosTokenId, eosTokenIds, numNextnPredictLayers,
                fp8BlockSize, indexer);
    }

    /** This config with fp8 weights in blocks of {@code weightBlockSize} (or without, for {@code null}). */
    public DeepSeekConfig withFp8BlockSize(int[] weightBlockSize) {
        return new DeepSeekConfig(hiddenSize, numHiddenLayers, numAttentionHeads, vocabSize, rmsNormEps, maxPositionEmbeddings,
                tieWordEmbeddings, qLoraRank, kvLoraRank, qkNopeHeadDim, qkRopeHeadDim, vHeadDim, intermediateSize, moeIntermediateSize,
                nRoutedExperts, nSharedExperts, numExpertsPerTok, firstKDenseReplace, moeLayerFreq, topkMethod, nGroup, topkGroup,
                scoringFunc, normTopkProb, routedScalingFactor, ropeTheta, yarn, bosTokenId, eosTokenIds, numNextnPredictLayers,
                weightBlockSize, sparseAttention);
    }

    /** {@code rope_scaling} of type yarn. */
    public record Yarn(double factor, int originalMaxPositionEmbeddings, double betaFast, double betaSlow,
                       double mscale, double mscaleAllDim) {
    }

    public DeepSeekConfig {
        positive("hidden_size", hiddenSize);
        positive("num_hidden_layers", numHiddenLayers);
        positive("num_attention_heads", numAttentionHeads);
        positive("vocab_size", vocabSize);
        positive("max_position_embeddings", maxPositionEmbeddings);
        positive("kv_lora_rank", kvLoraRank);
        positive("qk_nope_head_dim", qkNopeHeadDim);
        positive("v_head_dim", vHeadDim);
        if (qkRopeHeadDim <= 0 || qkRopeHeadDim % 2 != 0) {
            throw invalid("qk_rope_head_dim", qkRopeHeadDim, "must be a positive even number (rope rotates pairs)");
        }
        if (!List.of("greedy", "group_limited_greedy", "noaux_tc").contains(topkMethod)) {
            throw invalid("topk_method", "'" + topkMethod + "'", "is not supported; use greedy, group_limited_greedy or noaux_tc");
        }
        if (!List.of("softmax", "sigmoid").contains(scoringFunc)) {
            throw invalid("scoring_func", "'" + scoringFunc + "'", "is not supported; use softmax or sigmoid");
        }
        if (nRoutedExperts > 0) {
            positive("moe_intermediate_size", moeIntermediateSize);
            positive("moe_layer_freq", moeLayerFreq);
            if (numExpertsPerTok < 1 || numExpertsPerTok > nRoutedExperts) {
                throw invalid("num_experts_per_tok", numExpertsPerTok, "must be between 1 and n_routed_experts (" + nRoutedExperts + ")");
            }
            if (!topkMethod.equals("greedy") && (nGroup < 1 || nRoutedExperts % nGroup != 0)) {
                throw invalid("n_group", nGroup, "must divide n_routed_experts (" + nRoutedExperts + ") into equal groups");
            }
            if (!topkMethod.equals("greedy") && (topkGroup < 1 || topkGroup > nGroup)) {
                throw invalid("topk_group", topkGroup, "must be between 1 and n_group (" + nGroup + ")");
            }
        }
        if (sparseAttention != null) {
            positive("index_n_heads", sparseAttention.indexNHeads());
            positive("index_topk", sparseAttention.indexTopk());
            if (sparseAttention.indexHeadDim() < qkRopeHeadDim) {
                throw invalid("index_head_dim", sparseAttention.indexHeadDim(), "must be at least qk_rope_head_dim (" + qkRopeHeadDim
                        + "): the indexer's rotary part comes first in it");
            }
            if (qLoraRank <= 0) {
                throw invalid("q_lora_rank", qLoraRank == 0 ? "null" : qLoraRank, "must be positive with DeepSeek Sparse Attention: "
                        + "the indexer's queries are projected from the normalised q_a_proj output");
            }
        }
        eosTokenIds = List.copyOf(eosTokenIds);
    }

    /** Reads {@code dir/config.json}. */
    public static DeepSeekConfig read(Path dir) {
        Path file = dir.resolve("config.json");
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("No config.json in " + dir + ": a Hugging Face checkpoint directory needs one");
        }
        try {
            return fromJson(JSON.readTree(file.toFile()));
        } catch (IOException e) {
            throw new IllegalArgumentException(file + " is not valid JSON: " + e.getMessage(), e);
        }
    }

    public static DeepSeekConfig fromJson(JsonNode c) {
        // Checkpoints from the hub say rope_scaling; transformers 5 writes rope_parameters, which
        // also carries rope_theta and says rope_type "default" when there is no scaling.
        JsonNode scaling = c.path("rope_scaling").isObject() ? c.path("rope_scaling") : c.path("rope_parameters");
        double ropeTheta = c.path("rope_theta").asDouble(scaling.path("rope_theta").asDouble(10000));
        Yarn yarn = null;
        String scalingType = scaling.path("rope_type").asText(scaling.path("type").asText("default"));
        if (scaling.isObject() && !scalingType.equals("default")) {
            String type = scalingType;
            if (!type.equals("yarn")) {
                throw invalid("rope_scaling.type", "'" + type + "'", "is not supported; DeepSeek checkpoints use yarn");
            }
            yarn = new Yarn(scaling.path("factor").asDouble(1), scaling.path("original_max_position_embeddings").asInt(4096),
                    scaling.path("beta_fast").asDouble(32), scaling.path("beta_slow").asDouble(1),
                    scaling.path("mscale").asDouble(1), scaling.path("mscale_all_dim").asDouble(0));
        }
        List<Integer> eos = new ArrayList<>();
        JsonNode eosNode = c.path("eos_token_id");
        if (eosNode.isArray()) {
            eosNode.forEach(n -> eos.add(n.asInt()));
        } else if (eosNode.isNumber()) {
            eos.add(eosNode.asInt());
        }
        int[] blockSize = null;
        JsonNode quantization = c.path("quantization_config");
        if (quantization.isObject()) {
            String method = quantization.path("quant_method").asText("");
            if (!method.equals("fp8")) {
                throw invalid("quantization_config.quant_method", "'" + method + "'", "is not supported; only fp8 (E4M3 with block scales) is");
            }
            JsonNode block = quantization.path("weight_block_size");
            blockSize = new int[] {block.path(0).asInt(128), block.path(1).asInt(128)};
            if (blockSize[0] != 128 || blockSize[1] != 128) {
                throw invalid("quantization_config.weight_block_size", "[" + blockSize[0] + ", " + blockSize[1] + "]", "is not supported; use [128, 128]");
            }
        }
        String modelType = modelType(c);
        // DeepSeek-V3's and V3.2's config classes default to V3's router; V2's to greedy softmax.
        boolean v3 = !modelType.equals("deepseek_v2");
        SparseAttention indexer = modelType.equals("deepseek_v32")
                ? new SparseAttention(required(c, "index_n_heads"), required(c, "index_head_dim"), required(c, "index_topk")) : null;
        return new DeepSeekConfig(
                required(c, "hidden_size"), required(c, "num_hidden_layers"), required(c, "num_attention_heads"),
                required(c, "vocab_size"), (float) c.path("rms_norm_eps").asDouble(1e-6),
                c.path("max_position_embeddings").asInt(2048), c.path("tie_word_embeddings").asBoolean(false),
                c.path("q_lora_rank").isNull() || c.path("q_lora_rank").isMissingNode() ? 0 : c.get("q_lora_rank").asInt(),
                required(c, "kv_lora_rank"), required(c, "qk_nope_head_dim"), required(c, "qk_rope_head_dim"), required(c, "v_head_dim"),
                c.path("intermediate_size").asInt(0), c.path("moe_intermediate_size").asInt(0),
                c.path("n_routed_experts").isNumber() ? c.get("n_routed_experts").asInt() : 0,
                c.path("n_shared_experts").isNumber() ? c.get("n_shared_experts").asInt() : 0,
                c.path("num_experts_per_tok").isNumber() ? c.get("num_experts_per_tok").asInt() : 0,
                c.path("first_k_dense_replace").asInt(0), c.path("moe_layer_freq").asInt(1),
                c.path("topk_method").asText(v3 ? "noaux_tc" : "greedy"), c.path("n_group").asInt(1), c.path("topk_group").asInt(1),
                c.path("scoring_func").asText(v3 ? "sigmoid" : "softmax"), c.path("norm_topk_prob").asBoolean(false),
                (float) c.path("routed_scaling_factor").asDouble(1.0),
                ropeTheta, yarn,
                c.path("bos_token_id").isNumber() ? c.get("bos_token_id").asInt() : -1, eos,
                c.path("num_nextn_predict_layers").asInt(0), blockSize, indexer);
    }

    /**
     * The architecture {@code model_type} names, refused unless it is one this engine computes
     * exactly: another DeepSeek-architecture model is not run as the nearest one it resembles.
     */
    private static String modelType(JsonNode c) {
        JsonNode type = c.get("model_type");
        if (type == null || !type.isTextual()) {
            throw new IllegalArgumentException("config.json: model_type is " + (type == null ? "missing" : "not a string: " + type)
                    + "; DeepSeek checkpoints say deepseek_v2, deepseek_v3 or deepseek_v32");
        }
        return switch (type.asText()) {
            case "deepseek_v2", "deepseek_v3", "deepseek_v32" -> type.asText();
            default -> throw invalid("model_type", "'" + type.asText() + "'", "is not supported; this engine runs deepseek_v2, "
                    + "deepseek_v3 (MLA and DeepSeekMoE) and deepseek_v32 (with DeepSeek Sparse Attention)");
        };
    }

    /** {@code qk_nope_head_dim + qk_rope_head_dim}. */
    public int qkHeadDim() {
        return qkNopeHeadDim + qkRopeHeadDim;
    }

    /** Whether decoder layer {@code layer} has DeepSeekMoE rather than a dense MLP. */
    public boolean isMoeLayer(int layer) {
        return nRoutedExperts > 0 && layer >= firstKDenseReplace && layer % moeLayerFreq == 0;
    }

    public boolean isFp8() {
        return fp8BlockSize != null;
    }

    /** The config as {@code config.json} content, for checkpoints this project writes (their writer adds {@code torch_dtype}). */
    public ObjectNode toJson() {
        ObjectNode c = JSON.createObjectNode();
        // The indexer makes it V3.2; otherwise V3's router (noaux_tc) tells V3 from V2.
        String type = sparseAttention != null ? "deepseek_v32" : topkMethod.equals("noaux_tc") ? "deepseek_v3" : "deepseek_v2";
        c.putArray("architectures").add(switch (type) {
            case "deepseek_v32" -> "DeepseekV32ForCausalLM";
            case "deepseek_v3" -> "DeepseekV3ForCausalLM";
            default -> "DeepseekV2ForCausalLM";
        });
        c.put("model_type", type);
        c.put("hidden_size", hiddenSize).put("num_hidden_layers", numHiddenLayers).put("num_attention_heads", numAttentionHeads)
                .put("num_key_value_heads", numAttentionHeads).put("vocab_size", vocabSize).put("rms_norm_eps", rmsNormEps)
                .put("max_position_embeddings", maxPositionEmbeddings).put("tie_word_embeddings", tieWordEmbeddings);
        if (qLoraRank == 0) {
            c.putNull("q_lora_rank");
        } else {
            c.put("q_lora_rank", qLoraRank);
        }
        c.put("kv_lora_rank", kvLoraRank).put("qk_nope_head_dim", qkNopeHeadDim).put("qk_rope_head_dim", qkRopeHeadDim)
                .put("v_head_dim", vHeadDim).put("head_dim", qkRopeHeadDim).put("intermediate_size", intermediateSize)
                .put("moe_intermediate_size", moeIntermediateSize).put("n_routed_experts", nRoutedExperts)
                .put("n_shared_experts", nSharedExperts).put("num_experts_per_tok", numExpertsPerTok)
                .put("first_k_dense_replace", firstKDenseReplace).put("moe_layer_freq", moeLayerFreq)
                .put("topk_method", topkMethod).put("n_group", nGroup).put("topk_group", topkGroup)
                .put("scoring_func", scoringFunc).put("norm_topk_prob", normTopkProb)
                .put("routed_scaling_factor", routedScalingFactor).put("rope_theta", ropeTheta)
                .put("hidden_act", "silu").put("attention_bias", false).put("attention_dropout", 0.0)
                .put("num_nextn_predict_layers", numNextnPredictLayers);
        if (yarn != null) {
            c.putObject("rope_scaling").put("type", "yarn").put("rope_type", "yarn").put("factor", yarn.factor())
                    .put("original_max_position_embeddings", yarn.originalMaxPositionEmbeddings())
                    .put("beta_fast", yarn.betaFast()).put("beta_slow", yarn.betaSlow())
                    .put("mscale", yarn.mscale()).put("mscale_all_dim", yarn.mscaleAllDim());
        }
        if (bosTokenId >= 0) {
            c.put("bos_token_id", bosTokenId);
        }
        if (eosTokenIds.size() == 1) {
            c.put("eos_token_id", eosTokenIds.get(0));
        }
        if (sparseAttention != null) {
            c.put("index_n_heads", sparseAttention.indexNHeads()).put("index_head_dim", sparseAttention.indexHeadDim())
                    .put("index_topk", sparseAttention.indexTopk());
        }
        if (fp8BlockSize != null) {
            ObjectNode q = c.putObject("quantization_config");
            q.put("quant_method", "fp8").put("fmt", "e4m3").put("activation_scheme", "dynamic");
            q.putArray("weight_block_size").add(fp8BlockSize[0]).add(fp8BlockSize[1]);
        }
        return c;
    }

    private static int required(JsonNode c, String key) {
        JsonNode value = c.get(key);
        if (value == null || !value.isNumber()) {
            throw new IllegalArgumentException("config.json: " + key + " is " + (value == null ? "missing" : "not a number: " + value)
                    + "; DeepSeek checkpoints define it");
        }
        return value.asInt();
    }

    private static void positive(String key, int value) {
        if (value <= 0) {
            throw invalid(key, value, "must be positive");
        }
    }

    private static IllegalArgumentException invalid(String key, Object value, String why) {
        return new IllegalArgumentException("config.json: " + key + " " + value + " " + why);
    }
}
