package io.sparkformer.train;

import io.sparkformer.config.FinetuneConfig;
import io.sparkformer.data.LabeledExamples;
import io.sparkformer.model.Architecture;
import io.sparkformer.model.bert.BertGraphBuilder;
import io.sparkformer.model.bert.BertSpec;
import io.sparkformer.model.layer.WholeModelGraph;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class ClassifierEvaluatorTest {
    private static final int PAD = 0;

    /** Batched in length order, each example's probabilities are its own (alone, unpadded), in table order. */
    @Test
    void lengthOrderedBatchesGiveEachExampleItsOwnProbabilitiesInTableOrder() {
        BertSpec spec = new BertSpec(11, 12, Architecture.preNorm(16, 4, 2, 32, false, false, 1e-5, 0.0));
        ComputationGraph net = BertGraphBuilder.classifier(spec, 3, FinetuneConfig.Pooling.MEAN,
                new WholeModelGraph.Optimizer(new NoOp(), List.of(), 0), 5, DataType.FLOAT);
        net.params().muli(3);   // sharper than at init, so a mix-up of rows would show
        Random random = new Random(1);
        int n = 23;
        int[][] tokens = new int[n][];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            tokens[i] = random.ints(2 + random.nextInt(10), 1, 11).toArray();   // lengths 2..11, unsorted
            labels[i] = i % 3;
        }
        LabeledExamples examples = new LabeledExamples(tokens, labels, 0);
        double[][] batched = ClassifierEvaluator.probabilities(net, examples, 4, PAD);
        assertEquals(n, batched.length);
        for (int i = 0; i < n; i++) {
            INDArray alone = net.outputSingle(Nd4j.createFromArray(new int[][] {tokens[i]}).castTo(DataType.FLOAT));
            assertArrayEquals(alone.getRow(0).toDoubleVector(), batched[i], 1e-5, "example " + i);
        }
        ClassificationMetrics m = ClassifierEvaluator.evaluate(net, examples, List.of("a", "b", "c"), 4, PAD);
        double loss = 0;
        for (int i = 0; i < n; i++) {
            loss -= Math.log(batched[i][labels[i]]) / n;
        }
        assertEquals(loss, m.loss(), 1e-9, "the loss reads each example's own label");
    }
}
