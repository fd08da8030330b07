package io.sparkformer.train;

import io.sparkformer.data.Batches;
import io.sparkformer.data.TokenSource;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

/** Mean token cross-entropy (nats) of a model over given windows of a split, without dropout. */
public final class LossEvaluator {
    private LossEvaluator() {
    }

    public static double meanLoss(ComputationGraph graph, TokenSource source, long[] starts, int contextLength,
                                  int batchSize) {
        if (starts.length == 0) {
            throw new IllegalArgumentException("no windows to evaluate: the split is shorter than one window of "
                    + (contextLength + 1) + " tokens");
        }
        double weighted = 0;
        int batches = (starts.length + batchSize - 1) / batchSize;
        for (int i = 0; i < batches; i++) {
            long[] slice = Batches.slice(starts, i, batchSize);
            // Every window has contextLength targets, so weighting by window count weights by token.
            weighted += graph.score(Batches.of(source, slice, contextLength), false) * slice.length;
        }
        return weighted / starts.length;
    }

    /**
     * Mean loss per counted label over batches, each weighted by its counted labels (the labels mask
     * sum, or every label without one): the mean over predicted tokens of masked-LM batches.
     */
    public static double meanLoss(ComputationGraph graph, Iterable<DataSet> batches) {
        double weighted = 0;
        double counted = 0;
        for (DataSet batch : batches) {
            INDArray mask = batch.getLabelsMaskArray();
            double n = mask == null ? batch.getLabels().length() : mask.sumNumber().doubleValue();
            if (n > 0) {
                weighted += graph.score(batch, false) * n;
                counted += n;
            }
        }
        if (counted == 0) {
            throw new IllegalArgumentException("no labels to evaluate");
        }
        return weighted / counted;
    }
}
