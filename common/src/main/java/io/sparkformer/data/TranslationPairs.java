package io.sparkformer.data;

import java.io.Serializable;

/**
 * Encoded sentence pairs: the text token ids of each side, without special tokens (the batches add
 * {@code </s>} to the source, {@code <s>} before and {@code </s>} after the target).
 */
public record TranslationPairs(int[][] sources, int[][] targets) implements Serializable {

    public TranslationPairs {
        if (sources.length != targets.length) {
            throw new IllegalArgumentException("sources and targets differ in count: " + sources.length + " and "
                    + targets.length);
        }
    }

    public int size() {
        return sources.length;
    }

    /** Pairs whose framed sides ({@code ids </s>}, {@code <s> ids}) fit in {@code maxLength} tokens. */
    public TranslationPairs fitting(int maxLength) {
        int n = 0;
        for (int i = 0; i < size(); i++) {
            n += fits(i, maxLength) ? 1 : 0;
        }
        int[][] s = new int[n][];
        int[][] t = new int[n][];
        int j = 0;
        for (int i = 0; i < size(); i++) {
            if (fits(i, maxLength)) {
                s[j] = sources[i];
                t[j++] = targets[i];
            }
        }
        return new TranslationPairs(s, t);
    }

    private boolean fits(int i, int maxLength) {
        return sources[i].length + 1 <= maxLength && targets[i].length + 1 <= maxLength;
    }

    /** Target tokens of the decoder's labels ({@code ids </s>}) over all pairs. */
    public long targetTokens() {
        long n = 0;
        for (int[] t : targets) {
            n += t.length + 1;
        }
        return n;
    }
}
