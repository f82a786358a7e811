package io.streamseek.gpu.cli;

import io.streamseek.gpu.config.ModelPreset;
import io.streamseek.gpu.loader.DType;
import io.streamseek.gpu.loader.RandomCheckpoint;
import io.streamseek.gpu.tokenizer.TokenizerFiles;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Set;

/**
 * {@code make-model --preset {tiny,tiny-v2,tiny-k,tiny-v32,small,bench,bench-v32,v2-lite} --out DIR [--seed N] [--dtype f32|bf16] [--fp8]}:
 * writes a randomly initialised checkpoint of this architecture in Hugging Face format.
 */
final class MakeModelCommand {

    static final String USAGE = String.join("\n",
            "usage: ./streamseek make-model --preset {tiny,tiny-v2,tiny-k,tiny-v32,small,bench,bench-v32,v2-lite} --out DIR [--seed N] [--dtype f32|bf16] [--fp8]",
            "  Writes a randomly initialised DeepSeek-architecture checkpoint (config.json, model.safetensors,",
            "  tokenizer.json, tokenizer_config.json)",
            "  for tests, the demo and benchmarks. Same preset, seed and dtype give identical files.",
            "  --seed   random seed (default 42)",
            "  --dtype  storage dtype of the weights (default f32)",
            "  --fp8    store attention and MLP weights as FP8 E4M3 with 128x128 block scales, as DeepSeek-V3 ships");

    private MakeModelCommand() {
    }

    static int run(String[] args, PrintStream out, PrintStream err) throws IOException {
        Args a = Args.parse("make-model", args, 1, Set.of("--preset", "--out", "--seed", "--dtype"), Set.of("--fp8", "--help"));
        if (a.has("--help")) {
            out.println(USAGE);
            return 0;
        }
        ModelPreset preset;
        try {
            preset = ModelPreset.fromName(a.required("--preset"));
        } catch (IllegalArgumentException e) {
            throw new Args.UsageException("make-model: " + e.getMessage());
        }
        DType dtype = switch (a.get("--dtype", "f32")) {
            case "f32" -> DType.F32;
            case "bf16" -> DType.BF16;
            default -> throw new Args.UsageException("make-model: --dtype must be f32 or bf16, was '" + a.get("--dtype", "") + "'");
        };
        Path dir = Path.of(a.required("--out"));
        long started = System.nanoTime();
        out.printf("make-model: %s preset, %s%s, seed %d -> %s%n", preset.cliName(), a.get("--dtype", "f32"),
                a.has("--fp8") ? " + fp8" : "", a.getLong("--seed", 42), dir);
        RandomCheckpoint.write(preset.config(), dir, a.getLong("--seed", 42), dtype, a.has("--fp8"), out);
        TokenizerFiles.write(dir, preset.config().vocabSize(), preset.config().maxPositionEmbeddings());
        out.println("  wrote tokenizer.json and tokenizer_config.json (byte-level BPE, " + preset.config().vocabSize() + " ids)");
        out.printf("make-model: done in %.1f s%n", (System.nanoTime() - started) / 1e9);
        return 0;
    }
}
