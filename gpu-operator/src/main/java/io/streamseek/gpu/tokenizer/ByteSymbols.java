package io.streamseek.gpu.tokenizer;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * GPT-2's byte-level alphabet: every byte is one printable character — printable Latin-1 bytes
 * stand for themselves, the rest (controls, space, soft hyphen) are shifted to U+0100 and up — so a
 * byte-level BPE vocabulary is plain text. Hugging Face's ByteLevel pre-tokenizer and decoder use
 * exactly this table.
 */
final class ByteSymbols {

    /** The 256 symbols, indexed by unsigned byte value. */
    static final List<String> ALL;
    private static final String SYMBOLS;

    static {
        String[] table = new String[256];
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
            table[b] = String.valueOf((char) (printable ? b : next++));
        }
        List<String> ordered = new ArrayList<>();
        Collections.addAll(ordered, table);
        ALL = Collections.unmodifiableList(ordered);
        SYMBOLS = String.join("", ordered);
    }

    private ByteSymbols() {
    }

    static String of(byte b) {
        return ALL.get(b & 0xff);
    }

    /** Whether every character of {@code text} is one of the 256 symbols, as a BPE word's are. */
    static boolean isByteLevel(String text) {
        return text.chars().allMatch(c -> SYMBOLS.indexOf(c) >= 0);
    }
}
