package io.sparkformer.job.cli;

import io.sparkformer.job.Cli;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Nonsensical numbers on the command line are bad input, named before any checkpoint is read (the
 * checkpoint here does not even exist): {@code evaluate --batch-size 0} used to loop forever, and
 * {@code cost --network-gbps 0} hit RoundCostModel's invariant (exit 1 with a trace).
 */
class NumericOptionsTest {
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "evaluate --batch-size 0      | --batch-size must be > 0, got 0",
            "evaluate --beam 0            | --beam must be > 0 (1 = greedy), got 0",
            "evaluate --max-length -1     | --max-length must be >= 0 (0 = the model's), got -1",
            "evaluate --length-penalty -1 | --length-penalty must be finite and >= 0, got -1.0",
            "generate --length-penalty NaN | --length-penalty must be finite and >= 0, got NaN",
            "generate --beam -2           | --beam must be >= 0, got -2",
            "generate --max-tokens 0      | --max-tokens must be > 0, got 0",
            "generate --top-p 1.5         | --top-p must be within (0, 1] (1 = off), got 1.5",
            "cost --executors 8,0         | --executors must all be > 0, got 0",
            "cost --network-gbps 0        | --network-gbps must be finite and > 0, got 0.0",
            "cost --executor-gflops 0     | --executor-gflops must be finite and > 0, got 0.0",
            "cost --ns-per-byte -1        | --ns-per-byte must be finite and >= 0, got -1.0",
    })
    void badNumberIsABadInputNamingTheOption(String command, String message) {
        String[] words = command.trim().split("\\s+");
        String[] args = switch (words[0]) {
            case "evaluate" -> new String[] {words[0], "--checkpoint", "no-such-run", "--corpus", "no-such-corpus",
                    words[1], words[2]};
            case "cost" -> new String[] {words[0], words[1], words[2]};
            default -> new String[] {words[0], "--checkpoint", "no-such-run", words[1], words[2]};
        };

        Cli.Result r = Cli.run(args);

        assertEquals(2, r.code(), r.err());
        assertEquals("sparkformer " + words[0] + ": error: " + message, r.err().strip());
    }
}
