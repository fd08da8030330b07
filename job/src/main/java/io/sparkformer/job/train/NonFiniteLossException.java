package io.sparkformer.job.train;

/** Training diverged; the last good checkpoint stays the run's LATEST. */
public class NonFiniteLossException extends RuntimeException {
    public NonFiniteLossException(String message) {
        super(message);
    }
}
