package io.sparkformer.job.train;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * Axis ticks for people: steps of 1, 2 or 5 x 10^k, labels as short as the step allows ("1.5k",
 * "10k", "2.84", "5e-4"), and as many as fit without touching their neighbours.
 */
final class Ticks {
    /** Pixels kept free between two neighbouring labels. */
    static final double GAP = 10;

    private Ticks() {
    }

    /** Tick values of a step 1, 2 or 5 x 10^k in [min, max], at most about {@code count} intervals. */
    static List<Double> nice(double min, double max, int count) {
        double step = step(min, max, count);
        List<Double> ticks = new ArrayList<>();
        for (long i = (long) Math.ceil(min / step - 1e-9); i * step <= max + step * 1e-9; i++) {
            ticks.add(i * step);
        }
        return ticks;
    }

    static double step(double min, double max, int count) {
        double rough = Math.max(max - min, 1e-12) / Math.max(1, count);
        double magnitude = Math.pow(10, Math.floor(Math.log10(rough)));
        double r = rough / magnitude;
        return (r <= 1 ? 1 : r <= 2 ? 2 : r <= 5 ? 5 : 10) * magnitude;
    }

    /** The label of {@code v} on an axis of tick step {@code step}. */
    static String label(double v, double step) {
        if (Math.abs(v) < step * 1e-6) {
            return "0";
        }
        double a = Math.abs(v);
        if (a >= 1e6 && step >= 1e5) {
            return trim(v / 1e6, step / 1e6) + "M";
        }
        if (a >= 1e3 && step >= 100) {
            return trim(v / 1e3, step / 1e3) + "k";
        }
        if (step < 1e-3) {
            return scientific(v, step);
        }
        return trim(v, step);
    }

    /** {@code v} with just the decimals a step needs, no trailing zeros: 1.5, 2, 0.25. */
    private static String trim(double v, double step) {
        int decimals = Math.max(0, (int) Math.ceil(-Math.log10(step) - 1e-9));
        return new BigDecimal(v).setScale(decimals, RoundingMode.HALF_UP).stripTrailingZeros().toPlainString();
    }

    /** 0.0005 as "5e-4", 0.00015 as "1.5e-4". */
    private static String scientific(double v, double step) {
        int exponent = (int) Math.floor(Math.log10(Math.abs(v)));
        double mantissa = v / Math.pow(10, exponent);
        String m = trim(mantissa, Math.max(step / Math.pow(10, exponent), 0.1));
        return m + "e" + exponent;
    }

    /**
     * The most ticks (from about {@code maxCount} down) whose labels, centred on their pixel, neither
     * touch each other (at least {@link #GAP} apart) nor leave [{@code from}, {@code to}];
     * {@code toPixel} places a value, {@code width} measures a label.
     */
    static List<Double> fitting(double min, double max, int maxCount, ToDoubleFunction<Double> toPixel,
                                ToDoubleFunction<String> width, double from, double to) {
        for (int count = maxCount; count > 1; count--) {
            List<Double> ticks = nice(min, max, count);
            double step = step(min, max, count);
            if (fits(ticks, step, toPixel, width, from, to)) {
                return ticks;
            }
        }
        return nice(min, max, 1);
    }

    private static boolean fits(List<Double> ticks, double step, ToDoubleFunction<Double> toPixel,
                                ToDoubleFunction<String> width, double from, double to) {
        double end = from - GAP;
        for (double t : ticks) {
            double w = width.applyAsDouble(label(t, step));
            double left = toPixel.applyAsDouble(t) - w / 2;
            if (left < end + GAP || left + w > to) {
                return false;
            }
            end = left + w;
        }
        return true;
    }
}
