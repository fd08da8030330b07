package io.sparkformer.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;

/**
 * Classification quality from a confusion matrix (rows: true class, columns: predicted class), with
 * the mean cross-entropy beside it. Per class: precision = TP / predicted, recall = TP / actual,
 * F1 = their harmonic mean; a ratio with nothing to divide by is 0 (scikit-learn's
 * {@code zero_division=0}). Macro averages are the plain means over classes.
 */
public record ClassificationMetrics(List<String> labels, long[][] confusion, double loss) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public ClassificationMetrics {
        labels = List.copyOf(labels);
        if (confusion.length != labels.size()) {
            throw new IllegalArgumentException("confusion matrix has " + confusion.length + " rows for "
                    + labels.size() + " labels");
        }
    }

    /** Metrics of predictions against the truth (class indices). */
    public static ClassificationMetrics of(List<String> labels, int[] truth, int[] predicted, double loss) {
        if (truth.length != predicted.length) {
            throw new IllegalArgumentException(truth.length + " true labels but " + predicted.length + " predictions");
        }
        long[][] confusion = new long[labels.size()][labels.size()];
        for (int i = 0; i < truth.length; i++) {
            confusion[truth[i]][predicted[i]]++;
        }
        return new ClassificationMetrics(labels, confusion, loss);
    }

    public long examples() {
        long n = 0;
        for (long[] row : confusion) {
            for (long v : row) {
                n += v;
            }
        }
        return n;
    }

    public double accuracy() {
        long correct = 0;
        for (int k = 0; k < confusion.length; k++) {
            correct += confusion[k][k];
        }
        return ratio(correct, examples());
    }

    public long support(int k) {
        long n = 0;
        for (long v : confusion[k]) {
            n += v;
        }
        return n;
    }

    public double precision(int k) {
        long predicted = 0;
        for (long[] row : confusion) {
            predicted += row[k];
        }
        return ratio(confusion[k][k], predicted);
    }

    public double recall(int k) {
        return ratio(confusion[k][k], support(k));
    }

    public double f1(int k) {
        double p = precision(k);
        double r = recall(k);
        return p + r == 0 ? 0 : 2 * p * r / (p + r);
    }

    public double macroPrecision() {
        double sum = 0;
        for (int k = 0; k < labels.size(); k++) {
            sum += precision(k);
        }
        return sum / labels.size();
    }

    public double macroRecall() {
        double sum = 0;
        for (int k = 0; k < labels.size(); k++) {
            sum += recall(k);
        }
        return sum / labels.size();
    }

    public double macroF1() {
        double sum = 0;
        for (int k = 0; k < labels.size(); k++) {
            sum += f1(k);
        }
        return sum / labels.size();
    }

    private static double ratio(long a, long b) {
        return b == 0 ? 0 : (double) a / b;
    }

    /**
     * {@code {"examples", "loss", "accuracy", "macro": {precision, recall, f1}, "classes": {label:
     * {precision, recall, f1, support}}, "confusion": {"labels": [...], "matrix": [[...]]}}}; matrix
     * rows are true labels, columns predicted ones, both in {@code labels} order.
     */
    public ObjectNode toJson() {
        ObjectNode root = JSON.createObjectNode();
        root.put("examples", examples());
        root.put("loss", loss);
        root.put("accuracy", accuracy());
        ObjectNode macro = root.putObject("macro");
        macro.put("precision", macroPrecision());
        macro.put("recall", macroRecall());
        macro.put("f1", macroF1());
        ObjectNode classes = root.putObject("classes");
        for (int k = 0; k < labels.size(); k++) {
            ObjectNode c = classes.putObject(labels.get(k));
            c.put("precision", precision(k));
            c.put("recall", recall(k));
            c.put("f1", f1(k));
            c.put("support", support(k));
        }
        ObjectNode matrix = root.putObject("confusion");
        ArrayNode names = matrix.putArray("labels");
        labels.forEach(names::add);
        ArrayNode rows = matrix.putArray("matrix");
        for (long[] row : confusion) {
            ArrayNode r = rows.addArray();
            for (long v : row) {
                r.add(v);
            }
        }
        return root;
    }
}
