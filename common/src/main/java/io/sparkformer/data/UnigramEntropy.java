package io.sparkformer.data;

import java.util.Arrays;

/**
 * The entropy of a token stream's unigram distribution, in nats per token: the loss of the best model
 * that ignores context, measured in-sample. Printed next to a validation loss, it shows how much of
 * the loss the model owes to context.
 */
public final class UnigramEntropy {
    /** Tokens read at most: a cheap driver-side figure even for a validation split of billions of tokens. */
    public static final long MAX_TOKENS = 10_000_000L;
    private static final int CHUNK = 1 << 16;

    private UnigramEntropy() {
    }

    /** Over the first {@link #MAX_TOKENS} tokens of {@code source}; NaN for an empty source. */
    public static double nats(TokenSource source) {
        long n = Math.min(source.size(), MAX_TOKENS);
        if (n == 0) {
            return Double.NaN;
        }
        long[] counts = new long[256];
        int[] chunk = new int[CHUNK];
        for (long pos = 0; pos < n; pos += CHUNK) {
            int len = (int) Math.min(CHUNK, n - pos);
            source.read(pos, chunk, 0, len);
            for (int i = 0; i < len; i++) {
                int id = chunk[i];
                if (id >= counts.length) {
                    counts = Arrays.copyOf(counts, Math.max(id + 1, counts.length * 2));
                }
                counts[id]++;
            }
        }
        double h = 0;
        for (long c : counts) {
            if (c > 0) {
                double p = (double) c / n;
                h -= p * Math.log(p);
            }
        }
        return h;
    }
}
