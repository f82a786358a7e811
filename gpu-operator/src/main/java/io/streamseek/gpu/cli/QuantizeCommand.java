package io.streamseek.gpu.cli;

import io.streamseek.gpu.quantize.GgufConverter;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/** {@code quantize --model HF_DIR --out FILE.gguf --type q8_0|q4_0|bf16|f16}: a Hugging Face checkpoint as a deepseek2 GGUF file. */
final class QuantizeCommand {

    static final String USAGE = String.join("\n",
            "usage: ./streamseek quantize --model HF_DIR --out FILE.gguf [--type q8_0|q4_0|bf16|f16]",
            "  Converts a Hugging Face DeepSeek-V2/V3 checkpoint into a GGUF file of the deepseek2 architecture",
            "  (metadata, tokenizer, weights) that StreamSeek and llama.cpp both load. Streams tensor by tensor:",
            "  memory stays bounded by the largest tensor, whatever the checkpoint's size.",
            "  --type   weight type (default q8_0); norms, biases and the router stay f32, and weights whose rows",
            "           are not whole blocks of the type fall back to f16. K-quants (Q4_K_M, Q5_K_M...): run",
            "           llama.cpp's llama-quantize on a bf16 file written here.");

    private QuantizeCommand() {
    }

    static int run(String[] args, PrintStream out, PrintStream err) throws IOException {
        Args a = Args.parse("quantize", args, 1, Set.of("--model", "--out", "--type"), Set.of("--help"));
        if (a.has("--help")) {
            out.println(USAGE);
            return 0;
        }
        GgufConverter.Target target;
        try {
            target = GgufConverter.Target.fromName(a.get("--type", "q8_0"));
        } catch (IllegalArgumentException e) {
            throw new Args.UsageException("quantize: " + e.getMessage());
        }
        Path model = Path.of(a.required("--model"));
        Path file = Path.of(a.required("--out"));
        if (Files.isDirectory(file)) {
            throw new Args.UsageException("quantize: --out " + file + " is a directory; name the .gguf file to write");
        }
        long started = System.nanoTime();
        out.printf("quantize: %s -> %s (%s)%n", model, file, a.get("--type", "q8_0"));
        GgufConverter.convert(model, file, target, out);
        out.printf("quantize: done in %.1f s%n", (System.nanoTime() - started) / 1e9);
        return 0;
    }
}
