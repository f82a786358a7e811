package io.streamseek.gpu.cli;

import io.streamseek.gpu.tokenizer.Tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/**
 * {@code tokenize --model DIR --in STRINGS.json --out IDS.json [--add-special-tokens]}: a JSON array
 * of strings in, a JSON array of id arrays out, using only the tokenizer files of DIR.
 */
final class TokenizeCommand {

    static final String USAGE = String.join("\n",
            "usage: ./streamseek tokenize --model DIR|FILE.gguf --in STRINGS.json --out IDS.json [--add-special-tokens]",
            "  Tokenizes a JSON array of strings with DIR's tokenizer.json and tokenizer_config.json (no weights needed),",
            "  or with a GGUF file's own tokenizer (tokenizer.ggml.*) when no tokenizer.json stands beside it,",
            "  exactly as Hugging Face does: no truncation, no padding; --add-special-tokens adds BOS/EOS as",
            "  tokenizer_config.json's add_bos_token/add_eos_token say.");

    private static final ObjectMapper JSON = new ObjectMapper();

    private TokenizeCommand() {
    }

    static int run(String[] args, PrintStream out, PrintStream err) throws IOException {
        Args a = Args.parse("tokenize", args, 1, Set.of("--model", "--in", "--out"), Set.of("--add-special-tokens", "--help"));
        if (a.has("--help")) {
            out.println(USAGE);
            return 0;
        }
        Path in = Path.of(a.required("--in"));
        Path outFile = Path.of(a.required("--out"));
        JsonNode strings;
        try {
            strings = JSON.readTree(in.toFile());
        } catch (IOException e) {
            throw new Args.UsageException("tokenize: " + in + " is not readable JSON: " + e.getMessage());
        }
        if (!strings.isArray()) {
            throw new Args.UsageException("tokenize: " + in + " must hold a JSON array of strings");
        }
        ArrayNode result = JSON.createArrayNode();
        try (Tokenizer tokenizer = Tokenizer.load(Path.of(a.required("--model")))) {
            for (int i = 0; i < strings.size(); i++) {
                JsonNode item = strings.get(i);
                if (!item.isTextual()) {
                    throw new Args.UsageException("tokenize: element " + i + " of " + in + " is not a string: " + item);
                }
                ArrayNode ids = result.addArray();
                for (int id : tokenizer.encode(item.asText(), a.has("--add-special-tokens"))) {
                    ids.add(id);
                }
            }
        } catch (IllegalArgumentException e) {
            throw new Args.UsageException("tokenize: " + e.getMessage());
        }
        Files.writeString(outFile, JSON.writeValueAsString(result));
        return 0;
    }
}
