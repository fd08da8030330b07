package io.sparkformer.data;

import io.sparkformer.InputException;

import java.io.Serializable;
import java.math.BigDecimal;
import java.util.Comparator;
import java.util.List;
import java.util.TreeSet;

/** The class labels of a classifier in output order: label i is output i. */
public record ClassLabels(List<String> values) implements Serializable {

    public ClassLabels {
        values = List.copyOf(values);
        if (values.size() < 2) {
            throw new InputException("a classifier needs at least 2 labels, got " + values);
        }
    }

    /** The distinct labels of training rows, sorted: numerically when all are numbers ("2" before "10"). */
    public static ClassLabels of(List<LabeledTable.Row> rows, String origin) {
        TreeSet<String> distinct = new TreeSet<>();
        rows.forEach(r -> distinct.add(r.label()));
        boolean numeric = distinct.stream().allMatch(ClassLabels::isNumber);
        List<String> sorted = numeric
                ? distinct.stream().sorted(Comparator.comparing(BigDecimal::new)).toList()
                : List.copyOf(distinct);
        if (sorted.size() < 2) {
            throw new InputException(origin + " has a single label value " + sorted + "; a classifier needs at least 2");
        }
        return new ClassLabels(sorted);
    }

    public int size() {
        return values.size();
    }

    public String get(int index) {
        return values.get(index);
    }

    /** The output index of a row's label; a label not among the classifier's is an error naming the row. */
    public int indexOf(LabeledTable.Row row, String origin) {
        int i = values.indexOf(row.label());
        if (i < 0) {
            throw new InputException(origin + " line " + row.line() + ": label '" + row.label()
                    + "' was not seen in training (labels: " + String.join(", ", values) + ")");
        }
        return i;
    }

    private static boolean isNumber(String s) {
        try {
            new BigDecimal(s);
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }
}
