package io.sparkformer.checkpoint;

import org.junit.jupiter.api.Test;

import java.util.OptionalLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class CheckpointRecordsTest {
    @Test
    void stateJsonRoundTripKeepsEveryFieldAndAMissingValidationLoss() {
        TrainingState state = new TrainingState(500, 2_048_000, 1_001, -7, 1.25, 123_456);
        assertEquals(state, TrainingState.fromJson(state.toJson()));
        TrainingState fresh = TrainingState.initial(1337);
        assertEquals(fresh, TrainingState.fromJson(fresh.toJson()));
        assertEquals("""
                {
                  "step" : 0,
                  "tokens" : 0,
                  "data_cursor" : 0,
                  "seed" : 1337,
                  "best_val_loss" : null,
                  "elapsed_ms" : 0
                }
                """, fresh.toJson());
    }

    @Test
    void stateJsonNamesAMissingOrMistypedField() {
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> TrainingState.fromJson("{\"step\": 1, \"tokens\": 2}"));
        assertEquals("missing field 'best_val_loss'", missing.getMessage());
        IllegalArgumentException mistyped = assertThrows(IllegalArgumentException.class, () -> TrainingState.fromJson(
                "{\"step\": 1.5, \"tokens\": 2, \"data_cursor\": 3, \"seed\": 4, \"best_val_loss\": null,"
                        + " \"elapsed_ms\": 5}"));
        assertEquals("step must be an integer, got 1.5", mistyped.getMessage());
    }

    @Test
    void checkpointNamesHaveSixDigitsOrMoreAndAreCanonical() {
        assertEquals("step-000500", Checkpoint.nameFor(500));
        assertEquals("step-1000000", Checkpoint.nameFor(1_000_000));
        assertEquals(OptionalLong.of(500), Checkpoint.stepOf("step-000500"));
        assertEquals(OptionalLong.of(1_000_000), Checkpoint.stepOf("step-1000000"));
        assertEquals(OptionalLong.empty(), Checkpoint.stepOf("step-0000500"));
        assertEquals(OptionalLong.empty(), Checkpoint.stepOf("step-500"));
        assertEquals(OptionalLong.empty(), Checkpoint.stepOf(".tmp-step-000500-1234abcd"));
    }

    @Test
    void checkpointNameMustMatchItsStep() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Checkpoint(
                "step-000400", new TrainingState(500, 0, 0, 1, Double.NaN, 0), "", "", null));
        assertEquals("checkpoint name 'step-000400' does not match its step 500 (expected 'step-000500')",
                e.getMessage());
    }
}
