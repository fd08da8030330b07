package io.sparkformer.checkpoint;

import io.sparkformer.tokenize.CharTokenizer;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The optional source-side tokenizer of a translation checkpoint with separate vocabularies. */
class CheckpointSourceTokenizerTest {
    private static final String SOURCE = CharTokenizer.fit("ein Hund\n").toJson();

    @Test
    void aSeparateSourceTokenizerRoundTripsAndIsVerified(@TempDir Path dir) throws Exception {
        CheckpointStore store = new CheckpointStore(dir.toString(), new Configuration(), 2);
        Checkpoint c = CheckpointStoreContract.checkpointAt(100, CheckpointStoreContract.trainedNet());
        store.save(c.withSourceTokenizer(SOURCE));
        Checkpoint loaded = store.loadLatest().orElseThrow();
        assertEquals(SOURCE, loaded.sourceTokenizerJson());
        assertEquals(SOURCE, loaded.sourceTokenizer().toJson());
        assertEquals(c.tokenizerJson(), loaded.tokenizer().toJson());
        // The manifest vouches for it: a changed byte is caught like in any other checkpoint file.
        Path file = dir.resolve("checkpoints/step-000100/source-tokenizer.json");
        Files.writeString(file, SOURCE.replace('{', '['));
        CheckpointException e = assertThrows(CheckpointException.class, () -> store.load("step-000100"));
        assertTrue(e.getMessage().contains("source-tokenizer.json has SHA-256"), e.getMessage());
    }

    @Test
    void withoutOneTheSourceTokenizerIsTheTokenizer(@TempDir Path dir) {
        CheckpointStore store = new CheckpointStore(dir.toString(), new Configuration(), 2);
        store.save(CheckpointStoreContract.checkpointAt(100, CheckpointStoreContract.trainedNet()));
        Checkpoint loaded = store.loadLatest().orElseThrow();
        assertNull(loaded.sourceTokenizerJson());
        assertEquals(loaded.tokenizerJson(), loaded.sourceTokenizer().toJson());
        assertFalse(Files.exists(dir.resolve("checkpoints/step-000100/source-tokenizer.json")));
    }
}
