package io.sparkformer.job.engine;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Keep-best checkpoints with early stopping on one metric where higher is better: a checkpoint
 * follows every evaluation that beats all earlier ones (so the run's {@code LATEST} is always the
 * best model), none on a shutdown (a rerun replays the steps after the best one), and the run stops
 * after {@code patience} evaluations without a gain.
 */
public final class KeepBest implements CheckpointPolicy, StopRule {
    private final String metric;
    private final String description;
    private final EarlyStopping stopping;
    private final int patience;
    private long pendingStep = -1;
    private double keptValLoss = Double.NaN;

    /** @param description the metric as the log names it: "validation accuracy" */
    public KeepBest(String metric, String description, int patience) {
        this.metric = metric;
        this.description = description;
        this.patience = patience;
        this.stopping = new EarlyStopping(patience);
    }

    @Override
    public long nextCut(long step) {
        return Long.MAX_VALUE;
    }

    /** The evaluations up to the resumed (best) checkpoint count towards the patience. */
    @Override
    public void resume(List<ObjectNode> lines) {
        for (ObjectNode line : lines) {
            if (line.has(metric)) {
                stopping.record(line.get("step").asLong(), line.get(metric).asDouble());
            }
        }
    }

    @Override
    public void evaluated(long step, Map<String, Double> metrics) {
        Double score = metrics.get(metric);
        if (score != null && stopping.record(step, score)) {
            pendingStep = step;
            keptValLoss = metrics.getOrDefault("val_loss", Double.NaN);
        }
    }

    @Override
    public boolean due(long step, boolean stopRequested) {
        return step == pendingStep;
    }

    @Override
    public String reason(long step, boolean stopRequested) {
        return " (best " + description + " so far)";
    }

    @Override
    public void saved(long step) {
        pendingStep = -1;
    }

    /** The validation loss of the kept model, not the lowest one seen. */
    @Override
    public double recordedValLoss(double lowestValLoss) {
        return keptValLoss;
    }

    @Override
    public boolean shouldStop() {
        return stopping.shouldStop();
    }

    @Override
    public String why() {
        return "no better " + description + " in " + patience + " evaluations; best " + format(best()) + " at step "
                + bestStep();
    }

    public double best() {
        return stopping.best();
    }

    public long bestStep() {
        return stopping.bestStep();
    }

    public static String format(double score) {
        return String.format(Locale.ROOT, "%.4f", score);
    }
}
