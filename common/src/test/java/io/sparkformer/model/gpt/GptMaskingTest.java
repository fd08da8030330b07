package io.sparkformer.model.gpt;

import io.sparkformer.model.Architecture;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.NoOp;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Causality and padding, checked on the network's outputs. */
class GptMaskingTest {
    private static ComputationGraph net() {
        GptSpec spec = new GptSpec(11, 8, Architecture.preNorm(16, 4, 2, 32, false, false, 1e-5, 0.0), true);
        ComputationGraph g = GptGraphBuilder.build(spec, new NoOp(), List.of(), 0, 5, DataType.FLOAT);
        g.params().muli(5);   // sharper attention than at init, so leaks would show
        return g;
    }

    private static INDArray ids(double[][] rows) {
        return Nd4j.createFromArray(rows).castTo(DataType.FLOAT);
    }

    @Test
    void causalMaskIgnoresFutureTokens() {
        ComputationGraph net = net();
        INDArray a = ids(new double[][] {{1, 2, 3, 4, 5, 6, 7, 8}});
        for (int t = 0; t < 7; t++) {
            INDArray b = a.dup();
            for (int u = t + 1; u < 8; u++) {
                b.putScalar(0, u, (a.getDouble(0, u) + 3) % 11);
            }
            INDArray outA = net.outputSingle(a);
            INDArray outB = net.outputSingle(b);
            INDArray pastA = outA.get(NDArrayIndex.all(), NDArrayIndex.interval(0, t + 1), NDArrayIndex.all());
            INDArray pastB = outB.get(NDArrayIndex.all(), NDArrayIndex.interval(0, t + 1), NDArrayIndex.all());
            assertTrue(pastA.equalsWithEps(pastB, 1e-6), "positions <= " + t + " changed");
            // The future did change: the test would notice a model that ignores its input.
            assertNotEquals(0.0, outA.sub(outB).amaxNumber().doubleValue(), 1e-6);
        }
    }

    @Test
    void paddedTokensNeverChangeRealPositions() {
        ComputationGraph net = net();
        // Left padding (positions 0-2 of row 0) is the case causality alone does not cover.
        INDArray mask = Nd4j.createFromArray(new float[][] {{0, 0, 0, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 1, 1, 1, 1}});
        INDArray a = ids(new double[][] {{0, 0, 0, 4, 5, 6, 7, 8}, {1, 2, 3, 4, 5, 6, 7, 8}});
        INDArray b = ids(new double[][] {{9, 3, 7, 4, 5, 6, 7, 8}, {1, 2, 3, 4, 5, 6, 7, 8}});
        INDArray outA = net.output(false, new INDArray[] {a}, new INDArray[] {mask})[0];
        INDArray outB = net.output(false, new INDArray[] {b}, new INDArray[] {mask})[0];
        INDArray realA = outA.get(NDArrayIndex.point(0), NDArrayIndex.interval(3, 8), NDArrayIndex.all());
        INDArray realB = outB.get(NDArrayIndex.point(0), NDArrayIndex.interval(3, 8), NDArrayIndex.all());
        assertTrue(realA.equalsWithEps(realB, 1e-6), "padding leaked into real positions");
        // Without the mask the same change does leak, so the mask is what protects them.
        INDArray leakA = net.outputSingle(a).get(NDArrayIndex.point(0), NDArrayIndex.interval(3, 8), NDArrayIndex.all());
        INDArray leakB = net.outputSingle(b).get(NDArrayIndex.point(0), NDArrayIndex.interval(3, 8), NDArrayIndex.all());
        assertTrue(leakA.sub(leakB).amaxNumber().doubleValue() > 1e-4);
        assertEquals(outA.get(NDArrayIndex.point(1)), outB.get(NDArrayIndex.point(1)));
    }
}
