package io.sparkformer.job.engine;

import io.sparkformer.config.TrainConfig;

/**
 * Checkpoints at the end of a round: every {@code train.checkpointEvery} steps and at the last step
 * (rounds are cut there), after the first round that ends {@code train.checkpointEveryMinutes} after
 * the last save (bounding what a SIGKILL loses on a slow model), and when a shutdown was requested.
 * Every round ends on a step the undisturbed run also passes (round boundaries are a function of the
 * step alone), so resuming from any of these checkpoints replays the undisturbed run's rounds.
 */
public final class PeriodicCheckpoints implements CheckpointPolicy {
    private final TrainConfig train;
    private long lastSaveNanos = System.nanoTime();
    private long lastSavedStep;

    public PeriodicCheckpoints(TrainConfig train) {
        this.train = train;
    }

    @Override
    public void start(long step) {
        saved(step);
    }

    @Override
    public long nextCut(long step) {
        return (step / train.checkpointEvery() + 1) * train.checkpointEvery();
    }

    @Override
    public boolean due(long step, boolean stopRequested) {
        if (step == lastSavedStep) {
            return false;
        }
        double minutes = (System.nanoTime() - lastSaveNanos) / 60e9;
        return regular(step) || stopRequested
                || (train.checkpointEveryMinutes() > 0 && minutes >= train.checkpointEveryMinutes());
    }

    @Override
    public String reason(long step, boolean stopRequested) {
        if (regular(step)) {
            return "";
        }
        return stopRequested ? " (shutdown requested)" : " (train.checkpointEveryMinutes = "
                + train.checkpointEveryMinutes() + " passed)";
    }

    @Override
    public void saved(long step) {
        lastSavedStep = step;
        lastSaveNanos = System.nanoTime();
    }

    private boolean regular(long step) {
        return step % train.checkpointEvery() == 0 || step == train.steps();
    }
}
