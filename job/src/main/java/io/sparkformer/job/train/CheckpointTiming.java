package io.sparkformer.job.train;

import io.sparkformer.config.TrainConfig;

/**
 * When a training loop writes a checkpoint at the end of a round: every {@code train.checkpointEvery}
 * steps and at the last step (rounds are cut there), after the first round that ends
 * {@code train.checkpointEveryMinutes} after the last save (bounding what a SIGKILL loses on a slow
 * model), and when a shutdown was requested. Every round ends on a step the undisturbed run also
 * passes (round boundaries are a function of the step alone), so resuming from any of these
 * checkpoints replays the undisturbed run's rounds.
 */
public final class CheckpointTiming {
    private final TrainConfig train;
    private final GracefulStop stop;
    private long lastSaveNanos = System.nanoTime();
    private long lastSavedStep;

    public CheckpointTiming(TrainConfig train, GracefulStop stop, long startStep) {
        this.train = train;
        this.stop = stop;
        this.lastSavedStep = startStep;
    }

    /** True when the round that ended at {@code step} should be followed by a checkpoint. */
    public boolean due(long step) {
        if (step == lastSavedStep) {
            return false;
        }
        double minutes = (System.nanoTime() - lastSaveNanos) / 60e9;
        return step % train.checkpointEvery() == 0 || step == train.steps() || stop.requested()
                || (train.checkpointEveryMinutes() > 0 && minutes >= train.checkpointEveryMinutes());
    }

    /** Why {@link #due} holds, for the log line. */
    public String reason(long step) {
        if (step % train.checkpointEvery() == 0 || step == train.steps()) {
            return "";
        }
        return stop.requested() ? " (shutdown requested)" : " (train.checkpointEveryMinutes = "
                + train.checkpointEveryMinutes() + " passed)";
    }

    public void saved(long step) {
        lastSavedStep = step;
        lastSaveNanos = System.nanoTime();
    }

    /** True when the loop should not start another round. */
    public boolean stopRequested() {
        return stop.requested();
    }
}
