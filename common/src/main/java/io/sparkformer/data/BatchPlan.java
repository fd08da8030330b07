package io.sparkformer.data;

import io.sparkformer.InputException;

import java.io.Serializable;

/**
 * Which training windows every (step, worker, row) reads, as a pure function of the seed: windows
 * start at uniformly random token positions (nanoGPT's sampling), so there are no epochs to track,
 * a resumed run continues the same order from its cursor, and one worker with averaging every step
 * sees exactly the batches of the single-JVM loop.
 *
 * <p>Sequence index of row r of worker w at step s: (s * W + w) * B + r; the data cursor of a
 * checkpoint is the number of sequences consumed.
 */
public record BatchPlan(long seed, int contextLength, int batchSize, int workers, long trainTokens)
        implements Serializable {

    public BatchPlan {
        if (trainTokens < contextLength + 1L) {
            throw new InputException("the training split has " + trainTokens
                    + " tokens, fewer than one window of contextLength + 1 = " + (contextLength + 1));
        }
    }

    public long sequenceIndex(long step, int worker, int row) {
        return (step * workers + worker) * batchSize + row;
    }

    /** Start of the window (contextLength + 1 tokens) of a sequence, in [0, trainTokens - contextLength - 1]. */
    public long windowStart(long sequenceIndex) {
        long range = trainTokens - contextLength;    // number of valid starts
        return Math.floorMod(mix(seed ^ mix(sequenceIndex + 0x9E3779B97F4A7C15L)), range);
    }

    /** Window starts of one worker's batch at one step. */
    public long[] starts(long step, int worker) {
        long[] starts = new long[batchSize];
        for (int r = 0; r < batchSize; r++) {
            starts[r] = windowStart(sequenceIndex(step, worker, r));
        }
        return starts;
    }

    /** SplitMix64's finaliser: a bijective, well-mixed hash of a long. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
