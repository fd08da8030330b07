package io.sparkformer.data;

import org.nd4j.linalg.dataset.DataSet;

import java.io.Serializable;

/**
 * The minibatch one worker trains on at one optimizer step, as a pure function of (step, worker):
 * what a Spark averaging round builds on the executors, and what makes a resumed run replay the
 * batches of an uninterrupted one. Serializable, as it travels to the executors.
 */
@FunctionalInterface
public interface BatchSource extends Serializable {
    DataSet batch(long step, int worker);
}
