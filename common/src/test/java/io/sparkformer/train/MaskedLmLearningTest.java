package io.sparkformer.train;

import io.sparkformer.config.ConfigLoader;
import io.sparkformer.config.SparkformerConfig;
import io.sparkformer.data.ArrayTokenSource;
import io.sparkformer.data.BatchPlan;
import io.sparkformer.data.BatchSource;
import io.sparkformer.data.MlmBatches;
import io.sparkformer.data.MlmMasking;
import io.sparkformer.model.bert.BertGraphBuilder;
import io.sparkformer.tokenize.BertTokens;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

import java.util.List;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The masked LM learns from context. On a cyclic stream (0, 1, ..., 19, 0, 1, ...) a masked token is
 * fixed by its neighbours, while a model that ignores them can do no better than the uniform
 * unigram entropy ln 20, which a [MASK] input alone gives no way below. Trained in-process with the
 * real masking, the loss on the selected tokens must end far below it: attention across positions,
 * position embeddings and the tied head all have to work for that.
 */
class MaskedLmLearningTest {
    private static final int SYMBOLS = 20;
    private static final int CONTEXT = 32;

    @Test
    void tinyBertFillsMaskedTokensFromTheirNeighbours() {
        int[] stream = IntStream.range(0, 4000).map(i -> i % SYMBOLS).toArray();
        BertTokens specials = new BertTokens(SYMBOLS, SYMBOLS + 1, SYMBOLS + 2, SYMBOLS + 3, SYMBOLS);
        int steps = 600;
        SparkformerConfig config = ConfigLoader.defaults(List.of("model.family=bert", "tokenizer.type=bpe",
                "model.layers=2", "model.heads=2", "model.embedDim=32", "model.contextLength=" + CONTEXT,
                "train.batchSize=16", "train.steps=" + steps, "train.learningRate=3e-3", "train.minLearningRate=3e-4",
                "train.warmupSteps=20", "train.weightDecay=0.01"));
        ComputationGraph graph = BertGraphBuilder.maskedLm(config, SYMBOLS + 4, DataType.FLOAT);
        BatchPlan plan = MlmBatches.plan(1, CONTEXT, 16, 1, stream.length);
        BatchSource batches = new MlmBatches(new ArrayTokenSource(stream), new MlmMasking(0.15, 1, specials),
                specials, CONTEXT).planned(plan);
        double tail = 0;
        for (int step = 0; step < steps; step++) {
            graph.fit(batches.batch(step, 0));
            if (step >= steps - 50) {
                tail += graph.score() / 50;
            }
        }
        double uniform = Math.log(SYMBOLS);
        assertTrue(tail < 0.25 * uniform, "mean masked-token loss of the last 50 steps " + tail
                + " is not far below ln " + SYMBOLS + " = " + uniform);
    }
}
