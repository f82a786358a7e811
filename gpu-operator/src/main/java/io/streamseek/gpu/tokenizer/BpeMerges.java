package io.streamseek.gpu.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Byte-level BPE as Hugging Face's {@code BPE} model applies it to one word, kept only to decide
 * whether a file's {@code ignore_merges} can matter: repeatedly merge the adjacent pair of lowest
 * rank, leftmost first, until no pair has a merge.
 */
final class BpeMerges {

    private BpeMerges() {
    }

    /**
     * Whether the merges rebuild {@code word} (byte-level symbols) into one token: if so, taking a
     * vocabulary word whole, as {@code ignore_merges} does, gives the same token as merging it.
     *
     * @param ranks merge "left right" to its rank
     */
    static boolean mergesBackToItself(String word, Map<String, Integer> ranks) {
        List<String> symbols = new ArrayList<>(word.length());
        word.chars().forEach(c -> symbols.add(String.valueOf((char) c)));
        while (symbols.size() > 1) {
            int best = -1;
            int bestRank = Integer.MAX_VALUE;
            for (int i = 0; i + 1 < symbols.size(); i++) {
                Integer rank = ranks.get(symbols.get(i) + " " + symbols.get(i + 1));
                if (rank != null && rank < bestRank) {
                    best = i;
                    bestRank = rank;
                }
            }
            if (best < 0) {
                return false;
            }
            String right = symbols.remove(best + 1);
            symbols.set(best, symbols.get(best) + right);
        }
        return true;
    }
}
