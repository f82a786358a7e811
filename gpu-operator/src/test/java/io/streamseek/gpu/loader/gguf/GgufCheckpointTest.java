package io.streamseek.gpu.loader.gguf;

import io.streamseek.gpu.attention.MlaAttention.Path;
import io.streamseek.gpu.backend.cpu.CpuWorkers;
import io.streamseek.gpu.cache.SequenceLatentCache;
import io.streamseek.gpu.config.DeepSeekConfig;
import io.streamseek.gpu.config.ModelPreset;
import io.streamseek.gpu.loader.Checkpoint;
import io.streamseek.gpu.loader.CheckpointException;
import io.streamseek.gpu.loader.DType;
import io.streamseek.gpu.loader.RandomCheckpoint;
import io.streamseek.gpu.model.DeepSeekModel;
import io.streamseek.gpu.model.ModelLoader;
import io.streamseek.gpu.quantize.GgufConverter;
import io.streamseek.gpu.tokenizer.Tokenizer;
import io.streamseek.gpu.tokenizer.TokenizerFiles;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** GGUF files as checkpoints: the config from the metadata, the weights by Hugging Face name, and every refusal named. */
class GgufCheckpointTest {

    private static final CpuWorkers WORKERS = new CpuWorkers(2);

    @TempDir
    java.nio.file.Path dir;

    @AfterAll
    static void stop() {
        WORKERS.close();
    }

    private java.nio.file.Path hf(ModelPreset preset, DType dtype) throws IOException {
        java.nio.file.Path model = dir.resolve(preset.cliName() + "-" + dtype);
        RandomCheckpoint.write(preset.config(), model, 7, dtype, false, null);
        TokenizerFiles.write(model, preset.config().vocabSize(), preset.config().maxPositionEmbeddings());
        return model;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"tiny", "tiny-v2", "tiny-k", "small"})
    void theMetadataGivesBackTheConfig(String name) throws IOException {
        ModelPreset preset = ModelPreset.fromName(name);
        java.nio.file.Path gguf = dir.resolve(name + ".gguf");
        GgufConverter.convert(hf(preset, DType.BF16), gguf, GgufConverter.Target.BF16, null);
        try (Checkpoint checkpoint = Checkpoint.open(gguf)) {
            assertThat(checkpoint).isInstanceOf(GgufCheckpoint.class);
            DeepSeekConfig expected = preset.config();
            DeepSeekConfig read = checkpoint.config();
            // GGUF has no group-limited greedy router with one group: greedy is the same choice.
            assertThat(read).usingRecursiveComparison().ignoringFields("topkMethod", "nGroup", "topkGroup").isEqualTo(expected);
            assertThat(read.topkMethod()).isEqualTo(expected.topkMethod());
        }
    }

    @Test
    void aBf16GgufComputesTheLogitsOfItsSafetensorsCheckpoint() throws IOException {
        java.nio.file.Path source = hf(ModelPreset.TINY, DType.BF16);
        java.nio.file.Path gguf = dir.resolve("tiny-bf16.gguf");
        GgufConverter.convert(source, gguf, GgufConverter.Target.BF16, null);
        int[] prompt = {3, 17, 99, 250, 7, 42};
        float[] expected = logits(source, prompt);
        float[] actual = logits(gguf, prompt);
        float max = 0f;
        float worst = 0f;
        for (int i = 0; i < expected.length; i++) {
            max = Math.max(max, Math.abs(expected[i]));
            worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
        }
        // The same bf16 weights; only the router (f32 in GGUF) sums in another order.
        assertThat(worst / max).isLessThan(1e-5f);
    }

    private float[] logits(java.nio.file.Path model, int[] prompt) {
        try (Checkpoint checkpoint = Checkpoint.open(model)) {
            DeepSeekModel m = ModelLoader.load(checkpoint);
            float[] logits = new float[prompt.length * m.spec().vocabSize()];
            m.forward(prompt, 0, prompt.length, 0, new SequenceLatentCache(m.numLayers(), m.mlaSpec().cacheRowWidth(), 64), Path.ABSORBED,
                    true, logits, m.newScratch(WORKERS));
            return logits;
        }
    }

    @Test
    void aQuantizedFileCarriesItsTokenizer() throws IOException {
        java.nio.file.Path source = hf(ModelPreset.TINY, DType.BF16);
        java.nio.file.Path gguf = dir.resolve("alone").resolve("tiny-q4_0.gguf");
        Files.createDirectories(gguf.getParent());
        GgufConverter.convert(source, gguf, GgufConverter.Target.Q4_0, null);
        String text = "<｜begin▁of▁sentence｜>Hello, 東京は日本の首都です 🚀 def f(x):\n    return x**2  12345678 <｜User｜>hi";
        try (Tokenizer original = Tokenizer.load(source); Tokenizer fromFile = Tokenizer.load(gguf)) {
            assertThat(Tokenizer.isAvailable(gguf)).isTrue();
            assertThat(fromFile.encode(text, true)).containsExactly(original.encode(text, true));
            assertThat(fromFile.chatTemplate()).isEqualTo(original.chatTemplate());
            assertThat(fromFile.eosId()).isEqualTo(original.eosId());
        }
    }

    @Test
    void aDirectoryWithOneGgufFileOpensIt() throws IOException {
        java.nio.file.Path folder = Files.createDirectories(dir.resolve("ollama-like"));
        GgufConverter.convert(hf(ModelPreset.TINY, DType.BF16), folder.resolve("model.gguf"), GgufConverter.Target.Q8_0, null);
        try (Checkpoint checkpoint = Checkpoint.open(folder)) {
            assertThat(checkpoint.path()).isEqualTo(folder.resolve("model.gguf"));
        }
        // An Ollama blob has no extension: the magic tells.
        java.nio.file.Path blob = dir.resolve("sha256-0123abcd");
        Files.copy(folder.resolve("model.gguf"), blob);
        try (Checkpoint checkpoint = Checkpoint.open(blob)) {
            assertThat(checkpoint.config().hiddenSize()).isEqualTo(64);
        }
        Files.copy(blob, folder.resolve("other.gguf"));
        assertThatThrownBy(() -> Checkpoint.open(folder)).isInstanceOf(CheckpointException.class)
                .hasMessage(folder + " holds 2 GGUF files [model.gguf, other.gguf] and no config.json; name the file to load in --model");
    }

    @Test
    void anotherArchitectureIsRefused() {
        java.nio.file.Path file = dir.resolve("llama.gguf");
        try (GgufWriter w = new GgufWriter(file)) {
            w.putString("general.architecture", "llama");
            w.addTensor("token_embd.weight", GgmlType.F32, 4, 2);
            w.writeHeader();
            w.writeTensor("token_embd.weight", ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN));
        }
        assertThatThrownBy(() -> Checkpoint.open(file)).isInstanceOf(CheckpointException.class)
                .hasMessage("llama.gguf: general.architecture is 'llama'; this engine runs DeepSeek-V2/V3-architecture models, which GGUF calls "
                        + "'deepseek2' (DeepSeek-V2, V2-Lite, V2.5, V3, R1, Moonlight, Kimi-K2 and their fine-tunes), and DeepSeek-V3.2, 'deepseek32'");
    }

    @Test
    void aTensorTypeTheKernelsDoNotRunIsRefusedByName() throws IOException {
        java.nio.file.Path source = hf(ModelPreset.TINY, DType.BF16);
        java.nio.file.Path good = dir.resolve("good.gguf");
        GgufConverter.convert(source, good, GgufConverter.Target.Q8_0, null);
        java.nio.file.Path bad = dir.resolve("iq.gguf");
        GgufRewrite.retype(good, bad, "blk.1.attn_output.weight", GgmlType.IQ4_NL);
        assertThatThrownBy(() -> Checkpoint.open(bad)).isInstanceOf(CheckpointException.class)
                .hasMessageStartingWith("iq.gguf: tensor blk.1.attn_output.weight has type iq4_nl, which this engine does not run; supported: "
                        + "f32, f16, q4_0, q5_0, q8_0, q4_K, q5_K, q6_K, bf16");
    }

    @Test
    void aTensorOfTheWrongShapeIsNamedWithWhatTheMetadataImplies() throws IOException {
        java.nio.file.Path good = dir.resolve("good.gguf");
        GgufConverter.convert(hf(ModelPreset.TINY, DType.BF16), good, GgufConverter.Target.BF16, null);
        java.nio.file.Path bad = dir.resolve("short.gguf");
        GgufRewrite.reshape(good, bad, "blk.0.attn_kv_a_mqa.weight", 64, 36);
        try (Checkpoint checkpoint = Checkpoint.open(bad)) {
            assertThatThrownBy(() -> ModelLoader.load(checkpoint)).isInstanceOf(CheckpointException.class)
                    .hasMessage("short.gguf: tensor blk.0.attn_kv_a_mqa.weight has dims [64, 36] but the metadata implies [64, 40] "
                            + "(kv_lora_rank + qk_rope_head_dim, hidden_size, innermost first)");
        }
        java.nio.file.Path missing = dir.resolve("missing.gguf");
        GgufRewrite.drop(good, missing, "blk.2.ffn_up_exps.weight");
        try (Checkpoint checkpoint = Checkpoint.open(missing)) {
            assertThatThrownBy(() -> ModelLoader.load(checkpoint)).isInstanceOf(CheckpointException.class)
                    .hasMessage("missing.gguf: tensor blk.2.ffn_up_exps.weight (Hugging Face model.layers.2.mlp.experts.0.up_proj.weight) is missing");
        }
    }
}
