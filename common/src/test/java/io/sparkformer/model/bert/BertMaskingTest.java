package io.sparkformer.model.bert;

import io.sparkformer.config.FinetuneConfig;
import io.sparkformer.model.Architecture;
import io.sparkformer.model.layer.WholeModelGraph;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.NoOp;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Padding in the bidirectional encoder, checked on the outputs of both heads. */
class BertMaskingTest {
    private static final BertSpec SPEC = new BertSpec(11, 8, Architecture.preNorm(16, 4, 2, 32, false, false, 1e-5, 0.0));
    private static final WholeModelGraph.Optimizer NONE = new WholeModelGraph.Optimizer(new NoOp(), List.of(), 0);

    private static ComputationGraph sharpened(ComputationGraph g) {
        g.params().muli(5);   // sharper attention than at init, so leaks would show
        return g;
    }

    private static INDArray ids(double[][] rows) {
        return Nd4j.createFromArray(rows).castTo(DataType.FLOAT);
    }

    private static final INDArray MASK = Nd4j.createFromArray(new float[][] {{1, 1, 1, 1, 1, 0, 0, 0},
            {1, 1, 1, 1, 1, 1, 1, 1}});
    private static final INDArray A = ids(new double[][] {{1, 2, 3, 4, 5, 0, 0, 0}, {1, 2, 3, 4, 5, 6, 7, 8}});
    private static final INDArray B = ids(new double[][] {{1, 2, 3, 4, 5, 9, 3, 7}, {1, 2, 3, 4, 5, 6, 7, 8}});

    @Test
    void paddedTokensNeverChangeRealPositionsOfTheMaskedLm() {
        ComputationGraph net = sharpened(BertGraphBuilder.maskedLm(SPEC, NONE, 5, DataType.FLOAT));
        INDArray outA = net.output(false, new INDArray[] {A}, new INDArray[] {MASK})[0];
        INDArray outB = net.output(false, new INDArray[] {B}, new INDArray[] {MASK})[0];
        INDArray realA = outA.get(NDArrayIndex.point(0), NDArrayIndex.interval(0, 5), NDArrayIndex.all());
        INDArray realB = outB.get(NDArrayIndex.point(0), NDArrayIndex.interval(0, 5), NDArrayIndex.all());
        assertTrue(realA.equalsWithEps(realB, 1e-6), "padding leaked into real positions");
        // Without the mask the same change does leak (attention is bidirectional), so the mask is what protects them.
        INDArray leakA = net.outputSingle(A).get(NDArrayIndex.point(0), NDArrayIndex.interval(0, 5), NDArrayIndex.all());
        INDArray leakB = net.outputSingle(B).get(NDArrayIndex.point(0), NDArrayIndex.interval(0, 5), NDArrayIndex.all());
        assertTrue(leakA.sub(leakB).amaxNumber().doubleValue() > 1e-4);
        assertEquals(outA.get(NDArrayIndex.point(1)), outB.get(NDArrayIndex.point(1)));
    }

    @ParameterizedTest
    @EnumSource(FinetuneConfig.Pooling.class)
    void paddedClassificationEqualsTheUnpaddedSequenceAlone(FinetuneConfig.Pooling pooling) {
        ComputationGraph net = sharpened(BertGraphBuilder.classifier(SPEC, 3, pooling, NONE, 5, DataType.FLOAT));
        INDArray padded = net.output(false, new INDArray[] {B}, new INDArray[] {MASK})[0];     // [2, 3]
        INDArray alone = net.outputSingle(ids(new double[][] {{1, 2, 3, 4, 5}}));              // [1, 3]
        assertTrue(padded.getRow(0).equalsWithEps(alone.getRow(0), 1e-6),
                "padded " + padded.getRow(0) + " vs alone " + alone.getRow(0));
        assertEquals(1.0, padded.getRow(1).sumNumber().doubleValue(), 1e-5, "probabilities sum to 1");
        INDArray unmasked = net.outputSingle(B);
        assertTrue(unmasked.getRow(0).sub(alone.getRow(0)).amaxNumber().doubleValue() > 1e-5,
                "without the mask the padding tokens do change the class");
    }
}
