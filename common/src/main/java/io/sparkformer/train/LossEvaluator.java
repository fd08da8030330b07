package io.sparkformer.train;

import io.sparkformer.data.Batches;
import io.sparkformer.data.TokenSource;
import org.deeplearning4j.nn.graph.ComputationGraph;

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
}
