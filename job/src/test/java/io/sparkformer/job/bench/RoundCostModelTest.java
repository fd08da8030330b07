package io.sparkformer.job.bench;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The round model's terms, by hand for small cases, and its calibration from a measured round. */
class RoundCostModelTest {
    /** 1 GFLOP/s, 1 ns a handled byte, 1 GB/s network: seconds come out as gigabytes and teraflops. */
    private final RoundCostModel model = new RoundCostModel(1e9, 1e-9, 1e9);
    private static final long GB = 1_000_000_000L;

    @Test
    void twoExecutorsSendBothResultsToTheDriver() {
        RoundCostModel.Round r = model.round(GB, 5e9, 2, 2);
        assertEquals(10, r.compute(), 1e-9);
        assertEquals(2 + 1, r.broadcast(), 1e-9);            // serialize + deserialize, one transfer
        assertEquals((1 + 2) + 2, r.aggregation(), 1e-9);    // each serializes; the driver takes 2 in turn
        assertEquals(2, r.averaging(), 1e-9);
        assertEquals(10.0 / 20, r.efficiency(), 1e-12);
    }

    @Test
    void sixtyFourExecutorsAggregateThroughOneShuffleLevelOfFanInEight() {
        RoundCostModel.Round r = model.round(GB, 0, 1, 64);
        // serialize 1 + level (fetch 8 + serialize the sum 1) + driver 8 handled; network 8 + 8.
        assertEquals((1 + 9 + 8) + (8 + 8), r.aggregation(), 1e-9);
    }

    @Test
    void calibrationReproducesTheMeasuredRound() {
        double perByte = RoundCostModel.secondsPerHandledByte(12.5, 2.5, GB, 2);
        RoundCostModel local = new RoundCostModel(1e9, perByte, Double.POSITIVE_INFINITY);
        RoundCostModel.Round r = local.round(GB, 2.5e9, 1, 2);
        assertEquals(12.5, r.total(), 1e-9);
        assertTrue(perByte > 0);
    }

    /** Not monotonic in between (Spark's fan-in jumps: 11 executors cost more than 12), but 64 costs more than 8. */
    @Test
    void sixtyFourExecutorsAreLessEfficientThanEight() {
        assertTrue(model.round(GB, 1e12, 10, 64).efficiency() < model.round(GB, 1e12, 10, 8).efficiency());
        assertTrue(model.round(GB, 1e12, 10, 11).total() > model.round(GB, 1e12, 10, 12).total());
    }

    @Test
    void nonPositiveRatesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new RoundCostModel(0, 1e-9, 1e9));
    }
}
