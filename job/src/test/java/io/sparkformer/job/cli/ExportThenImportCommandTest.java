package io.sparkformer.job.cli;

import io.sparkformer.checkpoint.Checkpoint;
import io.sparkformer.checkpoint.CheckpointStore;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.factory.Nd4j;

import java.io.File;
import java.nio.file.Files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code import} of an exported directory gives a run that {@code generate} and {@code train --resume} use. */
class ExportThenImportCommandTest {
    @TempDir
    File tmp;

    @BeforeAll
    static void localSpark() {
        System.setProperty("spark.master", "local[1]");
        System.setProperty("spark.ui.enabled", "false");
    }

    @AfterAll
    static void clearSpark() {
        System.clearProperty("spark.master");
        System.clearProperty("spark.ui.enabled");
    }

    private File exported(Checkpoint[] original) throws Exception {
        File run = new File(tmp, "run");
        original[0] = TinyRuns.trainedRun(run, "model.tiedEmbeddings=false");
        File hf = new File(tmp, "hf");
        assertEquals(0, TinyRuns.cli("export", "--checkpoint", run.getAbsolutePath(), "--out", hf.getAbsolutePath())[0]);
        return hf;
    }

    @Test
    void importedRunHoldsTheSameModelAndGeneratesTheSameText() throws Exception {
        Checkpoint[] original = new Checkpoint[1];
        File hf = exported(original);
        File imported = new File(tmp, "imported");
        Object[] r = TinyRuns.cli("import", "--format", "hf", "--from", hf.getAbsolutePath(), "--out",
                imported.getAbsolutePath(), "--set", "train.steps=4");
        assertEquals(0, r[0], (String) r[2]);
        assertEquals("step-000000", Files.readString(new File(imported, "checkpoints/LATEST").toPath()).strip());
        assertTrue(new File(imported, "config.conf").exists() && new File(imported, "tokenizer.json").exists());
        Checkpoint c = CheckpointStore.open(imported.getAbsolutePath(), new Configuration());
        assertEquals(original[0].model().params(), c.model().params());
        assertEquals(4, c.config().train().steps());

        String[] greedy = {"--prompt", "to be", "--max-tokens", "12", "--temperature", "0"};
        Object[] a = TinyRuns.cli(concat(new String[] {"generate", "--checkpoint", new File(tmp, "run").toString()}, greedy));
        Object[] b = TinyRuns.cli(concat(new String[] {"generate", "--checkpoint", imported.toString()}, greedy));
        assertEquals(0, a[0]);
        assertEquals(a[1], b[1], "identical logits, identical greedy text");
    }

    @Test
    void importIntoAnExistingRunIsRefusedAndAMismatchedConfigIsAUserError() throws Exception {
        File hf = exported(new Checkpoint[1]);
        File imported = new File(tmp, "imported");
        assertEquals(0, TinyRuns.cli("import", "--from", hf.toString(), "--out", imported.toString())[0]);
        Object[] again = TinyRuns.cli("import", "--from", hf.toString(), "--out", imported.toString());
        assertEquals(2, again[0]);
        assertTrue(((String) again[2]).contains("already holds a run"), (String) again[2]);
        Object[] mismatch = TinyRuns.cli("import", "--from", hf.toString(), "--out", tmp + "/other", "--set",
                "model.embedDim=32");
        assertEquals(2, mismatch[0]);
        assertTrue(((String) mismatch[2]).contains("model.embedDim = 32 (the imported model has 16)"),
                (String) mismatch[2]);
    }

    @Test
    void trainResumeFineTunesTheImportedModel() throws Exception {
        Checkpoint[] original = new Checkpoint[1];
        File hf = exported(original);
        File imported = new File(tmp, "imported");
        assertEquals(0, TinyRuns.cli("import", "--from", hf.toString(), "--out", imported.toString(),
                "--set", "train.steps=4", "--set", "train.batchSize=2", "--set", "train.evalEvery=2",
                "--set", "train.evalBatches=1", "--set", "train.checkpointEvery=4",
                "--set", "spark.averagingFrequency=2")[0]);
        File corpus = new File(tmp, "corpus.txt");
        // Fewer distinct characters than the model's vocabulary: fitting a tokenizer here would give another one.
        Files.writeString(corpus.toPath(), "not to be, or to be\n".repeat(60));
        Object[] r = TinyRuns.cli("train", "--config", new File(imported, "config.conf").toString(), "--corpus",
                corpus.toString(), "--out", imported.toString(), "--resume");
        assertEquals(0, r[0], (String) r[2]);
        Checkpoint tuned = CheckpointStore.open(imported.getAbsolutePath(), new Configuration());
        assertEquals(4, tuned.state().step());
        assertEquals(original[0].tokenizerJson(), tuned.tokenizerJson(), "the corpus was encoded with the model's tokenizer");
        assertNotEquals(0.0, Nd4j.math().abs(tuned.model().params().sub(original[0].model().params())).sumNumber()
                .doubleValue(), "fine-tuning changed the parameters");
        assertTrue(Files.readString(new File(imported, "metrics.jsonl").toPath()).contains("\"step\":4"));
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = new String[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
