package io.sparkformer.job.train;

import io.sparkformer.config.TrainConfig;

import java.util.function.Supplier;

/**
 * {@code train.onNonFinite = skip} that never recovers. A skipped round restores the parameters
 * from before it and moves on to the next batches; when the parameters themselves are bad, or the
 * learning rate makes every step diverge, every round is skipped and the run would "finish" having
 * learnt nothing. The rule: the run fails (exit 1) once {@code train.maxSkippedSteps} consecutive
 * steps have been skipped without a finite round in between. Rounds are skipped whole, so the count
 * grows by a round's length; a finite round resets it. Under {@code stop} the first non-finite round
 * already stops the run, and this class does nothing.
 */
public final class NonFiniteSkips {
    private final boolean active;
    private final int maxSkippedSteps;
    private long firstSkipped = -1;   // first step of the current run of skipped rounds; -1: none
    private long skipped;

    public NonFiniteSkips(TrainConfig train) {
        this.active = train.onNonFinite() == TrainConfig.NonFinitePolicy.SKIP;
        this.maxSkippedSteps = train.maxSkippedSteps();
    }

    /**
     * Records the round of steps {@code first..last}.
     *
     * @param finite         whether the round's loss and every worker's parameters stayed finite
     * @param lastCheckpoint the name of the newest good checkpoint, asked only when the run fails
     * @throws NonFiniteLossException when this round makes {@code train.maxSkippedSteps} consecutive skipped steps
     */
    public void afterRound(long first, long last, boolean finite, Supplier<String> lastCheckpoint) {
        if (!active) {
            return;
        }
        if (finite) {
            firstSkipped = -1;
            skipped = 0;
            return;
        }
        if (firstSkipped < 0) {
            firstSkipped = first;
        }
        skipped += last - first + 1;
        if (skipped >= maxSkippedSteps) {
            throw new NonFiniteLossException("train.onNonFinite = skip did not recover: every round of steps "
                    + firstSkipped + "-" + last + " was non-finite and skipped (" + skipped + " steps,"
                    + " train.maxSkippedSteps = " + maxSkippedSteps + "); the last good checkpoint is "
                    + lastCheckpoint.get());
        }
    }
}
