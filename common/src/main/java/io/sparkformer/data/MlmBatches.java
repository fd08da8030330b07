package io.sparkformer.data;

import io.sparkformer.tokenize.BertTokens;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.io.Serializable;

/**
 * Masked-LM minibatches from a token stream: each sequence is [CLS] + a window of
 * {@code contextLength - 2} stream tokens + [SEP] (contiguous text packed across line and document
 * breaks, as RoBERTa's FULL-SENTENCES), corrupted by {@link MlmMasking}. Features: ids [B, T];
 * labels: the original ids [B, T]; labels mask [B, T]: 1 at the positions to predict. No padding.
 */
public final class MlmBatches implements Serializable {
    private final TokenSource source;
    private final MlmMasking masking;
    private final BertTokens tokens;
    private final int contextLength;

    public MlmBatches(TokenSource source, MlmMasking masking, BertTokens tokens, int contextLength) {
        this.source = source;
        this.masking = masking;
        this.tokens = tokens;
        this.contextLength = contextLength;
    }

    /** The plan of stream windows behind the sequences: windows of {@code contextLength - 2} tokens. */
    public static BatchPlan plan(long seed, int contextLength, int batchSize, int workers, long trainTokens) {
        return new BatchPlan(seed, BertTokens.textLength(contextLength), batchSize, workers, trainTokens);
    }

    /** Worker w's batch at step s: the windows of {@code plan}, masked by their sequence indices. */
    public BatchSource planned(BatchPlan plan) {
        return (step, worker) -> of(plan.starts(step, worker), plan.sequenceIndex(step, worker, 0));
    }

    /** The batch of windows at {@code starts}; row r is sequence {@code firstSequenceIndex + r}. */
    public DataSet of(long[] starts, long firstSequenceIndex) {
        int b = starts.length;
        int t = contextLength;
        int[] window = new int[BertTokens.textLength(t)];
        float[] x = new float[b * t];
        float[] y = new float[b * t];
        float[] selected = new float[b * t];
        for (int r = 0; r < b; r++) {
            source.read(starts[r], window, 0, window.length);
            MlmMasking.Masked m = masking.apply(tokens.frame(window, t), firstSequenceIndex + r);
            for (int i = 0; i < t; i++) {
                x[r * t + i] = m.input()[i];
                y[r * t + i] = m.labels()[i];
                selected[r * t + i] = m.weights()[i];
            }
        }
        long[] shape = {b, t};
        return new DataSet(Nd4j.create(x, shape, 'c'), Nd4j.create(y, shape, 'c'), null,
                Nd4j.create(selected, shape, 'c'));
    }
}
