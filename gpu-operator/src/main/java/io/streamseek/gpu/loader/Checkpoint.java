package io.streamseek.gpu.loader;

import io.streamseek.gpu.backend.cpu.Linear;
import io.streamseek.gpu.config.DeepSeekConfig;
import io.streamseek.gpu.loader.gguf.GgufCheckpoint;

import java.nio.file.Path;

/**
 * The weights of one model, whatever file format holds them: a Hugging Face safetensors directory
 * ({@link SafetensorsCheckpoint}) or a GGUF file ({@link GgufCheckpoint}). The model loader asks
 * for every tensor by its Hugging Face name and the shape the config implies; each format maps
 * that onto its own names and layout, checks it, and hands out a {@link Linear} in the storage
 * format the file has (bf16, FP8, or a GGUF block quantization), never converted.
 */
public interface Checkpoint extends AutoCloseable {

    /**
     * Opens what {@code --model} names: a {@code .gguf} file, a directory holding exactly one
     * {@code .gguf} file and no {@code config.json} (an Ollama blob is a GGUF file without the
     * extension: it is recognised by its magic), or a Hugging Face checkpoint directory.
     */
    static Checkpoint open(Path path) {
        Path gguf = ModelPaths.ggufFile(path);
        return gguf != null ? GgufCheckpoint.open(gguf) : SafetensorsCheckpoint.open(path);
    }

    DeepSeekConfig config();

    /** The directory or file this checkpoint was opened from. */
    Path path();

    /** Bytes of every tensor the model is built from: what loading copies into the JVM heap. */
    long tensorBytes();

    /**
     * A linear weight {@code [rows = out_features, cols = in_features]} by its Hugging Face name, in
     * its storage format.
     *
     * @param why how the config implies the shape, for the error message
     */
    Linear linear(String name, int rows, int cols, String why);

    /**
     * Layer {@code layer}'s {@code kv_b_proj} per head, as the split MLA layout stores it:
     * {@code [0][h]} the key half {@code W_k[h]ᵀ [kv_lora_rank, qk_nope_head_dim]}, {@code [1][h]}
     * the value half {@code W_v[h] [v_head_dim, kv_lora_rank]}, in their stored format; null when
     * the checkpoint stores {@code kv_b_proj} whole (the attention then derives the halves itself).
     */
    default Linear[][] kvBHeads(int layer) {
        return null;
    }

    /** A float tensor (norm weights, biases, scales) read into f32. */
    float[] vector(String name, int n, long... shape);

    @Override
    void close();
}
