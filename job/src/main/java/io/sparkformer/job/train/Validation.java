package io.sparkformer.job.train;

import io.sparkformer.config.SparkformerConfig;
import io.sparkformer.data.Batches;
import io.sparkformer.data.TokenSource;
import io.sparkformer.train.LossEvaluator;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.dataset.DataSet;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Validation loss during training: the same {@code evalBatches x batchSize} non-overlapping
 * validation windows at every evaluation (a seeded choice), so the curve compares like with like.
 * The loss is the mean over predicted tokens (every next token for a GPT, the selected ones for a
 * masked-LM, whose masking is fixed by the window's index).
 */
final class Validation {
    /** The batch of windows at {@code starts}, the first being validation sequence {@code firstIndex}. */
    @FunctionalInterface
    interface Batcher {
        DataSet batch(long[] starts, long firstIndex);
    }

    private final long[] starts;
    private final int batchSize;
    private final Batcher batcher;

    /** @param windowLength stream tokens a window covers (for {@code nonOverlappingStarts}) */
    Validation(TokenSource source, int windowLength, SparkformerConfig config, Batcher batcher) {
        this.batchSize = config.train().batchSize();
        this.batcher = batcher;
        long[] all = source.size() > windowLength ? Batches.nonOverlappingStarts(source.size(), windowLength)
                : new long[0];
        int wanted = Math.min(all.length, config.train().evalBatches() * batchSize);
        Random r = new Random(config.train().seed());
        for (int i = 0; i < wanted; i++) {        // partial Fisher-Yates: the first `wanted` of a shuffle
            int j = i + r.nextInt(all.length - i);
            long tmp = all[i];
            all[i] = all[j];
            all[j] = tmp;
        }
        this.starts = Arrays.copyOf(all, wanted);
        Arrays.sort(this.starts);
    }

    boolean available() {
        return starts.length > 0;
    }

    double loss(ComputationGraph graph) {
        List<DataSet> batches = new ArrayList<>();
        for (int i = 0; i * batchSize < starts.length; i++) {
            batches.add(batcher.batch(Batches.slice(starts, i, batchSize), (long) i * batchSize));
        }
        return LossEvaluator.meanLoss(graph, batches);
    }
}
