package io.sparkformer.job.engine;

/** Ends a run before {@code train.steps}, checked after every evaluation (early stopping). */
public interface StopRule {
    StopRule NEVER = new StopRule() {
        @Override
        public boolean shouldStop() {
            return false;
        }

        @Override
        public String why() {
            return "";
        }
    };

    boolean shouldStop();

    /** For the log line "Early stop at step N: ...". */
    String why();
}
