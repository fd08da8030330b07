package io.sparkformer.tokenize;

import io.sparkformer.InputException;

import java.util.Arrays;

/**
 * GPT-2's {@code bytes_to_unicode}: a one-to-one map from the 256 byte values to printable
 * characters, so byte-level BPE tokens are readable strings in {@code tokenizer.json} (a space
 * byte shows as 'Ġ', a newline as 'Ċ'). Bytes that are already printable Latin-1 characters map to
 * themselves; the other 68 (controls, space, DEL, NBSP, soft hyphen) map to U+0100 onwards, in
 * byte order.
 */
final class ByteLevel {

    private static final char[] BYTE_TO_CHAR = new char[256];

    /** Indexed by the mapped char; -1 where no byte maps to it. All mapped chars are below 0x200. */
    private static final int[] CHAR_TO_BYTE = new int[0x200];

    static {
        int next = 0x100;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
            BYTE_TO_CHAR[b] = printable ? (char) b : (char) next++;
        }
        Arrays.fill(CHAR_TO_BYTE, -1);
        for (int b = 0; b < 256; b++) {
            CHAR_TO_BYTE[BYTE_TO_CHAR[b]] = b;
        }
    }

    private ByteLevel() {}

    /** The printable symbol for byte value {@code b} (0..255). */
    static char symbol(int b) {
        return BYTE_TO_CHAR[b];
    }

    /** The byte value (0..255) that {@code symbol} stands for, or -1 if it stands for none. */
    static int byteOf(char symbol) {
        return symbol < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[symbol] : -1;
    }

    /** Whether every char of {@code s} is one of the 256 byte symbols. */
    static boolean isByteLevel(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (byteOf(s.charAt(i)) < 0) {
                return false;
            }
        }
        return true;
    }

    /** The bytes a byte-level string stands for; every char must be a byte symbol. */
    static byte[] bytes(String symbols) {
        byte[] bytes = new byte[symbols.length()];
        for (int i = 0; i < bytes.length; i++) {
            int b = byteOf(symbols.charAt(i));
            if (b < 0) {
                throw new IllegalArgumentException(
                        String.format("'%c' is not a byte-level symbol", symbols.charAt(i)));
            }
            bytes[i] = (byte) b;
        }
        return bytes;
    }

    /**
     * The check both Hugging Face-compatible tokenizers make before encoding user text.
     *
     * @throws InputException if {@code text} has an unpaired UTF-16 surrogate (no UTF-8 form, and
     *     Hugging Face only takes well-formed Unicode)
     */
    static void requireWellFormed(String text) {
        int bad = unpairedSurrogateIndex(text);
        if (bad >= 0) {
            throw new InputException(String.format(
                    "text has an unpaired UTF-16 surrogate U+%04X at index %d; only well-formed Unicode can be"
                            + " encoded", (int) text.charAt(bad), bad));
        }
    }

    /** Index of the first unpaired UTF-16 surrogate in {@code s}, or -1 if it is well-formed. */
    static int unpairedSurrogateIndex(CharSequence s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c)
                    && i + 1 < s.length()
                    && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return i;
            }
        }
        return -1;
    }
}
