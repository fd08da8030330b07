package io.sparkformer.data;

import io.sparkformer.InputException;

import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Classifier minibatches over epochs of labeled examples, as a pure function of the seed: which
 * examples form a batch is {@link BucketedEpochs}'s (shuffled, bucketed by text length). A batch is
 * padded to its longest text: features [B, T] ids, features mask [B, T] (1 real, 0 padding), labels
 * [B, 1] class indices.
 */
public final class ExampleBatches implements BatchSource {
    /** Salt of the batch order ("EPOCH"): keeps the order of resumed runs as it was. */
    private static final long SALT = 0x45504F4348L;

    private final LabeledExamples examples;
    private final int pad;
    private final BucketedEpochs epochs;

    public ExampleBatches(LabeledExamples examples, int batchSize, int workers, long seed, int pad) {
        if (examples.size() < batchSize) {
            throw new InputException("the training table has " + examples.size() + " examples, fewer than one batch"
                    + " of train.batchSize = " + batchSize);
        }
        this.examples = examples;
        this.pad = pad;
        this.epochs = new BucketedEpochs(Arrays.stream(examples.tokens()).mapToInt(t -> t.length).toArray(),
                batchSize, workers, seed, SALT);
    }

    public int batchesPerEpoch() {
        return epochs.batchesPerEpoch();
    }

    /** Epochs (passes over the training examples) done after {@code steps} steps. */
    public double epochs(long steps) {
        return epochs.epochs(steps);
    }

    @Override
    public DataSet batch(long step, int worker) {
        return of(examples, epochs.batch(step, worker), pad);
    }

    /**
     * Every example once, in batches of at most {@code batchSize} indices of similar length (sorted by
     * length, ties in table order), so that evaluation pads little: in table order a batch of SST-2
     * phrases pads to ~3x its real tokens.
     */
    public static List<int[]> byLength(LabeledExamples examples, int batchSize) {
        int[] order = IntStream.range(0, examples.size()).boxed()
                .sorted(Comparator.comparingInt(i -> examples.tokens()[i].length))
                .mapToInt(Integer::intValue).toArray();
        List<int[]> out = new ArrayList<>();
        for (int from = 0; from < order.length; from += batchSize) {
            out.add(Arrays.copyOfRange(order, from, Math.min(order.length, from + batchSize)));
        }
        return out;
    }

    /**
     * The batch of the given examples, padded to the longest. Sentence pairs carry their segment ids
     * as BERT's packed input (model/bert/BertInputs): features [B, 2T] = ids | types, mask [B, T].
     */
    public static DataSet of(LabeledExamples examples, int[] indices, int pad) {
        int b = indices.length;
        int t = Arrays.stream(indices).map(i -> examples.tokens()[i].length).max().orElse(1);
        boolean pairs = examples.types() != null;
        int width = pairs ? 2 * t : t;
        float[] x = new float[b * width];
        float[] mask = new float[b * t];
        float[] y = new float[b];
        for (int r = 0; r < b; r++) {
            int[] ids = examples.tokens()[indices[r]];
            Arrays.fill(x, r * width, r * width + t, pad);   // padded types stay 0
            for (int i = 0; i < ids.length; i++) {
                x[r * width + i] = ids[i];
                mask[r * t + i] = 1f;
            }
            if (pairs) {
                int[] types = examples.types()[indices[r]];
                for (int i = 0; i < types.length; i++) {
                    x[r * width + t + i] = types[i];
                }
            }
            y[r] = examples.labels()[indices[r]];
        }
        return new DataSet(Nd4j.create(x, new long[] {b, width}, 'c'), Nd4j.create(y, new long[] {b, 1}, 'c'),
                Nd4j.create(mask, new long[] {b, t}, 'c'), null);
    }
}
