package io.sparkformer.job.train;

import io.sparkformer.data.BatchSource;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.nd4j.linalg.dataset.DataSet;

/**
 * A batch source that holds its data (encoded labeled examples, say) sent to each executor once as a
 * Spark broadcast, instead of inside every round's task closure.
 */
public final class BroadcastBatches implements BatchSource {
    private final Broadcast<BatchSource> broadcast;

    private BroadcastBatches(Broadcast<BatchSource> broadcast) {
        this.broadcast = broadcast;
    }

    public static BatchSource of(JavaSparkContext sc, BatchSource batches) {
        return new BroadcastBatches(sc.broadcast(batches));
    }

    @Override
    public DataSet batch(long step, int worker) {
        return broadcast.value().batch(step, worker);
    }
}
