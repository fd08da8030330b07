package io.sparkformer.job.cli;

import io.sparkformer.job.Cli;
import io.sparkformer.job.TestCorpus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A URI the user typed that Hadoop cannot make a path of (empty, or {@code run:v2}: a relative path in
 * an absolute URI) is bad input naming the option, exit 2 on one line, not an
 * IllegalArgumentException from {@code new Path} exiting 1 with a stack trace.
 */
class PathOptionsTest {
    @TempDir
    static Path dir;
    private static String corpus;

    @BeforeAll
    static void setUp() throws Exception {
        TestCorpus.useLocalSpark();
        corpus = TestCorpus.writeShakespeare(dir, 2000);
    }

    @AfterAll
    static void tearDown() {
        TestCorpus.clearLocalSpark();
    }

    @Test
    void anOutThatIsNoPathIsBadInputNamingIt() {
        Cli.Result r = Cli.run(TestCorpus.tinyTrain(corpus, "run:v2", 1));

        assertEquals(2, r.code(), r.err());
        assertEquals("sparkformer train: error: --out 'run:v2' is not a valid path: Relative path in absolute URI:"
                + " run:v2", r.err().strip());
    }

    @Test
    void anEmptyOutIsBadInputNamingIt() {
        Cli.Result r = Cli.run(TestCorpus.tinyTrain(corpus, "", 1));

        assertEquals(2, r.code(), r.err());
        assertEquals("sparkformer train: error: --out '' is not a valid path: Can not create a Path from an empty"
                + " string", r.err().strip());
    }

    @Test
    void aCorpusThatIsNoPathIsBadInputNamingIt() {
        Cli.Result r = Cli.run(TestCorpus.tinyTrain("corpus:v2", dir.resolve("run").toString(), 1));

        assertEquals(2, r.code(), r.err());
        assertEquals("sparkformer train: error: corpus 'corpus:v2' is not a valid path: Relative path in absolute"
                + " URI: corpus:v2", r.err().strip());
    }

    @Test
    void aCheckpointThatIsNoPathIsBadInputNamingIt() {
        Cli.Result r = Cli.run("generate", "--checkpoint", "run:v2", "--prompt", "a");

        assertEquals(2, r.code(), r.err());
        assertEquals("sparkformer generate: error: checkpoint 'run:v2' is not a valid path: Relative path in"
                + " absolute URI: run:v2", r.err().strip());
    }
}
