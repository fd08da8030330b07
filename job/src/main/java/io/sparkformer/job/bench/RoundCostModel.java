package io.sparkformer.job.bench;

import io.sparkformer.job.spark.TreeAggregation;

import java.util.List;

/**
 * Time of one parameter-averaging round on E executors, from three rates: compute (FLOP/s of one
 * executor on a training step), the CPU cost of handling a byte of the replicated state (serializing,
 * copying into and out of Spark's buffers, deserializing, summing: what a round costs besides compute
 * when the network is free, as on one machine), and the network bandwidth of one node.
 *
 * <p>A round of f steps, with S = 12 bytes per parameter of state (float parameters and Adam's two
 * moments), which is both what is broadcast and what each worker returns:
 * <ul>
 *   <li>compute: f x FLOPs per step / executor FLOP/s (each executor its own batches, no waiting);</li>
 *   <li>broadcast: the driver serializes S once, each executor receives and deserializes S; Spark's
 *       torrent broadcast spreads blocks between executors, so it is taken as S over one NIC whatever E
 *       (an assumption: pipelined, no contention);</li>
 *   <li>tree aggregation ({@link TreeAggregation}, DL4J's depth 2): each executor serializes S; at each
 *       shuffle level a reducer fetches and sums its fan-in of results and serializes the sum; the driver
 *       then receives the remaining R results one after the other through its NIC
 *       ({@code spark.resultGetter.threads = 1}) and sums them;</li>
 *   <li>driver averaging: dividing and copying the sums into the model, counted as two handlings of S.</li>
 * </ul>
 * On the critical path the handled bytes are (3 + 2 + sum over levels (fan-in + 1) + R) x S and the
 * network bytes (1 + sum over levels fan-in + R) x S.
 */
public record RoundCostModel(double executorFlopsPerSecond, double secondsPerHandledByte, double networkBytesPerSecond) {

    public RoundCostModel {
        if (!(executorFlopsPerSecond > 0) || !(secondsPerHandledByte >= 0) || !(networkBytesPerSecond > 0)) {
            throw new IllegalArgumentException("rates must be positive: " + executorFlopsPerSecond + ", "
                    + secondsPerHandledByte + ", " + networkBytesPerSecond);
        }
    }

    /** The parts of one round, in seconds. */
    public record Round(double compute, double broadcast, double aggregation, double averaging) {
        public double total() {
            return compute + broadcast + aggregation + averaging;
        }

        /** Throughput of E executors over E times one executor's throughput without communication. */
        public double efficiency() {
            return compute / total();
        }
    }

    /**
     * @param stateBytes  what is broadcast and returned per worker (12 bytes a parameter with Adam)
     * @param flopsPerStep one executor's training FLOPs per step
     * @param steps        steps per round (the averaging frequency)
     * @param executors    workers, one per executor
     */
    public Round round(long stateBytes, double flopsPerStep, int steps, int executors) {
        double s = stateBytes;
        double compute = steps * flopsPerStep / executorFlopsPerSecond;
        double broadcast = 2 * s * secondsPerHandledByte + s / networkBytesPerSecond;
        double handled = s;                            // each executor serializes its result
        double network = 0;
        int n = executors;
        for (int next : TreeAggregation.levels(executors, TreeAggregation.DL4J_DEPTH)) {
            double fanIn = Math.ceil((double) n / next);
            handled += (fanIn + 1) * s;                // fetch + deserialize + sum fan-in results, serialize the sum
            network += fanIn * s;
            n = next;
        }
        handled += n * s;                              // the driver deserializes and sums R results
        network += n * s;
        double aggregation = handled * secondsPerHandledByte + network / networkBytesPerSecond;
        double averaging = 2 * s * secondsPerHandledByte;
        return new Round(compute, broadcast, aggregation, averaging);
    }

    /**
     * The per-byte cost that makes the model reproduce a measured round on {@code executors} executors
     * of one machine (network taken as free there): (round - compute) / handled bytes.
     */
    public static double secondsPerHandledByte(double roundSeconds, double computeSeconds, long stateBytes,
                                               int executors) {
        RoundCostModel unit = new RoundCostModel(1, 1, Double.POSITIVE_INFINITY);
        Round r = unit.round(stateBytes, 0, 0, executors);
        return (roundSeconds - computeSeconds) / (r.broadcast() + r.aggregation() + r.averaging());
    }

    /** Executor counts the README prints. */
    public static final List<Integer> README_EXECUTORS = List.of(8, 16, 64);
}
