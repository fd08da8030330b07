package io.sparkformer.job.train;

import java.time.Duration;
import java.util.Locale;

/** The one-line progress report: step/steps, losses, throughput and ETA. */
public final class Progress {
    private Progress() {
    }

    public static String line(long step, long steps, double trainLoss, Double valLoss, double tokensPerSecond,
                       Duration elapsed, Duration eta) {
        return String.format(Locale.ROOT, "step %d/%d | loss %.4f | val %s | %,.0f tok/s | elapsed %s | ETA %s",
                step, steps, trainLoss, valLoss == null ? "-" : String.format(Locale.ROOT, "%.4f", valLoss),
                tokensPerSecond, format(elapsed), format(eta));
    }

    public static String format(Duration d) {
        long s = Math.max(0, d.toSeconds());
        if (s >= 3600) {
            return String.format(Locale.ROOT, "%dh%02dm%02ds", s / 3600, (s % 3600) / 60, s % 60);
        }
        if (s >= 60) {
            return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
        }
        return s + "s";
    }
}
