package io.streamseek.gpu.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Trains a byte-level BPE vocabulary, deterministically, for the checkpoints {@code make-model}
 * writes: pre-tokenize with {@link #PRE_TOKENIZER_REGEX}, map every byte to a printable symbol as
 * GPT-2's byte-level BPE does, then repeatedly merge the most frequent adjacent pair (ties to the
 * smaller pair) until the vocabulary is full or no pair occurs twice.
 */
public final class ByteLevelBpeTrainer {

    /**
     * Splits text into words before BPE: contractions, letters with one leading non-letter, numbers
     * in groups of up to three digits, punctuation runs, line breaks, other whitespace. Unicode-aware
     * throughout: {@code \p{L}}, {@code \p{N}}, and {@code \s} compiled with
     * {@link Pattern#UNICODE_CHARACTER_CLASS} here (Hugging Face's Oniguruma treats it so too), so a
     * non-breaking or ideographic space is whitespace like any other.
     */
    public static final String PRE_TOKENIZER_REGEX =
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    private static final Pattern PRE_TOKENIZER = Pattern.compile(PRE_TOKENIZER_REGEX, Pattern.UNICODE_CHARACTER_CLASS);

    /** A trained vocabulary: symbols in id order (after the special tokens) and the merges in rank order. */
    public record Vocabulary(List<String> symbols, List<String[]> merges) {
    }

    private ByteLevelBpeTrainer() {
    }

    /** Trains at most {@code maxSymbols} symbols (the 256 byte symbols included) on {@code corpus}. */
    public static Vocabulary train(String corpus, int maxSymbols) {
        if (maxSymbols < 256) {
            throw new IllegalArgumentException("a byte-level vocabulary needs at least 256 symbols, got " + maxSymbols);
        }
        Map<String, Integer> wordCounts = new LinkedHashMap<>();
        Matcher matcher = PRE_TOKENIZER.matcher(corpus);
        while (matcher.find()) {
            wordCounts.merge(matcher.group(), 1, Integer::sum);
        }
        List<List<String>> words = new ArrayList<>();
        List<Integer> counts = new ArrayList<>();
        for (Map.Entry<String, Integer> entry : wordCounts.entrySet()) {
            words.add(new ArrayList<>(toSymbols(entry.getKey())));
            counts.add(entry.getValue());
        }
        List<String> symbols = new ArrayList<>(ByteSymbols.ALL);
        List<String[]> merges = new ArrayList<>();
        while (symbols.size() < maxSymbols) {
            Map<String, Integer> pairs = new HashMap<>();
            for (int w = 0; w < words.size(); w++) {
                List<String> word = words.get(w);
                for (int i = 0; i + 1 < word.size(); i++) {
                    pairs.merge(word.get(i) + '\u0000' + word.get(i + 1), counts.get(w), Integer::sum);
                }
            }
            String best = null;
            int bestCount = 1;
            for (Map.Entry<String, Integer> pair : pairs.entrySet()) {
                int count = pair.getValue();
                if (count > bestCount || (count == bestCount && best != null && pair.getKey().compareTo(best) < 0)) {
                    best = pair.getKey();
                    bestCount = count;
                }
            }
            if (best == null) {
                break; // no pair occurs twice: more merges would only memorise the corpus
            }
            String[] merge = best.split("\u0000", 2);
            merges.add(merge);
            String merged = merge[0] + merge[1];
            symbols.add(merged);
            for (List<String> word : words) {
                for (int i = 0; i + 1 < word.size(); i++) {
                    if (word.get(i).equals(merge[0]) && word.get(i + 1).equals(merge[1])) {
                        word.set(i, merged);
                        word.remove(i + 1);
                    }
                }
            }
        }
        return new Vocabulary(symbols, merges);
    }

    private static List<String> toSymbols(String word) {
        List<String> symbols = new ArrayList<>();
        for (byte b : word.getBytes(StandardCharsets.UTF_8)) {
            symbols.add(ByteSymbols.of(b));
        }
        return symbols;
    }
}
