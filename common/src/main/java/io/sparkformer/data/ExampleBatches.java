package io.sparkformer.data;

import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;

/**
 * Classifier minibatches over epochs of labeled examples, as a pure function of the seed. Each epoch
 * shuffles the examples, sorts runs of {@value #BUCKET_BATCHES} batches by length and cuts them into
 * batches (so a batch holds texts of similar length and needs little padding), then shuffles the
 * batch order. Worker w at step s takes the epoch's batch number (s * W + w) mod batchesPerEpoch.
 * Every batch has exactly {@code batchSize} examples (DL4J's Spark workers re-batch anything else),
 * so the few examples left over in an epoch wait for the next one. A batch is padded to its longest
 * text: features [B, T] ids, features mask [B, T] (1 real, 0 padding), labels [B, 1] class indices.
 */
public final class ExampleBatches implements BatchSource {
    static final int BUCKET_BATCHES = 50;

    private final LabeledExamples examples;
    private final int batchSize;
    private final int workers;
    private final long seed;
    private final int pad;
    private transient long cachedEpoch;
    private transient int[][] cachedBatches;

    public ExampleBatches(LabeledExamples examples, int batchSize, int workers, long seed, int pad) {
        if (examples.size() < batchSize) {
            throw new InputException("the training table has " + examples.size() + " examples, fewer than one batch"
                    + " of train.batchSize = " + batchSize);
        }
        this.examples = examples;
        this.batchSize = batchSize;
        this.workers = workers;
        this.seed = seed;
        this.pad = pad;
    }

    public int batchesPerEpoch() {
        return examples.size() / batchSize;
    }

    /** Epochs (passes over the training examples) done after {@code steps} steps. */
    public double epochs(long steps) {
        return (double) steps * workers / batchesPerEpoch();
    }

    @Override
    public DataSet batch(long step, int worker) {
        long global = step * workers + worker;
        int[][] epoch = epoch(global / batchesPerEpoch());
        return of(examples, epoch[(int) (global % batchesPerEpoch())], pad);
    }

    /** The example indices of every batch of one epoch, in training order. */
    synchronized int[][] epoch(long epoch) {
        if (cachedBatches == null || epoch != cachedEpoch) {   // transient: null after deserialisation
            Random random = new Random(BatchPlan.mix(seed ^ BatchPlan.mix(epoch + 0x45504F4348L)));
            int n = batchesPerEpoch() * batchSize;
            Integer[] order = shuffled(examples.size(), random);
            Integer[] used = Arrays.copyOf(order, n);
            int bucket = BUCKET_BATCHES * batchSize;
            Comparator<Integer> byLength = Comparator.comparingInt(i -> examples.tokens()[i].length);
            for (int from = 0; from < n; from += bucket) {
                Arrays.sort(used, from, Math.min(n, from + bucket), byLength);   // stable: ties keep the shuffle
            }
            List<int[]> batches = new ArrayList<>();
            for (int from = 0; from < n; from += batchSize) {
                batches.add(Arrays.stream(used, from, from + batchSize).mapToInt(Integer::intValue).toArray());
            }
            java.util.Collections.shuffle(batches, random);
            cachedBatches = batches.toArray(int[][]::new);
            cachedEpoch = epoch;
        }
        return cachedBatches;
    }

    private static Integer[] shuffled(int n, Random random) {
        Integer[] order = IntStream.range(0, n).boxed().toArray(Integer[]::new);
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            Integer tmp = order[i];
            order[i] = order[j];
            order[j] = tmp;
        }
        return order;
    }

    /** Every example once, in order, in batches of at most {@code batchSize} (for evaluation). */
    public static List<DataSet> inOrder(LabeledExamples examples, int batchSize, int pad) {
        List<DataSet> out = new ArrayList<>();
        for (int from = 0; from < examples.size(); from += batchSize) {
            out.add(of(examples, IntStream.range(from, Math.min(examples.size(), from + batchSize)).toArray(), pad));
        }
        return out;
    }

    /** The batch of the given examples, padded to the longest. */
    public static DataSet of(LabeledExamples examples, int[] indices, int pad) {
        int b = indices.length;
        int t = Arrays.stream(indices).map(i -> examples.tokens()[i].length).max().orElse(1);
        float[] x = new float[b * t];
        float[] mask = new float[b * t];
        float[] y = new float[b];
        Arrays.fill(x, pad);
        for (int r = 0; r < b; r++) {
            int[] ids = examples.tokens()[indices[r]];
            for (int i = 0; i < ids.length; i++) {
                x[r * t + i] = ids[i];
                mask[r * t + i] = 1f;
            }
            y[r] = examples.labels()[indices[r]];
        }
        return new DataSet(Nd4j.create(x, new long[] {b, t}, 'c'), Nd4j.create(y, new long[] {b, 1}, 'c'),
                Nd4j.create(mask, new long[] {b, t}, 'c'), null);
    }
}
