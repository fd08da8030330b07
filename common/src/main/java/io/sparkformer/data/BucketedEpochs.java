package io.sparkformer.data;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;

/**
 * Which items go into which batch, epoch by epoch, as a pure function of the seed (so a resumed run
 * replays the batches of an uninterrupted one). Each epoch shuffles the items, sorts runs of
 * {@value #BUCKET_BATCHES} batches by length and cuts them into batches (a batch holds items of
 * similar length and needs little padding), then shuffles the batch order. Worker w at step s takes
 * the epoch's batch number (s * W + w) mod batchesPerEpoch. Every batch has exactly
 * {@code batchSize} items (DL4J's Spark workers re-batch anything else), so the few items left over
 * in an epoch wait for the next one. Shared by the classifier's and the translator's batches.
 */
final class BucketedEpochs implements Serializable {
    static final int BUCKET_BATCHES = 50;

    private final int[] lengths;
    private final int batchSize;
    private final int workers;
    private final long seed;
    /** Keeps the batch orders of different kinds of data apart under one seed. */
    private final long salt;
    private transient long cachedEpoch;
    private transient int[][] cachedBatches;

    /** @param lengths each item's length (what a batch is padded to) */
    BucketedEpochs(int[] lengths, int batchSize, int workers, long seed, long salt) {
        this.lengths = lengths;
        this.batchSize = batchSize;
        this.workers = workers;
        this.seed = seed;
        this.salt = salt;
    }

    int batchesPerEpoch() {
        return lengths.length / batchSize;
    }

    /** Epochs (passes over the items) done after {@code steps} steps. */
    double epochs(long steps) {
        return (double) steps * workers / batchesPerEpoch();
    }

    /** The item indices of worker {@code worker}'s batch at {@code step}. */
    int[] batch(long step, int worker) {
        long global = step * workers + worker;
        return epoch(global / batchesPerEpoch())[(int) (global % batchesPerEpoch())];
    }

    /** The item indices of every batch of one epoch, in training order. */
    synchronized int[][] epoch(long epoch) {
        if (cachedBatches == null || epoch != cachedEpoch) {   // transient: null after deserialisation
            Random random = new Random(BatchPlan.mix(seed ^ BatchPlan.mix(epoch + salt)));
            int n = batchesPerEpoch() * batchSize;
            Integer[] order = IntStream.range(0, lengths.length).boxed().toArray(Integer[]::new);
            Collections.shuffle(Arrays.asList(order), random);
            Integer[] used = Arrays.copyOf(order, n);
            int bucket = BUCKET_BATCHES * batchSize;
            Comparator<Integer> byLength = Comparator.comparingInt(i -> lengths[i]);
            for (int from = 0; from < n; from += bucket) {
                Arrays.sort(used, from, Math.min(n, from + bucket), byLength);   // stable: ties keep the shuffle
            }
            List<int[]> batches = new ArrayList<>();
            for (int from = 0; from < n; from += batchSize) {
                batches.add(Arrays.stream(used, from, from + batchSize).mapToInt(Integer::intValue).toArray());
            }
            Collections.shuffle(batches, random);
            cachedBatches = batches.toArray(int[][]::new);
            cachedEpoch = epoch;
        }
        return cachedBatches;
    }
}
