package io.sparkformer.model.nn;

import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleSupplier;

/**
 * Central-difference gradient check over named parameter views, the same method as DL4J's
 * GradientCheckUtil, for components that are not (yet) DL4J layers. Double precision only.
 */
public final class NumericGradient {
    private NumericGradient() {
    }

    /** Returns one line per element whose analytic and numeric gradients disagree. */
    public static List<String> mismatches(Map<String, INDArray> params, Map<String, INDArray> analytic,
                                          DoubleSupplier loss, double eps, double maxRelError, double minAbsError) {
        List<String> bad = new ArrayList<>();
        for (Map.Entry<String, INDArray> e : params.entrySet()) {
            INDArray p = e.getValue().reshape(e.getValue().length());
            INDArray g = analytic.get(e.getKey()).reshape(e.getValue().length());
            for (long i = 0; i < p.length(); i++) {
                double orig = p.getDouble(i);
                p.putScalar(i, orig + eps);
                double plus = loss.getAsDouble();
                p.putScalar(i, orig - eps);
                double minus = loss.getAsDouble();
                p.putScalar(i, orig);
                double numeric = (plus - minus) / (2 * eps);
                double a = g.getDouble(i);
                double abs = Math.abs(a - numeric);
                double rel = abs / Math.max(Math.abs(a) + Math.abs(numeric), 1e-300);
                if (abs > minAbsError && rel > maxRelError) {
                    bad.add(e.getKey() + "[" + i + "] analytic=" + a + " numeric=" + numeric);
                }
            }
        }
        return bad;
    }
}
