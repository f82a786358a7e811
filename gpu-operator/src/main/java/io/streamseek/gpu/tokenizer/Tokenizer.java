package io.streamseek.gpu.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.streamseek.gpu.loader.ModelPaths;
import io.streamseek.gpu.loader.gguf.GgufFile;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A checkpoint's tokenizer: its {@code tokenizer.json} run by Hugging Face's own tokenizers (Rust,
 * through DJL), with no truncation or padding, and BOS/EOS added as {@code tokenizer_config.json}'s
 * {@code add_bos_token}/{@code add_eos_token} say — what transformers' fast Llama/DeepSeek tokenizers
 * do, whatever the {@code tokenizer.json} post-processor adds or not.
 */
public final class Tokenizer implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, String> OPTIONS = Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false",
            "modelMaxLength", String.valueOf(Integer.MAX_VALUE));

    private final HuggingFaceTokenizer tokenizer;
    private final int bosId;
    private final int eosId;
    private final boolean addBos;
    private final boolean addEos;
    private final String bosToken;
    private final String eosToken;
    private final String chatTemplate;

    private Tokenizer(HuggingFaceTokenizer tokenizer, int bosId, int eosId, boolean addBos, boolean addEos, String bosToken,
                      String eosToken, String chatTemplate) {
        this.tokenizer = tokenizer;
        this.bosId = bosId;
        this.eosId = eosId;
        this.addBos = addBos;
        this.addEos = addEos;
        this.bosToken = bosToken;
        this.eosToken = eosToken;
        this.chatTemplate = chatTemplate;
    }

    /**
     * The tokenizer of what {@code --model} names: a Hugging Face directory's
     * {@code tokenizer.json}; for a GGUF file (or a directory holding one), a {@code tokenizer.json}
     * standing beside it if there is one, else the tokenizer in the file's own metadata.
     */
    public static Tokenizer load(Path model) throws IOException {
        Path gguf = ModelPaths.ggufFile(model);
        if (gguf == null) {
            return loadDirectory(model);
        }
        Path beside = gguf.toAbsolutePath().getParent();
        if (Files.isRegularFile(beside.resolve("tokenizer.json"))) {
            return loadDirectory(beside);
        }
        try (GgufFile file = GgufFile.open(gguf)) {
            if (!GgufTokenizerMetadata.has(file.metadata())) {
                throw new IllegalArgumentException(gguf + " carries no tokenizer (no tokenizer.ggml.model / tokenizer.ggml.tokens) and no "
                        + "tokenizer.json stands beside it; put the model's tokenizer.json and tokenizer_config.json in " + beside);
            }
            try {
                return fromGguf(GgufTokenizerMetadata.read(file.metadata()));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(gguf.getFileName() + ": " + e.getMessage(), e);
            }
        }
    }

    /** Whether {@link #load} finds a tokenizer for {@code model} (a GGUF file may carry weights only). */
    public static boolean isAvailable(Path model) {
        Path gguf = ModelPaths.ggufFile(model);
        if (gguf == null) {
            return Files.isRegularFile(model.resolve("tokenizer.json"));
        }
        if (Files.isRegularFile(gguf.toAbsolutePath().getParent().resolve("tokenizer.json"))) {
            return true;
        }
        try (GgufFile file = GgufFile.open(gguf)) {
            return GgufTokenizerMetadata.has(file.metadata());
        }
    }

    /** Loads {@code dir/tokenizer.json} and {@code dir/tokenizer_config.json}; needs no weights. */
    public static Tokenizer loadDirectory(Path dir) throws IOException {
        Path json = dir.resolve("tokenizer.json");
        if (!Files.isRegularFile(json)) {
            throw new IllegalArgumentException(dir + " has no tokenizer.json");
        }
        Path configFile = dir.resolve("tokenizer_config.json");
        JsonNode config = Files.isRegularFile(configFile) ? JSON.readTree(configFile.toFile()) : JSON.createObjectNode();
        TokenizerNatives.ensureLoaded();
        HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.newInstance(json, OPTIONS);
        String bos = tokenText(config.get("bos_token"));
        String eos = tokenText(config.get("eos_token"));
        JsonNode template = config.get("chat_template");
        return new Tokenizer(tokenizer, idOf(tokenizer, bos), idOf(tokenizer, eos), config.path("add_bos_token").asBoolean(false),
                config.path("add_eos_token").asBoolean(false), bos, eos, template == null || !template.isTextual() ? null : template.asText());
    }

    /**
     * The tokenizer a GGUF file's metadata describes, run by the same Hugging Face tokenizers as
     * {@link #load}: its tokenizer.json is rebuilt in memory ({@link GgufTokenizerJson}), so a GGUF
     * converted from a checkpoint ({@link GgufVocab#fromTokenizerDir}) encodes to the checkpoint's
     * own ids.
     */
    public static Tokenizer fromGguf(GgufVocab vocab) throws IOException {
        byte[] json = JSON.writeValueAsBytes(GgufTokenizerJson.of(vocab));
        TokenizerNatives.ensureLoaded();
        HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(json), OPTIONS);
        return new Tokenizer(tokenizer, vocab.bosId(), vocab.eosId(), vocab.addBos(), vocab.addEos(),
                tokenText(tokenizer, vocab, vocab.bosId()), tokenText(tokenizer, vocab, vocab.eosId()), vocab.chatTemplate());
    }

    /** An added token is stored as text, a NORMAL one in byte-level symbols. */
    private static String tokenText(HuggingFaceTokenizer tokenizer, GgufVocab vocab, int id) {
        return vocab.tokenType(id) == GgufVocab.NORMAL ? tokenizer.decode(new long[] {id}, false) : vocab.tokens().get(id);
    }

    /** Token ids of {@code text}; with {@code addSpecialTokens}, BOS/EOS as the tokenizer config says. */
    public int[] encode(String text, boolean addSpecialTokens) {
        long[] ids = tokenizer.encode(text, false, false).getIds();
        boolean bos = addSpecialTokens && addBos && bosId >= 0;
        boolean eos = addSpecialTokens && addEos && eosId >= 0;
        int[] out = new int[ids.length + (bos ? 1 : 0) + (eos ? 1 : 0)];
        int i = 0;
        if (bos) {
            out[i++] = bosId;
        }
        for (long id : ids) {
            out[i++] = (int) id;
        }
        if (eos) {
            out[i] = eosId;
        }
        return out;
    }

    public String decode(int[] ids, boolean skipSpecialTokens) {
        long[] longs = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            longs[i] = ids[i];
        }
        return tokenizer.decode(longs, skipSpecialTokens);
    }

    public int bosId() {
        return bosId;
    }

    public int eosId() {
        return eosId;
    }

    /** The checkpoint's Jinja chat template, or null when it has none. */
    public String chatTemplate() {
        return chatTemplate;
    }

    public String bosToken() {
        return bosToken;
    }

    public String eosToken() {
        return eosToken;
    }

    @Override
    public void close() {
        tokenizer.close();
    }

    /** A token in tokenizer_config.json is a string or an {@code {"content": ...}} object. */
    private static String tokenText(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        return node.isTextual() ? node.asText() : node.path("content").asText(null);
    }

    private static int idOf(HuggingFaceTokenizer tokenizer, String token) {
        if (token == null) {
            return -1;
        }
        long[] ids = tokenizer.encode(token, false, false).getIds();
        return ids.length == 1 ? (int) ids[0] : -1;
    }
}
