package io.sparkformer.train;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Metrics against values computed by hand (and matching scikit-learn's classification_report). */
class ClassificationMetricsTest {
    private static final double EPS = 1e-12;

    /**
     * 10 examples, 3 classes. Truth:  a a a a b b b c c c; predicted: a a b c b b a c c a.
     * Confusion (rows true a,b,c; columns predicted):
     * a: 2 1 1 / b: 1 2 0 / c: 1 0 2.
     */
    private static ClassificationMetrics threeClasses() {
        int[] truth = {0, 0, 0, 0, 1, 1, 1, 2, 2, 2};
        int[] predicted = {0, 0, 1, 2, 1, 1, 0, 2, 2, 0};
        return ClassificationMetrics.of(List.of("a", "b", "c"), truth, predicted, 0.5);
    }

    @Test
    void confusionMatrixAndAccuracy() {
        ClassificationMetrics m = threeClasses();
        assertArrayEquals(new long[] {2, 1, 1}, m.confusion()[0]);
        assertArrayEquals(new long[] {1, 2, 0}, m.confusion()[1]);
        assertArrayEquals(new long[] {1, 0, 2}, m.confusion()[2]);
        assertEquals(10, m.examples());
        assertEquals(0.6, m.accuracy(), EPS);
    }

    @Test
    void perClassAndMacroPrecisionRecallF1() {
        ClassificationMetrics m = threeClasses();
        // a: predicted 4 (2 right), actual 4 -> P 1/2, R 1/2, F1 1/2
        // b: predicted 3 (2 right), actual 3 -> P 2/3, R 2/3, F1 2/3
        // c: predicted 3 (2 right), actual 3 -> P 2/3, R 2/3, F1 2/3
        assertEquals(0.5, m.precision(0), EPS);
        assertEquals(0.5, m.recall(0), EPS);
        assertEquals(0.5, m.f1(0), EPS);
        assertEquals(2.0 / 3, m.precision(1), EPS);
        assertEquals(2.0 / 3, m.recall(2), EPS);
        assertEquals((0.5 + 2.0 / 3 + 2.0 / 3) / 3, m.macroPrecision(), EPS);
        assertEquals((0.5 + 2.0 / 3 + 2.0 / 3) / 3, m.macroF1(), EPS);
    }

    @Test
    void binaryWithUnequalPrecisionAndRecall() {
        // truth 1 1 1 1 0 0 0 0 0 0, predicted 1 1 1 0 1 1 0 0 0 0: TP 3, FN 1, FP 2, TN 4
        int[] truth = {1, 1, 1, 1, 0, 0, 0, 0, 0, 0};
        int[] predicted = {1, 1, 1, 0, 1, 1, 0, 0, 0, 0};
        ClassificationMetrics m = ClassificationMetrics.of(List.of("0", "1"), truth, predicted, 0);
        assertEquals(0.7, m.accuracy(), EPS);
        assertEquals(3.0 / 5, m.precision(1), EPS);
        assertEquals(3.0 / 4, m.recall(1), EPS);
        assertEquals(2 * 0.6 * 0.75 / 1.35, m.f1(1), EPS);
        assertEquals(4.0 / 5, m.precision(0), EPS);
        assertEquals(4.0 / 6, m.recall(0), EPS);
        assertEquals(6, m.support(0));
    }

    @Test
    void aClassNeverPredictedHasZeroPrecisionNotNaN() {
        ClassificationMetrics m = ClassificationMetrics.of(List.of("x", "y"), new int[] {0, 1, 1}, new int[] {0, 0, 0}, 0);
        assertEquals(0.0, m.precision(1));
        assertEquals(0.0, m.f1(1));
        assertEquals(1.0 / 3, m.accuracy(), EPS);
    }

    @Test
    void jsonNamesEveryMetric() {
        ObjectNode json = threeClasses().toJson();
        assertEquals(0.6, json.get("accuracy").asDouble(), EPS);
        assertEquals(0.5, json.get("loss").asDouble(), EPS);
        assertEquals(10, json.get("examples").asLong());
        assertEquals(2.0 / 3, json.at("/classes/b/recall").asDouble(), EPS);
        assertEquals(4, json.at("/classes/a/support").asLong());
        assertEquals(threeClasses().macroRecall(), json.at("/macro/recall").asDouble(), EPS);
        assertEquals("[\"a\",\"b\",\"c\"]", json.at("/confusion/labels").toString());
        assertEquals("[[2,1,1],[1,2,0],[1,0,2]]", json.at("/confusion/matrix").toString());
    }
}
