package io.streamseek.gpu.model;

import io.streamseek.gpu.attention.IndexerSpec;
import io.streamseek.gpu.attention.IndexerWeights;
import io.streamseek.gpu.attention.MlaAttention;
import io.streamseek.gpu.attention.MlaSpec;
import io.streamseek.gpu.attention.MlaWeights;
import io.streamseek.gpu.attention.RotaryEmbedding;
import io.streamseek.gpu.backend.cpu.Linear;
import io.streamseek.gpu.config.DeepSeekConfig;
import io.streamseek.gpu.loader.Checkpoint;
import io.streamseek.gpu.loader.CheckpointException;
import io.streamseek.gpu.moe.Mlp;
import io.streamseek.gpu.moe.MoeLayer;
import io.streamseek.gpu.moe.RouterSpec;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;

/**
 * Builds a {@link DeepSeekModel} from a checkpoint: every tensor the config implies, by its Hugging
 * Face name, shape-checked, in its storage dtype. Tensors the forward pass does not use (the MTP
 * layers of {@code num_nextn_predict_layers}) are left untouched.
 */
public final class ModelLoader {

    private ModelLoader() {
    }

    /**
     * Loads every weight into Java arrays (see {@link Linear}).
     *
     * @throws CheckpointException when the weights cannot fit in the heap, before anything is copied
     */
    public static DeepSeekModel load(Checkpoint checkpoint) {
        checkHeap(checkpoint.tensorBytes(), Runtime.getRuntime());
        DeepSeekConfig c = checkpoint.config();
        int hidden = c.hiddenSize();
        MlaSpec mla = mlaSpec(c);
        RotaryEmbedding rope = rope(c);
        DecoderLayer[] layers = new DecoderLayer[c.numHiddenLayers()];
        for (int i = 0; i < layers.length; i++) {
            String p = "model.layers." + i + ".";
            MlaAttention attention = new MlaAttention(mla, attentionWeights(checkpoint, c, p + "self_attn.", i), rope, i);
            Mlp dense = null;
            MoeLayer moe = null;
            if (c.isMoeLayer(i)) {
                moe = moe(checkpoint, c, p + "mlp.");
            } else {
                dense = mlp(checkpoint, p + "mlp.", c.intermediateSize(), hidden, "intermediate_size");
            }
            layers[i] = new DecoderLayer(checkpoint.vector(p + "input_layernorm.weight", hidden), attention,
                    checkpoint.vector(p + "post_attention_layernorm.weight", hidden), dense, moe);
        }
        Linear embed = checkpoint.linear("model.embed_tokens.weight", c.vocabSize(), hidden, "vocab_size, hidden_size");
        Linear lmHead = c.tieWordEmbeddings() ? embed
                : checkpoint.linear("lm_head.weight", c.vocabSize(), hidden, "vocab_size, hidden_size");
        int widest = Math.max(c.intermediateSize(), Math.max(c.moeIntermediateSize(), c.moeIntermediateSize() * c.nSharedExperts()));
        ModelSpec spec = new ModelSpec(hidden, c.vocabSize(), c.maxPositionEmbeddings(), c.rmsNormEps(), widest,
                c.nRoutedExperts(), c.numExpertsPerTok());
        return new DeepSeekModel(spec, mla, embed, layers, checkpoint.vector("model.norm.weight", hidden), lmHead);
    }

    /**
     * Refuses a model the heap cannot hold with the figures and the fix, instead of an
     * OutOfMemoryError midway. Weights live as long as the model, so they must fit the old
     * generation where a generational collector keeps one (ParallelGC's is two thirds of the heap by
     * default): its own limit counts when it is smaller than the heap's.
     */
    static void checkHeap(long weightBytes, Runtime runtime) {
        long free = runtime.maxMemory() - (runtime.totalMemory() - runtime.freeMemory());
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            String name = pool.getName();
            long max = pool.getUsage().getMax();
            if (pool.getType() == MemoryType.HEAP && (name.contains("Old Gen") || name.contains("Tenured")) && max > 0) {
                free = Math.min(free, max - pool.getUsage().getUsed());
            }
        }
        if (weightBytes > free) {
            throw new CheckpointException(String.format(java.util.Locale.ROOT,
                    "the checkpoint's weights take %.2f GiB but the JVM heap has %.2f GiB free for them (max heap %.2f GiB); "
                            + "raise the maximum heap and keep the young generation small, e.g. STREAMSEEK_JAVA_OPTS=\"-Xmx%dg -Xmn512m\"",
                    weightBytes / 0x1p30, free / 0x1p30, runtime.maxMemory() / 0x1p30,
                    (long) Math.ceil(1.25 * (weightBytes + runtime.maxMemory() - free) / 0x1p30) + 1));
        }
    }

    public static MlaSpec mlaSpec(DeepSeekConfig c) {
        RotaryEmbedding.Yarn yarn = yarn(c);
        DeepSeekConfig.SparseAttention dsa = c.sparseAttention();
        IndexerSpec indexer = dsa == null ? null : new IndexerSpec(dsa.indexNHeads(), dsa.indexHeadDim(), dsa.indexTopk(), c.qkRopeHeadDim());
        return new MlaSpec(c.hiddenSize(), c.numAttentionHeads(), c.qLoraRank(), c.kvLoraRank(), c.qkNopeHeadDim(),
                c.qkRopeHeadDim(), c.vHeadDim(), c.rmsNormEps(), RotaryEmbedding.softmaxScale(c.qkHeadDim(), yarn), indexer);
    }

    private static RotaryEmbedding.Yarn yarn(DeepSeekConfig c) {
        DeepSeekConfig.Yarn y = c.yarn();
        return y == null ? null
                : new RotaryEmbedding.Yarn(y.factor(), y.originalMaxPositionEmbeddings(), y.betaFast(), y.betaSlow(), y.mscale(), y.mscaleAllDim());
    }

    private static RotaryEmbedding rope(DeepSeekConfig c) {
        RotaryEmbedding.Yarn yarn = yarn(c);
        return yarn == null ? RotaryEmbedding.plain(c.qkRopeHeadDim(), c.ropeTheta(), c.maxPositionEmbeddings())
                : RotaryEmbedding.yarn(c.qkRopeHeadDim(), c.ropeTheta(), c.maxPositionEmbeddings(), yarn);
    }

    private static MlaWeights attentionWeights(Checkpoint checkpoint, DeepSeekConfig c, String p, int layer) {
        int hidden = c.hiddenSize();
        int heads = c.numAttentionHeads();
        int qOut = heads * c.qkHeadDim();
        String qWhy = "num_attention_heads × (qk_nope_head_dim + qk_rope_head_dim)";
        Linear qA = null;
        float[] qNorm = null;
        Linear qB;
        if (c.qLoraRank() > 0) {
            qA = checkpoint.linear(p + "q_a_proj.weight", c.qLoraRank(), hidden, "q_lora_rank, hidden_size");
            qNorm = checkpoint.vector(p + "q_a_layernorm.weight", c.qLoraRank());
            qB = checkpoint.linear(p + "q_b_proj.weight", qOut, c.qLoraRank(), qWhy + ", q_lora_rank");
        } else {
            qB = checkpoint.linear(p + "q_proj.weight", qOut, hidden, qWhy + ", hidden_size");
        }
        return new MlaWeights(qA, qNorm, qB,
                checkpoint.linear(p + "kv_a_proj_with_mqa.weight", c.kvLoraRank() + c.qkRopeHeadDim(), hidden,
                        "kv_lora_rank + qk_rope_head_dim, hidden_size"),
                checkpoint.vector(p + "kv_a_layernorm.weight", c.kvLoraRank()),
                checkpoint.linear(p + "kv_b_proj.weight", heads * (c.qkNopeHeadDim() + c.vHeadDim()), c.kvLoraRank(),
                        "num_attention_heads × (qk_nope_head_dim + v_head_dim), kv_lora_rank"),
                checkpoint.linear(p + "o_proj.weight", hidden, heads * c.vHeadDim(), "hidden_size, num_attention_heads × v_head_dim"),
                checkpoint.kvBHeads(layer), c.sparseAttention() == null ? null : indexerWeights(checkpoint, c, p + "indexer."));
    }

    private static IndexerWeights indexerWeights(Checkpoint checkpoint, DeepSeekConfig c, String p) {
        DeepSeekConfig.SparseAttention dsa = c.sparseAttention();
        int dim = dsa.indexHeadDim();
        return new IndexerWeights(
                checkpoint.linear(p + "wq_b.weight", dsa.indexNHeads() * dim, c.qLoraRank(), "index_n_heads × index_head_dim, q_lora_rank"),
                checkpoint.linear(p + "wk.weight", dim, c.hiddenSize(), "index_head_dim, hidden_size"),
                checkpoint.vector(p + "k_norm.weight", dim), checkpoint.vector(p + "k_norm.bias", dim),
                checkpoint.linear(p + "weights_proj.weight", dsa.indexNHeads(), c.hiddenSize(), "index_n_heads, hidden_size"));
    }

    private static Mlp mlp(Checkpoint checkpoint, String p, int inter, int hidden, String interKey) {
        return new Mlp(checkpoint.linear(p + "gate_proj.weight", inter, hidden, interKey + ", hidden_size"),
                checkpoint.linear(p + "up_proj.weight", inter, hidden, interKey + ", hidden_size"),
                checkpoint.linear(p + "down_proj.weight", hidden, inter, "hidden_size, " + interKey));
    }

    private static MoeLayer moe(Checkpoint checkpoint, DeepSeekConfig c, String p) {
        int hidden = c.hiddenSize();
        int n = c.nRoutedExperts();
        RouterSpec.TopkMethod method = RouterSpec.TopkMethod.fromConfig(c.topkMethod());
        float[] bias = method == RouterSpec.TopkMethod.NOAUX_TC ? checkpoint.vector(p + "gate.e_score_correction_bias", n) : null;
        RouterSpec router = new RouterSpec(n, c.numExpertsPerTok(), method, RouterSpec.ScoringFunc.fromConfig(c.scoringFunc()),
                c.nGroup(), c.topkGroup(), c.normTopkProb(), c.routedScalingFactor(), bias);
        Mlp[] experts = new Mlp[n];
        for (int e = 0; e < n; e++) {
            experts[e] = mlp(checkpoint, p + "experts." + e + ".", c.moeIntermediateSize(), hidden, "moe_intermediate_size");
        }
        Mlp shared = c.nSharedExperts() == 0 ? null
                : mlp(checkpoint, p + "shared_experts.", c.moeIntermediateSize() * c.nSharedExperts(), hidden,
                "n_shared_experts × moe_intermediate_size");
        return new MoeLayer(checkpoint.linear(p + "gate.weight", n, hidden, "n_routed_experts, hidden_size"), router, experts, shared);
    }
}
