package io.sparkformer.job.train;

import io.sparkformer.config.SparkformerConfig;
import io.sparkformer.data.Batches;
import io.sparkformer.data.TokenSource;
import io.sparkformer.train.LossEvaluator;
import org.deeplearning4j.nn.graph.ComputationGraph;

import java.util.Random;

/**
 * Validation loss during training: the same {@code evalBatches x batchSize} non-overlapping
 * validation windows at every evaluation (a seeded choice), so the curve compares like with like.
 */
final class Validation {
    private final TokenSource source;
    private final long[] starts;
    private final int contextLength;
    private final int batchSize;

    Validation(TokenSource source, SparkformerConfig config) {
        this.source = source;
        this.contextLength = config.model().contextLength();
        this.batchSize = config.train().batchSize();
        long[] all = source.size() > contextLength ? Batches.nonOverlappingStarts(source.size(), contextLength)
                : new long[0];
        int wanted = Math.min(all.length, config.train().evalBatches() * batchSize);
        Random r = new Random(config.train().seed());
        for (int i = 0; i < wanted; i++) {        // partial Fisher-Yates: the first `wanted` of a shuffle
            int j = i + r.nextInt(all.length - i);
            long tmp = all[i];
            all[i] = all[j];
            all[j] = tmp;
        }
        this.starts = java.util.Arrays.copyOf(all, wanted);
        java.util.Arrays.sort(this.starts);
    }

    boolean available() {
        return starts.length > 0;
    }

    double loss(ComputationGraph graph) {
        return LossEvaluator.meanLoss(graph, source, starts, contextLength, batchSize);
    }
}
