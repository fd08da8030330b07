package io.sparkformer.job.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The event file format read back by an independent decoder, and a write failure that training survives. */
class TensorBoardLogTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    Path dir;

    private static ObjectNode line(long step, double loss, Double val) {
        ObjectNode n = JSON.createObjectNode();
        n.put("step", step);
        n.put("tokens", step * 100);
        n.put("elapsed_s", step * 0.5);
        n.put("lr", 1e-3 / step);
        n.put("train_loss", loss);
        n.put("tokens_per_s", 5000.25);
        if (val != null) {
            n.put("val_loss", val);
            n.put("val_accuracy", 0.75);
        }
        return n;
    }

    @Test
    void eventsDecodeToTheMetricsLinesScalarsAfterTheFileVersionRecord() throws Exception {
        Path file = dir.resolve("events.out.tfevents.1.test");
        try (TensorBoardLog log = new TensorBoardLog(new org.apache.hadoop.fs.Path(file.toUri()), new Configuration())) {
            log.append(line(1, 4.25, null));
            log.append(line(300, 2.125, 2.5));   // an evaluation: flushed now
            List<TensorBoardEvents.Event> visible = TensorBoardEvents.read(file);
            assertEquals(3, visible.size(), "readable before the file is closed");
        }
        List<TensorBoardEvents.Event> events = TensorBoardEvents.read(file);
        assertEquals("brain.Event:2", events.get(0).fileVersion());
        assertEquals(Map.of("learning_rate", 1e-3f, "train/loss", 4.25f, "tokens_per_s", 5000.25f),
                events.get(1).scalars());
        assertEquals(1, events.get(1).step());
        assertEquals(300, events.get(2).step());
        assertEquals(Map.of("learning_rate", (float) (1e-3 / 300), "train/loss", 2.125f, "tokens_per_s", 5000.25f,
                "validation/loss", 2.5f, "validation/accuracy", 0.75f), events.get(2).scalars());
        assertTrue(Math.abs(events.get(2).wallTime() - System.currentTimeMillis() / 1000.0) < 60, "wall time in seconds");
    }

    @Test
    void aFailedWriteIsSurvivedAndTheNextFlushWritesEveryEvent() throws Exception {
        Path file = dir.resolve("events.out.tfevents.2.test");
        org.apache.hadoop.fs.Path target = new org.apache.hadoop.fs.Path(file.toUri());   // before it is a directory
        Files.createDirectories(file.resolve("in-the-way"));   // a directory where the file should be
        try (TensorBoardLog log = new TensorBoardLog(target, new Configuration())) {
            log.append(line(10, 3.0, 3.1));   // the flush fails: reported, not thrown
            assertTrue(Files.isDirectory(file));
            Files.delete(file.resolve("in-the-way"));
            Files.delete(file);
            log.append(line(20, 2.0, 2.1));
        }
        List<TensorBoardEvents.Event> events = TensorBoardEvents.read(file);
        assertEquals(List.of(0L, 10L, 20L), events.stream().map(TensorBoardEvents.Event::step).toList(),
                "the events of the failed write too");
        assertFalse(events.get(1).scalars().isEmpty());
    }
}
