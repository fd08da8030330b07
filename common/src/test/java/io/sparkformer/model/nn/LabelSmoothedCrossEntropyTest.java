package io.sparkformer.model.nn;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Label-smoothed cross-entropy against values worked out by hand. */
class LabelSmoothedCrossEntropyTest {

    @Test
    void lossMatchesAHandComputedValue() {
        // logits [0, ln 2, ln 3] -> p = [1/6, 2/6, 3/6]; label 2; eps = 0.3, V = 3:
        // q = [0.1, 0.1, 0.8]; loss = -(0.1 ln(1/6) + 0.1 ln(1/3) + 0.8 ln(1/2)).
        INDArray logits = Nd4j.createFromArray(new double[][] {{0, Math.log(2), Math.log(3)}});
        double expected = -(0.1 * Math.log(1.0 / 6) + 0.1 * Math.log(1.0 / 3) + 0.8 * Math.log(0.5));
        var r = LabelSmoothedCrossEntropy.compute(logits, new int[] {2}, null, 0.3, true);
        assertEquals(expected, r.loss(), 1e-12);
        assertEquals(0.843555, r.loss(), 1e-6);
        // Gradient p - q.
        assertArrayEquals(new double[] {1.0 / 6 - 0.1, 2.0 / 6 - 0.1, 0.5 - 0.8}, r.dLogits().toDoubleVector(), 1e-12);
    }

    @Test
    void paddedRowsCarryNoLossAndNoGradient() {
        INDArray logits = Nd4j.createFromArray(new double[][] {{0, Math.log(2), Math.log(3)}, {5, -1, 2}});
        double alone = LabelSmoothedCrossEntropy.compute(logits.getRow(0, true), new int[] {2}, null, 0.3, true).loss();
        var r = LabelSmoothedCrossEntropy.compute(logits, new int[] {2, 0}, new double[] {1, 0}, 0.3, true);
        assertEquals(alone, r.loss(), 1e-12);
        assertArrayEquals(new double[] {0, 0, 0}, r.dLogits().getRow(1).toDoubleVector(), 0.0);
    }

    @Test
    void withoutSmoothingItIsPlainCrossEntropy() {
        INDArray logits = Nd4j.rand(DataType.DOUBLE, 4, 7).muli(3);
        int[] labels = {1, 6, 0, 3};
        double[] weights = {1, 1, 0, 1};
        var plain = SparseCrossEntropy.compute(logits, labels, weights, true);
        var smoothed = LabelSmoothedCrossEntropy.compute(logits, labels, weights, 0.0, true);
        assertEquals(plain.loss(), smoothed.loss(), 1e-12);
        assertEquals(0.0, plain.dLogits().sub(smoothed.dLogits()).amaxNumber().doubleValue(), 1e-12);
    }
}
