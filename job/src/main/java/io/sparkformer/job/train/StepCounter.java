package io.sparkformer.job.train;

import org.apache.spark.util.LongAccumulator;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.spark.api.TrainingHook;
import org.nd4j.linalg.dataset.api.DataSet;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * Counts the steps each worker has finished in a Spark accumulator. A task's accumulator value
 * reaches the driver's listeners with every executor heartbeat ({@code spark.executor.heartbeatInterval},
 * 10 s by default) while the task still runs, which is what lets {@link RoundProgress} report steps
 * inside a round that lasts minutes.
 */
final class StepCounter implements TrainingHook {
    private final LongAccumulator steps;

    StepCounter(LongAccumulator steps) {
        this.steps = steps;
    }

    /** The accumulator's id, as heartbeats name it. */
    long accumulatorId() {
        return steps.id();
    }

    @Override
    public void preUpdate(DataSet minibatch, Model model) {
        // counted after the update
    }

    @Override
    public void preUpdate(MultiDataSet minibatch, Model model) {
        // counted after the update
    }

    @Override
    public void postUpdate(DataSet minibatch, Model model) {
        steps.add(1);
    }

    @Override
    public void postUpdate(MultiDataSet minibatch, Model model) {
        steps.add(1);
    }
}
