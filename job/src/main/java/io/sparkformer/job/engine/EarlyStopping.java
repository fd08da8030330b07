package io.sparkformer.job.engine;

/**
 * Early stopping on a validation score where higher is better (accuracy): training stops once
 * {@code patience} evaluations in a row failed to beat the best score so far (a tie is no gain).
 */
public final class EarlyStopping {
    private final int patience;
    private double best = Double.NEGATIVE_INFINITY;
    private long bestStep = -1;
    private int stale;

    public EarlyStopping(int patience) {
        if (patience < 1) {
            throw new IllegalArgumentException("patience must be >= 1, got " + patience);
        }
        this.patience = patience;
    }

    /** Records the score at {@code step}; true when it is the best so far (the one to keep). */
    public boolean record(long step, double score) {
        if (score > best) {
            best = score;
            bestStep = step;
            stale = 0;
            return true;
        }
        stale++;
        return false;
    }

    public boolean shouldStop() {
        return stale >= patience;
    }

    public double best() {
        return best;
    }

    public long bestStep() {
        return bestStep;
    }
}
