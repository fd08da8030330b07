package io.sparkformer.data;

/** Random access to a token stream (one split of a corpus), wherever its tokens live. */
public interface TokenSource {
    long size();

    /** Copies tokens [position, position + length) into dst[offset ...]. */
    void read(long position, int[] dst, int offset, int length);
}
