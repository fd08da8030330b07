package io.sparkformer.train;

import io.sparkformer.data.ExampleBatches;
import io.sparkformer.data.LabeledExamples;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

import java.util.List;

/** Runs a classifier graph (probabilities out, [B, K]) over labeled examples, without dropout. */
public final class ClassifierEvaluator {
    private ClassifierEvaluator() {
    }

    /** Class probabilities [N][K] of every example, in table order (computed in batches of similar length). */
    public static double[][] probabilities(ComputationGraph graph, LabeledExamples examples, int batchSize, int pad) {
        double[][] out = new double[examples.size()][];
        for (int[] indices : ExampleBatches.byLength(examples, batchSize)) {
            DataSet batch = ExampleBatches.of(examples, indices, pad);
            INDArray p = graph.output(false, new INDArray[] {batch.getFeatures()},
                    new INDArray[] {batch.getFeaturesMaskArray()})[0].castTo(DataType.DOUBLE);
            for (int b = 0; b < indices.length; b++) {
                out[indices[b]] = p.getRow(b).toDoubleVector();
            }
        }
        return out;
    }

    /** Loss (mean cross-entropy, nats), accuracy, precision, recall, F1 and the confusion matrix. */
    public static ClassificationMetrics evaluate(ComputationGraph graph, LabeledExamples examples, List<String> labels,
                                                 int batchSize, int pad) {
        double[][] p = probabilities(graph, examples, batchSize, pad);
        int[] predicted = new int[p.length];
        double loss = 0;
        for (int i = 0; i < p.length; i++) {
            predicted[i] = argmax(p[i]);
            loss -= Math.log(Math.max(p[i][examples.labels()[i]], Double.MIN_NORMAL));
        }
        return ClassificationMetrics.of(labels, examples.labels(), predicted, loss / Math.max(1, p.length));
    }

    public static int argmax(double[] values) {
        int best = 0;
        for (int k = 1; k < values.length; k++) {
            if (values[k] > values[best]) {
                best = k;
            }
        }
        return best;
    }
}
