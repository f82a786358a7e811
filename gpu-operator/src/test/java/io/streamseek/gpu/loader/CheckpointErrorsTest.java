package io.streamseek.gpu.loader;

import io.streamseek.gpu.config.ModelPreset;
import io.streamseek.gpu.model.ModelLoader;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every corrupt or mismatched checkpoint fails at load time, naming the file, the tensor and what was expected. */
class CheckpointErrorsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @BeforeEach
    void writeTiny() throws IOException {
        RandomCheckpoint.write(ModelPreset.TINY.config(), dir, 3, DType.F32, false, null);
    }

    @Test
    void aValidCheckpointLoads() {
        try (Checkpoint checkpoint = Checkpoint.open(dir)) {
            assertThat(ModelLoader.load(checkpoint).numLayers()).isEqualTo(3);
        }
    }

    @Test
    void truncatedFile() throws IOException {
        Path file = dir.resolve("model.safetensors");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(raf.length() - 1000);
        }
        assertThatThrownBy(() -> Checkpoint.open(dir))
                .isInstanceOf(CheckpointException.class)
                .hasMessageStartingWith("model.safetensors: tensor ")
                .hasMessageContaining("outside the")
                .hasMessageEndingWith("data bytes (truncated file?)");
    }

    @Test
    void headerLengthBeyondTheFile() throws IOException {
        Path file = dir.resolve("model.safetensors");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1L << 40).array());
        }
        assertThatThrownBy(() -> Checkpoint.open(dir))
                .hasMessageStartingWith("model.safetensors: header length 1099511627776 does not fit a file of");
    }

    @Test
    void unsupportedDtype() throws IOException {
        rewriteHeader(header -> header.replaceFirst("\"dtype\":\"F32\"", "\"dtype\":\"Q4K\""));
        assertThatThrownBy(() -> Checkpoint.open(dir)).hasMessage("model.safetensors: tensor model.embed_tokens.weight has unsupported dtype 'Q4K'");
    }

    @Test
    void missingTensor() throws IOException {
        rewriteHeader(header -> header.replace("model.layers.2.self_attn.kv_b_proj.weight", "model.layers.2.self_attn.kv_b_proj.wexght"));
        try (Checkpoint checkpoint = Checkpoint.open(dir)) {
            assertThatThrownBy(() -> ModelLoader.load(checkpoint))
                    .hasMessage("tensor model.layers.2.self_attn.kv_b_proj.weight is missing (searched [model.safetensors] in " + dir + ")");
        }
    }

    @Test
    void shapeThatDisagreesWithTheConfig() throws IOException {
        ObjectNode config = (ObjectNode) JSON.readTree(dir.resolve("config.json").toFile());
        config.put("kv_lora_rank", 24);
        Files.writeString(dir.resolve("config.json"), config.toString());
        try (Checkpoint checkpoint = Checkpoint.open(dir)) {
            assertThatThrownBy(() -> ModelLoader.load(checkpoint))
                    .hasMessage("model.safetensors: tensor model.layers.0.self_attn.kv_a_proj_with_mqa.weight has shape [40, 64] "
                            + "but config.json implies [32, 64] (kv_lora_rank + qk_rope_head_dim, hidden_size)");
        }
    }

    @Test
    void badConfigValuesNameTheKey() throws IOException {
        ObjectNode config = (ObjectNode) JSON.readTree(dir.resolve("config.json").toFile());
        config.put("topk_method", "top2");
        Files.writeString(dir.resolve("config.json"), config.toString());
        assertThatThrownBy(() -> Checkpoint.open(dir))
                .hasMessage(dir + ": config.json: topk_method 'top2' is not supported; use greedy, group_limited_greedy or noaux_tc");
        config.remove("kv_lora_rank");
        config.put("topk_method", "noaux_tc");
        Files.writeString(dir.resolve("config.json"), config.toString());
        assertThatThrownBy(() -> Checkpoint.open(dir))
                .hasMessage(dir + ": config.json: kv_lora_rank is missing; DeepSeek checkpoints define it");
    }

    @Test
    void aModelTypeTheEngineDoesNotComputeIsRefusedNotRunAsTheNearestOne() throws IOException {
        ObjectNode config = (ObjectNode) JSON.readTree(dir.resolve("config.json").toFile());
        config.put("model_type", "llama");
        Files.writeString(dir.resolve("config.json"), config.toString());
        assertThatThrownBy(() -> Checkpoint.open(dir))
                .hasMessage(dir + ": config.json: model_type 'llama' is not supported; this engine runs deepseek_v2, deepseek_v3 (MLA and "
                        + "DeepSeekMoE) and deepseek_v32 (with DeepSeek Sparse Attention)");
        config.remove("model_type");
        Files.writeString(dir.resolve("config.json"), config.toString());
        assertThatThrownBy(() -> Checkpoint.open(dir))
                .hasMessage(dir + ": config.json: model_type is missing; DeepSeek checkpoints say deepseek_v2, deepseek_v3 or deepseek_v32");
    }

    @Test
    void aV32CheckpointNeedsItsIndexerKeysQLoraAndTensors() throws IOException {
        ObjectNode config = (ObjectNode) JSON.readTree(dir.resolve("config.json").toFile());
        config.put("model_type", "deepseek_v32").put("index_n_heads", 4).put("index_head_dim", 32);
        Files.writeString(dir.resolve("config.json"), config.toString());
        assertThatThrownBy(() -> Checkpoint.open(dir))
                .hasMessage(dir + ": config.json: index_topk is missing; DeepSeek checkpoints define it");
        config.put("index_topk", 16).put("index_head_dim", 4);
        Files.writeString(dir.resolve("config.json"), config.toString());
        assertThatThrownBy(() -> Checkpoint.open(dir))
                .hasMessage(dir + ": config.json: index_head_dim 4 must be at least qk_rope_head_dim (8): the indexer's rotary part comes first in it");
        config.put("index_head_dim", 32).putNull("q_lora_rank");
        Files.writeString(dir.resolve("config.json"), config.toString());
        assertThatThrownBy(() -> Checkpoint.open(dir))
                .hasMessageStartingWith(dir + ": config.json: q_lora_rank null must be positive with DeepSeek Sparse Attention");
        config.put("q_lora_rank", 48);
        Files.writeString(dir.resolve("config.json"), config.toString());
        // A V3 checkpoint relabelled: the config reads, the missing indexer is named at load.
        try (Checkpoint checkpoint = Checkpoint.open(dir)) {
            assertThatThrownBy(() -> ModelLoader.load(checkpoint))
                    .hasMessageContaining("model.layers.0.self_attn.indexer.wq_b.weight");
        }
    }

    @Test
    void shardedCheckpointWithAMissingShard() throws IOException {
        Files.writeString(dir.resolve("model.safetensors.index.json"),
                "{\"weight_map\":{\"a\":\"model-00001-of-00002.safetensors\",\"b\":\"model-00002-of-00002.safetensors\"}}");
        assertThatThrownBy(() -> Checkpoint.open(dir))
                .hasMessage("model.safetensors.index.json lists model-00001-of-00002.safetensors, which is missing from " + dir);
    }

    private void rewriteHeader(java.util.function.UnaryOperator<String> edit) throws IOException {
        Path file = dir.resolve("model.safetensors");
        byte[] bytes = Files.readAllBytes(file);
        int length = (int) ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        String header = new String(bytes, 8, length, StandardCharsets.UTF_8);
        String edited = edit.apply(header);
        byte[] editedBytes = (edited + " ".repeat(length - edited.length())).getBytes(StandardCharsets.UTF_8);
        assertThat(editedBytes).hasSize(length);
        System.arraycopy(editedBytes, 0, bytes, 8, length);
        Files.write(file, bytes);
    }
}
