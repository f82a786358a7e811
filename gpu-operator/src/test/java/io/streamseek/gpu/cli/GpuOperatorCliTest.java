package io.streamseek.gpu.cli;

import io.streamseek.gpu.testutils.Npy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The commands as other tools call them: make-model, then infer with --json and --logits-out. */
class GpuOperatorCliTest {

    @TempDir
    Path dir;

    @Test
    void makeModelThenInferAsJsonWithLogits() throws Exception {
        Path model = dir.resolve("tiny");
        assertThat(run("make-model", "--preset", "tiny", "--out", model.toString(), "--seed", "5").status).isZero();
        byte[] weights = Files.readAllBytes(model.resolve("model.safetensors"));
        run("make-model", "--preset", "tiny", "--out", dir.resolve("again").toString(), "--seed", "5");
        assertThat(Files.readAllBytes(dir.resolve("again/model.safetensors"))).as("same preset and seed, same bytes").isEqualTo(weights);

        Path logits = dir.resolve("logits.npy");
        Result infer = run("infer", "--model", model.toString(), "--prompt-ids", "4,8,15,16,23,42", "--max-tokens", "5",
                "--logits-out", logits.toString(), "--json");
        assertThat(infer.status).as(infer.err).isZero();
        assertThat(infer.out.lines()).hasSize(1);
        JsonNode json = new ObjectMapper().readTree(infer.out);
        assertThat(json.get("prompt_ids").toString()).isEqualTo("[4,8,15,16,23,42]");
        assertThat(json.get("generated_ids").size()).isBetween(1, 5);
        assertThat(json.get("finish_reason").asText()).isIn("stop", "length");
        assertThat(Npy.shape(logits)).isEqualTo("(6, 512)");
        assertThat(Npy.readFloat32(logits)).hasSize(6 * 512);

        Result sampled = run("infer", "--model", model.toString(), "--prompt-ids", "4,8", "--max-tokens", "6",
                "--temperature", "0.8", "--top-p", "0.9", "--top-k", "50", "--seed", "1", "--json");
        Result again = run("infer", "--model", model.toString(), "--prompt-ids", "4,8", "--max-tokens", "6",
                "--temperature", "0.8", "--top-p", "0.9", "--top-k", "50", "--seed", "1", "--json");
        assertThat(sampled.out).isEqualTo(again.out);

        // Through the engine on whatever backend auto picks: the same greedy tokens, and the backend named on stderr.
        Result generator = run("infer", "--model", model.toString(), "--prompt-ids", "4,8,15,16,23,42", "--max-tokens", "8", "--json");
        Result engine = run("infer", "--model", model.toString(), "--prompt-ids", "4,8,15,16,23,42", "--max-tokens", "8", "--json",
                "--backend", "auto");
        assertThat(engine.status).as(engine.err).isZero();
        assertThat(engine.out).isEqualTo(generator.out);
        assertThat(engine.err).startsWith("infer: c");
        Result noLogits = run("infer", "--model", model.toString(), "--prompt-ids", "4", "--backend", "cuda", "--logits-out", "x.npy");
        assertThat(noLogits.status).isEqualTo(2);
        assertThat(noLogits.err).startsWith("infer: --logits-out reads every prompt position's logits from the CPU generator; use --backend cpu");

        Result text = run("infer", "--model", model.toString(), "--prompt", "Hello, StreamSeek!", "--max-tokens", "4", "--json");
        JsonNode answer = new ObjectMapper().readTree(text.out);
        assertThat(answer.get("prompt_ids").get(0).asInt()).as("BOS first").isZero();
        assertThat(answer.has("text")).isTrue();

        Path in = dir.resolve("strings.json");
        Files.writeString(in, "[\"Hello, world!\", \"東京\"]");
        Path out = dir.resolve("ids.json");
        assertThat(run("tokenize", "--model", model.toString(), "--in", in.toString(), "--out", out.toString(), "--add-special-tokens").status).isZero();
        assertThat(Files.readString(out)).isEqualTo("[[0,77,106,113,297,49,284,279,113,105,38],[0,235,162,182,233,191,177]]");
    }

    @Test
    void gpuCommandsWithoutAGpuSayWhy() {
        String noGpu;
        try {
            io.streamseek.gpu.backend.cuda.driver.CudaDriver.load();
            noGpu = null;
        } catch (io.streamseek.gpu.backend.cuda.driver.CudaUnavailableException e) {
            noGpu = e.getMessage();
        }
        org.junit.jupiter.api.Assumptions.assumeTrue(noGpu != null, "this machine has a GPU: bench-gpu would run the whole benchmark");
        Result bench = run("bench-gpu");
        assertThat(bench.status).isEqualTo(3);
        assertThat(bench.err).isEqualTo("bench-gpu needs an NVIDIA GPU: " + noGpu + System.lineSeparator());
        Result badBackend = run("bench", "--model", dir.toString(), "--backend", "tpu");
        assertThat(badBackend.status).isEqualTo(2);
        assertThat(badBackend.err).startsWith("bench: backend 'tpu' is not one of auto, cpu, cuda");
    }

    @Test
    void mistakesGiveAClearMessageAndStatus2() {
        Result noPreset = run("make-model", "--out", dir.toString());
        assertThat(noPreset.status).isEqualTo(2);
        assertThat(noPreset.err).startsWith("make-model: --preset is required");
        Result badPreset = run("make-model", "--preset", "huge", "--out", dir.toString());
        assertThat(badPreset.err).startsWith("make-model: unknown preset 'huge'; use tiny, tiny-v2, tiny-k, tiny-v32, small, bench, bench-v32 or v2-lite");
        Result typo = run("infer", "--model", dir.toString(), "--prompt-idz", "1");
        assertThat(typo.err).startsWith("infer: unknown option '--prompt-idz'");
        Result text = run("infer", "--model", dir.toString(), "--prompt", "hello");
        assertThat(text.err).startsWith("infer: " + dir + " has no tokenizer (no tokenizer.json, and no tokenizer in its GGUF metadata); pass token ids with --prompt-ids");
        Result noTokenizer = run("tokenize", "--model", dir.toString(), "--in", "x.json", "--out", "y.json");
        assertThat(noTokenizer.status).isEqualTo(2);
        Result notAModel = run("infer", "--model", dir.resolve("nothing").toString(), "--prompt-ids", "1");
        assertThat(notAModel.status).isEqualTo(1);
        assertThat(notAModel.err).contains("does not exist; --model takes a .gguf file or a Hugging Face checkpoint directory");
    }

    private static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = GpuOperatorCli.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private record Result(int status, String out, String err) {
    }
}
