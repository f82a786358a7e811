package io.streamseek.gpu.loader;

import io.streamseek.gpu.config.DeepSeekConfig;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes a randomly initialised checkpoint of a DeepSeek configuration in Hugging Face's format:
 * {@code config.json} and {@code model.safetensors} with every tensor under its real name and shape.
 * The same config, seed and dtype give identical bytes on every machine (the generator is ours, not
 * the JDK's). With {@code fp8}, the linear weights of attention and MLPs are stored as FP8 E4M3 with
 * 128×128 {@code weight_scale_inv} blocks and a {@code quantization_config}, as DeepSeek-V3 ships;
 * embeddings, norms, the router gate and {@code lm_head} stay in the base dtype.
 */
public final class RandomCheckpoint {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final DeepSeekConfig config;
    private final long seed;
    private final DType dtype;
    private final boolean fp8;
    /**
     * Tensor bytes held before they are written out as one shard: a checkpoint larger than this
     * (v2-lite: 31 GB in bf16) is written as {@code model-0000i-of-0000n.safetensors} shards with a
     * {@code model.safetensors.index.json}, as Hugging Face does, in bounded memory.
     */
    static final long SHARD_BYTES = 2L << 30;
    private SafetensorsWriter writer = new SafetensorsWriter();
    private final List<Path> shards = new ArrayList<>();
    private final Map<String, Integer> shardOf = new LinkedHashMap<>();
    private long writtenBytes;

    private RandomCheckpoint(DeepSeekConfig config, long seed, DType dtype, boolean fp8) {
        if (dtype != DType.F32 && dtype != DType.BF16) {
            throw new IllegalArgumentException("--dtype must be f32 or bf16, was " + dtype);
        }
        this.config = fp8 ? withFp8(config) : config;
        this.seed = seed;
        this.dtype = dtype;
        this.fp8 = fp8;
    }

    private void flushShard(Path dir) throws IOException {
        Path shard = dir.resolve("shard-" + shards.size() + ".partial");
        writer.write(shard);
        for (String name : writer.names()) {
            shardOf.put(name, shards.size());
        }
        shards.add(shard);
        writtenBytes += writer.dataBytes();
        writer = new SafetensorsWriter();
    }

    /** Writes the checkpoint into {@code dir} (created if missing); progress lines go to {@code progress}. */
    public static void write(DeepSeekConfig config, Path dir, long seed, DType dtype, boolean fp8, PrintStream progress) throws IOException {
        new RandomCheckpoint(config, seed, dtype, fp8).writeTo(dir, progress);
    }

    private void writeTo(Path dir, PrintStream progress) throws IOException {
        Files.createDirectories(dir);
        DeepSeekConfig c = config;
        int hidden = c.hiddenSize();
        int heads = c.numAttentionHeads();
        float fanHidden = (float) (1 / Math.sqrt(hidden));
        addFloat("model.embed_tokens.weight", new long[] {c.vocabSize(), hidden}, 1f, 0f);
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            String p = "model.layers." + i + ".";
            addNorm(p + "input_layernorm.weight", hidden);
            addNorm(p + "post_attention_layernorm.weight", hidden);
            String a = p + "self_attn.";
            if (c.qLoraRank() > 0) {
                addLinear(a + "q_a_proj.weight", c.qLoraRank(), hidden);
                addNorm(a + "q_a_layernorm.weight", c.qLoraRank());
                addLinear(a + "q_b_proj.weight", heads * c.qkHeadDim(), c.qLoraRank());
            } else {
                addLinear(a + "q_proj.weight", heads * c.qkHeadDim(), hidden);
            }
            addLinear(a + "kv_a_proj_with_mqa.weight", c.kvLoraRank() + c.qkRopeHeadDim(), hidden);
            addNorm(a + "kv_a_layernorm.weight", c.kvLoraRank());
            addLinear(a + "kv_b_proj.weight", heads * (c.qkNopeHeadDim() + c.vHeadDim()), c.kvLoraRank());
            addLinear(a + "o_proj.weight", hidden, heads * c.vHeadDim());
            if (c.sparseAttention() != null) {
                // As DeepSeek-V3.2 ships: the two projections in the linear weights' format (fp8
                // with --fp8), weights_proj and the key's LayerNorm in the base dtype.
                DeepSeekConfig.SparseAttention dsa = c.sparseAttention();
                addLinear(a + "indexer.wq_b.weight", dsa.indexNHeads() * dsa.indexHeadDim(), c.qLoraRank());
                addLinear(a + "indexer.wk.weight", dsa.indexHeadDim(), hidden);
                addNorm(a + "indexer.k_norm.weight", dsa.indexHeadDim());
                addFloat(a + "indexer.k_norm.bias", new long[] {dsa.indexHeadDim()}, 0.1f, 0f);
                addFloat(a + "indexer.weights_proj.weight", new long[] {dsa.indexNHeads(), hidden}, fanHidden, 0f);
            }
            String m = p + "mlp.";
            if (c.isMoeLayer(i)) {
                addFloat(m + "gate.weight", new long[] {c.nRoutedExperts(), hidden}, fanHidden, 0f);
                if (c.topkMethod().equals("noaux_tc")) {
                    addFloat(m + "gate.e_score_correction_bias", new long[] {c.nRoutedExperts()}, 0.05f, 0f);
                }
                for (int e = 0; e < c.nRoutedExperts(); e++) {
                    addMlp(m + "experts." + e + ".", c.moeIntermediateSize());
                }
                if (c.nSharedExperts() > 0) {
                    addMlp(m + "shared_experts.", c.moeIntermediateSize() * c.nSharedExperts());
                }
            } else {
                addMlp(m, c.intermediateSize());
            }
            if (progress != null && c.numHiddenLayers() > 4) {
                progress.printf("  layer %d/%d generated (%d MB)%n", i + 1, c.numHiddenLayers(), (writtenBytes + writer.dataBytes()) >> 20);
            }
            if (writer.dataBytes() >= SHARD_BYTES) {
                flushShard(dir);
            }
        }
        addNorm("model.norm.weight", hidden);
        if (!c.tieWordEmbeddings()) {
            addFloat("lm_head.weight", new long[] {c.vocabSize(), hidden}, fanHidden, 0f);
        }
        Files.writeString(dir.resolve("config.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(
                c.toJson().put("torch_dtype", dtype == DType.BF16 ? "bfloat16" : "float32")) + "\n",
                StandardCharsets.UTF_8);
        if (shards.isEmpty()) {
            writer.write(dir.resolve("model.safetensors"));
            if (progress != null) {
                progress.printf("  wrote %s (%d MB)%n", dir.resolve("model.safetensors"), writer.dataBytes() >> 20);
            }
            return;
        }
        flushShard(dir);
        ObjectNode index = JSON.createObjectNode();
        index.putObject("metadata").put("total_size", writtenBytes);
        ObjectNode weightMap = index.putObject("weight_map");
        List<String> names = new ArrayList<>();
        for (int i = 0; i < shards.size(); i++) {
            String name = String.format(Locale.ROOT, "model-%05d-of-%05d.safetensors", i + 1, shards.size());
            Files.move(shards.get(i), dir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
            names.add(name);
        }
        shardOf.forEach((tensor, shard) -> weightMap.put(tensor, names.get(shard)));
        Files.writeString(dir.resolve("model.safetensors.index.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(index) + "\n",
                StandardCharsets.UTF_8);
        if (progress != null) {
            progress.printf("  wrote %d shards and model.safetensors.index.json (%d MB)%n", shards.size(), writtenBytes >> 20);
        }
    }

    private void addMlp(String prefix, int inter) {
        addLinear(prefix + "gate_proj.weight", inter, config.hiddenSize());
        addLinear(prefix + "up_proj.weight", inter, config.hiddenSize());
        addLinear(prefix + "down_proj.weight", config.hiddenSize(), inter);
    }

    private void addNorm(String name, int n) {
        addFloat(name, new long[] {n}, 0.1f, 1f);
    }

    /** A Gaussian tensor {@code mean + std·N(0,1)} in the base dtype. */
    private void addFloat(String name, long[] shape, float std, float mean) {
        float[] values = gaussian(name, (int) (shape.length == 1 ? shape[0] : shape[0] * shape[1]), std, mean);
        writer.add(name, dtype, shape, SafetensorsWriter.encode(values, dtype));
    }

    /** A linear weight scaled by 1/sqrt(fan_in), so activations keep their size through the layers. */
    private void addLinear(String name, int rows, int cols) {
        float[] values = gaussian(name, rows * cols, (float) (1 / Math.sqrt(cols)), 0f);
        if (!fp8) {
            writer.add(name, dtype, new long[] {rows, cols}, SafetensorsWriter.encode(values, dtype));
            return;
        }
        int blockRows = (rows + 127) / 128;
        int blockCols = (cols + 127) / 128;
        float[] scales = new float[blockRows * blockCols];
        ByteBuffer codes = ByteBuffer.allocate(rows * cols).order(ByteOrder.LITTLE_ENDIAN);
        for (int br = 0; br < blockRows; br++) {
            for (int bc = 0; bc < blockCols; bc++) {
                float amax = 0f;
                for (int r = br * 128; r < Math.min(rows, br * 128 + 128); r++) {
                    for (int col = bc * 128; col < Math.min(cols, bc * 128 + 128); col++) {
                        amax = Math.max(amax, Math.abs(values[r * cols + col]));
                    }
                }
                float scale = amax == 0f ? 1f : amax / FloatFormats.E4M3_MAX;
                scales[br * blockCols + bc] = scale;
                for (int r = br * 128; r < Math.min(rows, br * 128 + 128); r++) {
                    for (int col = bc * 128; col < Math.min(cols, bc * 128 + 128); col++) {
                        codes.put(r * cols + col, FloatFormats.toE4m3(values[r * cols + col] / scale));
                    }
                }
            }
        }
        writer.add(name, DType.F8_E4M3, new long[] {rows, cols}, codes);
        writer.add(name + "_scale_inv", DType.F32, new long[] {blockRows, blockCols}, SafetensorsWriter.encode(scales, DType.F32));
    }

    /** Box–Muller over splitmix64, seeded per tensor name: independent of order and of the JDK. */
    private float[] gaussian(String name, int n, float std, float mean) {
        long state = seed * 0x9E3779B97F4A7C15L ^ name.hashCode() * 0xBF58476D1CE4E5B9L;
        float[] values = new float[n];
        for (int i = 0; i < n; i += 2) {
            state += 0x9E3779B97F4A7C15L;
            double u1 = ((mix(state) >>> 11) + 1) * 0x1.0p-53;
            state += 0x9E3779B97F4A7C15L;
            double u2 = (mix(state) >>> 11) * 0x1.0p-53;
            double radius = Math.sqrt(-2 * Math.log(u1));
            values[i] = mean + std * (float) (radius * Math.cos(2 * Math.PI * u2));
            if (i + 1 < n) {
                values[i + 1] = mean + std * (float) (radius * Math.sin(2 * Math.PI * u2));
            }
        }
        return values;
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private static DeepSeekConfig withFp8(DeepSeekConfig c) {
        return c.withFp8BlockSize(new int[] {128, 128});
    }
}
