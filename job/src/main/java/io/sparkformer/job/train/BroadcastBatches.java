package io.sparkformer.job.train;

import io.sparkformer.data.BatchSource;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.nd4j.linalg.dataset.DataSet;

/**
 * A batch source sent to each executor once, as a Spark broadcast, instead of inside every round's
 * task closure: a source holds its data reference with a Hadoop configuration, or all its encoded
 * examples, and re-serialising that for every task of every round cost ~30 ms per round (baby GPT,
 * averaging every step). Executors deserialise the broadcast once (through the source's own Java
 * serialization, see NdArrayKryoRegistrator) and keep it in their block manager.
 */
final class BroadcastBatches implements BatchSource {
    private final Broadcast<BatchSource> broadcast;

    private BroadcastBatches(Broadcast<BatchSource> broadcast) {
        this.broadcast = broadcast;
    }

    static BatchSource of(JavaSparkContext sc, BatchSource batches) {
        return batches instanceof BroadcastBatches ? batches : new BroadcastBatches(sc.broadcast(batches));
    }

    @Override
    public DataSet batch(long step, int worker) {
        return broadcast.value().batch(step, worker);
    }
}
