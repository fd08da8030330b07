package io.sparkformer.data;

import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/** Turns windows of a token stream into DL4J minibatches: features [B, T] and next-token labels [B, T]. */
public final class Batches {
    private Batches() {
    }

    /** The next-token batches of a plan: worker w's batch at step s reads the windows {@code plan.starts(s, w)}. */
    public static BatchSource planned(TokenSource source, BatchPlan plan) {
        return (step, worker) -> of(source, plan.starts(step, worker), plan.contextLength());
    }

    public static DataSet of(TokenSource source, long[] starts, int contextLength) {
        int b = starts.length;
        int t = contextLength;
        int[] window = new int[t + 1];
        float[] x = new float[b * t];
        float[] y = new float[b * t];
        for (int r = 0; r < b; r++) {
            source.read(starts[r], window, 0, t + 1);
            for (int i = 0; i < t; i++) {
                x[r * t + i] = window[i];
                y[r * t + i] = window[i + 1];
            }
        }
        return new DataSet(Nd4j.create(x, new long[] {b, t}, 'c'), Nd4j.create(y, new long[] {b, t}, 'c'));
    }

    /**
     * Starts of the non-overlapping windows of a split: every token but the first is predicted
     * exactly once (the tail shorter than a window is dropped). Used for validation loss.
     */
    public static long[] nonOverlappingStarts(long tokens, int contextLength) {
        long count = (tokens - 1) / contextLength;
        long[] starts = new long[Math.toIntExact(count)];
        for (int i = 0; i < starts.length; i++) {
            starts[i] = (long) i * contextLength;
        }
        return starts;
    }

    /** The i-th group of {@code batchSize} starts (the last group may be shorter). */
    public static long[] slice(long[] starts, int batchIndex, int batchSize) {
        int from = batchIndex * batchSize;
        int to = Math.min(starts.length, from + batchSize);
        long[] out = new long[to - from];
        System.arraycopy(starts, from, out, 0, out.length);
        return out;
    }

}
