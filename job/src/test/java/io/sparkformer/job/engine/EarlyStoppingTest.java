package io.sparkformer.job.engine;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EarlyStoppingTest {
    @Test
    void stopsAfterPatienceEvaluationsWithoutAGainAndRemembersTheBest() {
        EarlyStopping s = new EarlyStopping(2);
        assertTrue(s.record(100, 0.70));
        assertTrue(s.record(200, 0.80));
        assertFalse(s.record(300, 0.80), "a tie is no gain");
        assertFalse(s.shouldStop());
        assertTrue(s.record(400, 0.81), "a gain resets the count");
        assertFalse(s.record(500, 0.75));
        assertFalse(s.shouldStop());
        assertFalse(s.record(600, 0.79));
        assertTrue(s.shouldStop());
        assertEquals(0.81, s.best());
        assertEquals(400, s.bestStep());
    }
}
