package io.sparkformer.data;

import io.sparkformer.InputException;
import io.sparkformer.model.seq2seq.PackedPairs;
import io.sparkformer.tokenize.TranslationTokens;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Translation minibatches over epochs of sentence pairs, as a pure function of the seed: which pairs
 * form a batch is {@link BucketedEpochs}'s (shuffled, bucketed by the longer side of each pair).
 *
 * <p>A batch ({@link #of}) is teacher forcing with the targets shifted right: source
 * {@code x </s>}, decoder input {@code <s> y}, labels {@code y </s>}, packed as
 * {@link PackedPairs} describes and padded to the batch's longest side, with masks.
 */
public final class PairBatches implements BatchSource {
    /** Salt of the batch order ("PAIR"): keeps the order of resumed runs as it was. */
    private static final long SALT = 0x50414952L;

    private final TranslationPairs pairs;
    private final TranslationTokens source;
    private final TranslationTokens target;
    private final BucketedEpochs epochs;

    public PairBatches(TranslationPairs pairs, TranslationTokens source, TranslationTokens target, int batchSize,
                       int workers, long seed) {
        if (pairs.size() < batchSize) {
            throw new InputException("the training corpus has " + pairs.size() + " usable pairs, fewer than one batch"
                    + " of train.batchSize = " + batchSize);
        }
        this.pairs = pairs;
        this.source = source;
        this.target = target;
        this.epochs = new BucketedEpochs(IntStream.range(0, pairs.size())
                .map(i -> Math.max(pairs.sources()[i].length, pairs.targets()[i].length)).toArray(),
                batchSize, workers, seed, SALT);
    }

    public int batchesPerEpoch() {
        return epochs.batchesPerEpoch();
    }

    /** Epochs (passes over the training pairs) done after {@code steps} steps. */
    public double epochs(long steps) {
        return epochs.epochs(steps);
    }

    @Override
    public DataSet batch(long step, int worker) {
        return of(pairs, epochs.batch(step, worker), source, target);
    }

    /** The pair indices of every batch of one epoch, in training order. */
    int[][] epoch(long epoch) {
        return epochs.epoch(epoch);
    }

    /** Every pair once, in order, in batches of at most {@code batchSize} (for evaluation). */
    public static List<DataSet> inOrder(TranslationPairs pairs, int batchSize, TranslationTokens source,
                                        TranslationTokens target) {
        List<DataSet> out = new ArrayList<>();
        for (int from = 0; from < pairs.size(); from += batchSize) {
            out.add(of(pairs, IntStream.range(from, Math.min(pairs.size(), from + batchSize)).toArray(), source,
                    target));
        }
        return out;
    }

    /**
     * The batch of the given pairs: features [B, 2L] and their mask (source {@code x </s>} | decoder
     * input {@code <s> y}), labels [B, L] ({@code y </s>}) and their mask.
     */
    public static DataSet of(TranslationPairs pairs, int[] indices, TranslationTokens source,
                             TranslationTokens target) {
        int b = indices.length;
        int[][] sources = new int[b][];
        int[][] inputs = new int[b][];
        int[][] labels = new int[b][];
        int length = 1;
        for (int r = 0; r < b; r++) {
            int[] x = pairs.sources()[indices[r]];
            int[] y = pairs.targets()[indices[r]];
            sources[r] = append(x, source.eos());
            inputs[r] = prepend(target.bos(), y);
            labels[r] = append(y, target.eos());
            length = Math.max(length, Math.max(sources[r].length, inputs[r].length));
        }
        float[] features = PackedPairs.pack(sources, inputs, length, source.pad(), target.pad());
        float[] featuresMask = PackedPairs.mask(sources, inputs, length);
        float[] y = new float[b * length];
        float[] labelsMask = new float[b * length];
        for (int r = 0; r < b; r++) {
            for (int i = 0; i < length; i++) {
                boolean real = i < labels[r].length;
                y[r * length + i] = real ? labels[r][i] : target.pad();
                labelsMask[r * length + i] = real ? 1f : 0f;
            }
        }
        return new DataSet(Nd4j.create(features, new long[] {b, 2L * length}, 'c'),
                Nd4j.create(y, new long[] {b, length}, 'c'),
                Nd4j.create(featuresMask, new long[] {b, 2L * length}, 'c'),
                Nd4j.create(labelsMask, new long[] {b, length}, 'c'));
    }

    private static int[] append(int[] ids, int last) {
        int[] out = Arrays.copyOf(ids, ids.length + 1);
        out[ids.length] = last;
        return out;
    }

    private static int[] prepend(int first, int[] ids) {
        int[] out = new int[ids.length + 1];
        out[0] = first;
        System.arraycopy(ids, 0, out, 1, ids.length);
        return out;
    }
}
