package io.sparkformer.model.nn;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The sigmoid form of the GELU is GPT-2's tanh formula, and its backward is its derivative. */
class GeluTest {
    private static final double K = Math.sqrt(2 / Math.PI);

    private static double tanhGelu(double x) {
        return 0.5 * x * (1 + Math.tanh(K * (x + 0.044715 * x * x * x)));
    }

    @Test
    void forwardIsTheTanhApproximation() {
        double[] xs = {-8, -3.5, -1, -0.25, 0, 1e-3, 0.5, 1.7, 4, 9};
        INDArray x = Nd4j.createFromArray(xs).reshape(2, 5);
        INDArray y = Gelu.forward(x, new INDArray[1]);
        for (int i = 0; i < xs.length; i++) {
            assertEquals(tanhGelu(xs[i]), y.getDouble(i / 5, i % 5), 1e-12, "gelu(" + xs[i] + ")");
        }
    }

    @Test
    void backwardIsTheCentralDifference() {
        INDArray x = Nd4j.randn(DataType.DOUBLE, 4, 6).muli(2);
        INDArray dy = Nd4j.randn(DataType.DOUBLE, 4, 6);
        INDArray[] s = new INDArray[1];
        Gelu.forward(x, s);
        INDArray dx = Gelu.backward(x, s[0], dy);
        double h = 1e-6;
        for (int r = 0; r < 4; r++) {
            for (int c = 0; c < 6; c++) {
                double v = x.getDouble(r, c);
                double numeric = (tanhGelu(v + h) - tanhGelu(v - h)) / (2 * h) * dy.getDouble(r, c);
                assertEquals(numeric, dx.getDouble(r, c), 1e-8, "d gelu at " + v);
            }
        }
    }
}
