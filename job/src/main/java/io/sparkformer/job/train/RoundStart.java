package io.sparkformer.job.train;

import io.sparkformer.job.spark.InJvmHandoff;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.deeplearning4j.spark.api.worker.NetBroadcastTuple;

import java.io.Serializable;

/**
 * Where a round's workers find the model state the driver starts the round from (configuration,
 * parameters, updater state): a Spark broadcast, or with a local master the driver's own tuple by
 * reference ({@link InJvmHandoff}), which Spark would otherwise serialize into broadcast pieces that
 * no task in this JVM ever reads.
 */
sealed interface RoundStart extends Serializable {
    /** The driver's state for the round, for {@code sc}'s executors. */
    static RoundStart of(JavaSparkContext sc, NetBroadcastTuple tuple) {
        return sc.isLocal() ? new InDriverJvm(InJvmHandoff.put(tuple)) : new Broadcasted(sc.broadcast(tuple));
    }

    NetBroadcastTuple tuple();

    /** Identifies the round; greater for every later round of the job. */
    long round();

    /** Called on the driver once the round is over. */
    void release();

    record Broadcasted(Broadcast<NetBroadcastTuple> broadcast) implements RoundStart {
        @Override
        public NetBroadcastTuple tuple() {
            return broadcast.getValue();
        }

        @Override
        public long round() {
            return broadcast.id();
        }

        @Override
        public void release() {
            // Now rather than when a driver GC lets Spark's cleaner find it.
            broadcast.unpersist(false);
        }
    }

    record InDriverJvm(long key) implements RoundStart {
        @Override
        public NetBroadcastTuple tuple() {
            return InJvmHandoff.get(key, NetBroadcastTuple.class);
        }

        @Override
        public long round() {
            return key;
        }

        @Override
        public void release() {
            InJvmHandoff.remove(key);
        }
    }
}
