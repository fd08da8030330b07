package io.sparkformer.data;

import java.io.Serializable;

/** A token stream held in memory: the single-JVM loop, tests, and shards once loaded. */
public record ArrayTokenSource(int[] tokens) implements TokenSource, Serializable {
    @Override
    public long size() {
        return tokens.length;
    }

    @Override
    public void read(long position, int[] dst, int offset, int length) {
        System.arraycopy(tokens, Math.toIntExact(position), dst, offset, length);
    }
}
