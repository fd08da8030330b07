package io.sparkformer.job.cli;

import io.sparkformer.InputException;
import io.sparkformer.checkpoint.CheckpointException;
import io.sparkformer.config.ConfigLoader;
import io.sparkformer.config.SparkformerConfig;
import io.sparkformer.job.LogLines;
import io.sparkformer.model.gpt.GptGraphBuilder;
import io.sparkformer.tokenize.CharTokenizer;
import org.apache.spark.SparkException;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Exit code 2 is the user's input only: {@link InputException} and its subclasses, checkpoints that
 * cannot be trusted, and input errors of executors that reach the driver as Spark's text. A plain
 * IllegalArgumentException or IllegalStateException (ours for a broken invariant, ND4J's for a shape
 * mismatch) is a bug: exit 1, one line on stderr, the stack trace in the log.
 */
class ExitCodesTest {
    /** What {@link ExitCodes#handle} did with {@code e}: its exit code, stderr and the exceptions it logged. */
    private record Handled(int code, List<String> stderr, List<Throwable> logged) {
    }

    private static Handled handle(Exception e) {
        CommandLine cmd = new CommandLine(CommandLine.Model.CommandSpec.create().name("train"));
        StringWriter err = new StringWriter();
        cmd.setErr(new PrintWriter(err, true));
        try (LogLines log = new LogLines(ExitCodes.class.getName())) {
            int code = ExitCodes.handle(e, cmd, null);
            return new Handled(code, err.toString().lines().toList(), log.thrown());
        }
    }

    @Test
    void anIllegalArgumentExceptionFromInsideTheModelIsAFailureWithItsTraceLoggedNotBadInput() {
        SparkformerConfig config = ConfigLoader.defaults(List.of("model.layers=1", "model.heads=2", "model.embedDim=8",
                "model.contextLength=4"));
        ComputationGraph gpt = GptGraphBuilder.build(config, 5, DataType.FLOAT);
        // Ids reach a model only through its tokenizer and range-checked shards: id 7 of 5 is a bug of ours.
        RuntimeException bug = assertThrows(RuntimeException.class,
                () -> gpt.outputSingle(Nd4j.createFromArray(new float[][] {{1, 2, 7, 0}})));
        Throwable invariant = bug;
        while (invariant != null && !(invariant instanceof IllegalArgumentException)) {
            invariant = invariant.getCause();
        }
        assertTrue(invariant != null && !(invariant instanceof InputException), bug.toString());
        assertTrue(invariant.getMessage().startsWith("token id 7 at position 2 is outside"), invariant.getMessage());

        Handled h = handle(bug);

        assertEquals(ExitCodes.FAILURE, h.code());
        assertEquals(List.of("sparkformer train: failed: " + bug.getMessage().lines().findFirst().orElse("")),
                h.stderr());
        assertEquals(List.of(bug), h.logged(), "the exception is logged with its stack trace");
    }

    @Test
    void anNd4jShapeMismatchInAMatrixProductIsAFailure() {
        RuntimeException bug = assertThrows(RuntimeException.class,
                () -> Nd4j.create(2, 3).mmul(Nd4j.create(2, 3)));   // ND4JIllegalStateException

        Handled h = handle(bug);

        assertEquals(ExitCodes.FAILURE, h.code());
        assertEquals(List.of("sparkformer train: failed: " + bug.getMessage().lines().findFirst().orElse("")),
                h.stderr());
        assertEquals(List.of(bug), h.logged());
    }

    @Test
    void inputExceptionsAndTheirSubclassesAreBadInputOnOneLineWithNothingLogged() {
        InputException config = assertThrows(InputException.class,
                () -> ConfigLoader.defaults(List.of("model.contextLength=0")));
        InputException character = assertThrows(InputException.class, () -> CharTokenizer.fit("ab").encode("abc"));
        for (RuntimeException e : List.of(config, character, new InputException("corpus x does not exist"),
                new CheckpointException("checkpoint x does not exist"))) {
            Handled h = handle(e);
            assertEquals(ExitCodes.BAD_INPUT, h.code(), e.toString());
            assertEquals(List.of("sparkformer train: error: " + e.getMessage()), h.stderr());
            assertEquals(List.of(), h.logged());
        }
    }

    @Test
    void anExecutorsInputErrorArrivingAsSparkTextIsBadInputAndItsBugIsAFailure() {
        String task = "Job aborted due to stage failure: Task 0 in stage 1.0 failed 1 times, most recent failure:"
                + " Lost task 0.0 in stage 1.0 (TID 1) (10.0.0.5 executor 1): ";
        Handled input = handle(new SparkException(task + "io.sparkformer.tokenize.UnknownCharacterException:"
                + " character 'z' (U+007A) at offset 3 is not in the tokenizer's vocabulary of 2 characters\n"
                + "\tat io.sparkformer.tokenize.CharTokenizer.encode(CharTokenizer.java:70)\n"));
        assertEquals(ExitCodes.BAD_INPUT, input.code());
        assertEquals(List.of("sparkformer train: error: character 'z' (U+007A) at offset 3 is not in the"
                + " tokenizer's vocabulary of 2 characters"), input.stderr());

        Handled bug = handle(new SparkException(task + "java.lang.IllegalArgumentException: Op [matmul] execution"
                + " failed\n\tat io.sparkformer.model.layer.TransformerStack.forward(TransformerStack.java:120)\n"));
        assertEquals(ExitCodes.FAILURE, bug.code());
        assertEquals(1, bug.stderr().size());

        // As for local causes, the outermost classified exception decides: a storage fault that
        // wraps an input error is a storage fault.
        Handled storage = handle(new SparkException(task + "java.io.UncheckedIOException: cannot read"
                + " hdfs://nn/corpus/part-1: java.io.IOException: Filesystem closed\n"
                + "Caused by: io.sparkformer.InputException: corpus file hdfs://nn/corpus/part-1 is binary\n"));
        assertEquals(ExitCodes.FAILURE, storage.code());
    }
}
