package io.sparkformer.job.train;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.api.TrainingHook;
import org.nd4j.linalg.dataset.api.DataSet;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts each worker's model at the global step before every minibatch. DL4J 1.0.0-M2's
 * {@code ComputationGraphConfiguration.clone()} drops the iteration count, so a worker built from
 * the broadcast configuration starts every round at iteration 0 and the learning-rate schedule
 * (and Adam's bias correction) would restart each round. Found by SparkEquivalenceTest.
 */
final class GlobalStepHook implements TrainingHook {
    private static final Logger LOG = LoggerFactory.getLogger(GlobalStepHook.class);
    private long firstStep;
    private int seen;

    /** Set on the driver before a round; each task receives its own copy with {@code seen == 0}. */
    void startRound(long step) {
        this.firstStep = step;
        this.seen = 0;
    }

    private void align(Model model) {
        if (model instanceof ComputationGraph g) {
            g.getConfiguration().setIterationCount(Math.toIntExact(firstStep + seen));
        }
        if (LOG.isDebugEnabled()) {
            // Where each step runs; ExecutorLossIT kills an executor on this line.
            LOG.debug("step {} starts in pid {}", firstStep + seen + 1, ProcessHandle.current().pid());
        }
        seen++;
    }

    @Override
    public void preUpdate(DataSet minibatch, Model model) {
        align(model);
    }

    @Override
    public void preUpdate(MultiDataSet minibatch, Model model) {
        align(model);
    }

    @Override
    public void postUpdate(DataSet minibatch, Model model) {
        // nothing after the update
    }

    @Override
    public void postUpdate(MultiDataSet minibatch, Model model) {
        // nothing after the update
    }
}
