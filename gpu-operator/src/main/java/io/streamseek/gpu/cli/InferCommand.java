package io.streamseek.gpu.cli;

import io.streamseek.gpu.backend.Backend;
import io.streamseek.gpu.backend.cpu.CpuWorkers;
import io.streamseek.gpu.loader.Checkpoint;
import io.streamseek.gpu.model.DeepSeekModel;
import io.streamseek.gpu.model.ModelLoader;
import io.streamseek.gpu.runner.Generator;
import io.streamseek.gpu.runner.StopCondition;
import io.streamseek.gpu.runner.StopStrings;
import io.streamseek.gpu.sampling.SamplingParams;
import io.streamseek.gpu.tokenizer.Tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * {@code infer --model DIR (--prompt TEXT | --prompt-ids 1,2,3) [--max-tokens N] [--temperature T]
 * [--top-p P] [--top-k K] [--seed S] [--logits-out FILE.npy] [--json] [--backend cpu|auto|cuda]}.
 */
final class InferCommand {

    static final String USAGE = String.join("\n",
            "usage: ./streamseek infer --model DIR (--prompt TEXT | --prompt-ids 1,2,3) [options]",
            "  Generates a completion, by default on the CPU backend's single-sequence generator.",
            "  --backend B        cpu (default), auto or cuda: auto and cuda generate through the engine (needs no --logits-out)",
            "  --max-tokens N     tokens to generate at most (default 64)",
            "  --temperature T    0 is greedy (default 0)",
            "  --top-p P          nucleus sampling, in (0, 1] (default 1: off)",
            "  --top-k K          keep the K most likely tokens (default 0: off)",
            "  --seed S           sampler seed (default 0)",
            "  --stop S           end generation when the text contains S (needs the tokenizer; S is cut from the text)",
            "  --logits-out F     write the prompt's logits [prompt_length, vocab_size] as float32 .npy",
            "  --json             print one JSON line {prompt_ids, generated_ids, text, finish_reason}");

    private InferCommand() {
    }

    static int run(String[] args, PrintStream out, PrintStream err) throws Exception {
        Args a = Args.parse("infer", args, 1,
                Set.of("--model", "--prompt", "--prompt-ids", "--max-tokens", "--temperature", "--top-p", "--top-k", "--seed", "--logits-out", "--stop",
                        "--backend"),
                Set.of("--json", "--help"));
        if (a.has("--help")) {
            out.println(USAGE);
            return 0;
        }
        if (a.has("--prompt") == a.has("--prompt-ids")) {
            throw new Args.UsageException("infer: give exactly one of --prompt and --prompt-ids");
        }
        Path dir = Path.of(a.required("--model"));
        Tokenizer tokenizer = null;
        if (Tokenizer.isAvailable(dir)) {
            tokenizer = Tokenizer.load(dir);
        } else if (a.has("--prompt")) {
            throw new Args.UsageException("infer: " + dir + " has no tokenizer (no tokenizer.json, and no tokenizer in its GGUF metadata); "
                    + "pass token ids with --prompt-ids");
        }
        try (Tokenizer closing = tokenizer) {
            int[] prompt = a.has("--prompt") ? tokenizer.encode(a.required("--prompt"), true) : parseIds(a.required("--prompt-ids"));
            return generate(a, dir, prompt, tokenizer, out, err);
        }
    }

    private static int generate(Args a, Path dir, int[] prompt, Tokenizer tokenizer, PrintStream out, PrintStream err) throws Exception {
        SamplingParams params;
        try {
            params = new SamplingParams((float) a.getDouble("--temperature", 0), (float) a.getDouble("--top-p", 1),
                    (int) a.getLong("--top-k", 0), a.getLong("--seed", 0));
        } catch (IllegalArgumentException e) {
            throw new Args.UsageException("infer: " + e.getMessage());
        }
        int maxTokens = (int) a.getLong("--max-tokens", 64);
        Backend backend;
        try {
            backend = Backend.fromName(a.get("--backend", "cpu"));
        } catch (IllegalArgumentException e) {
            throw new Args.UsageException("infer: " + e.getMessage());
        }
        if (backend != Backend.CPU && a.has("--logits-out")) {
            throw new Args.UsageException("infer: --logits-out reads every prompt position's logits from the CPU generator; use --backend cpu");
        }
        try (Checkpoint checkpoint = Checkpoint.open(dir); CpuWorkers workers = CpuWorkers.perCore()) {
            DeepSeekModel model = ModelLoader.load(checkpoint);
            int vocab = model.spec().vocabSize();
            for (int id : prompt) {
                if (id < 0 || id >= vocab) {
                    throw new Args.UsageException("infer: prompt token id " + id + " is outside the vocabulary [0, " + vocab + ")");
                }
            }
            float[] promptLogits = a.has("--logits-out") ? new float[prompt.length * vocab] : null;
            int[] stop = checkpoint.config().eosTokenIds().stream().mapToInt(Integer::intValue).toArray();
            StopStrings stopStrings = null;
            if (a.has("--stop")) {
                if (tokenizer == null) {
                    throw new Args.UsageException("infer: --stop needs the checkpoint's tokenizer.json to read the text");
                }
                stopStrings = new StopStrings(List.of(a.required("--stop")), ids -> tokenizer.decode(ids, true));
            }
            StopCondition stopCondition = stopStrings == null ? StopCondition.NONE : stopStrings;
            Generator.Result result = backend == Backend.CPU
                    ? new Generator(model, workers).generate(prompt, maxTokens, params, stop, stopCondition, promptLogits)
                    : EngineGeneration.generate(model, backend, prompt, maxTokens, params, stop, stopCondition, err);
            if (promptLogits != null) {
                NpyWriter.writeFloat32(Path.of(a.required("--logits-out")), promptLogits, prompt.length, vocab);
            }
            String finish = switch (result.finishReason()) {
                case STOP -> "stop";
                case STOP_STRING -> "stop_string";
                case LENGTH -> "length";
            };
            String text = tokenizer == null ? null : tokenizer.decode(result.tokens(), true);
            if (text != null && stopStrings != null) {
                text = stopStrings.cut(text);
            }
            if (a.has("--json")) {
                ObjectNode json = new ObjectMapper().createObjectNode();
                json.putPOJO("prompt_ids", prompt);
                json.putPOJO("generated_ids", result.tokens());
                if (text != null) {
                    json.put("text", text);
                }
                json.put("finish_reason", finish);
                out.println(new ObjectMapper().writeValueAsString(json));
            } else {
                out.println("generated ids: " + Arrays.toString(result.tokens()));
                if (text != null) {
                    out.println("text: " + text);
                }
                out.printf("finish reason: %s; prefill %.1f ms, decode %.1f ms (%.1f tokens/s)%n", finish,
                        result.prefillNanos() / 1e6, result.decodeNanos() / 1e6,
                        result.tokens().length > 1 ? (result.tokens().length - 1) / (result.decodeNanos() / 1e9) : 0.0);
            }
            return 0;
        }
    }

    static int[] parseIds(String text) {
        try {
            return Arrays.stream(text.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
        } catch (NumberFormatException e) {
            throw new Args.UsageException("infer: --prompt-ids must be comma-separated integers, was '" + text + "'");
        }
    }
}
