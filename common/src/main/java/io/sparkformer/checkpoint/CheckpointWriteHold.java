package io.sparkformer.checkpoint;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * <b>Test-only</b>: holds a checkpoint save at a known point, after its {@code model.zip} is written
 * and before its other files and {@code MANIFEST.json}, so that a test can kill the process or stop an
 * HDFS datanode in the middle of a save. Off unless the system property {@value #PROPERTY} names a
 * local directory; then the save of checkpoint {@code step-NNNNNN} holds while that directory contains
 * {@code step-NNNNNN.hold}: it writes {@code step-NNNNNN.reached} (holding the temporary directory's
 * path) there and waits until the test deletes the {@code .hold} file. Saves of other steps, and
 * every save without the property, pass straight through.
 */
final class CheckpointWriteHold {
    static final String PROPERTY = "sparkformer.test.checkpointHoldDir";
    private static final Logger LOG = LoggerFactory.getLogger(CheckpointWriteHold.class);
    private static final long POLL_MILLIS = 50;

    private CheckpointWriteHold() {
    }

    /** Called by the writer once {@code model.zip} of checkpoint {@code name} is in {@code tempDir}. */
    static void afterModel(String name, org.apache.hadoop.fs.Path tempDir) throws IOException {
        String dir = System.getProperty(PROPERTY);
        if (dir == null || dir.isEmpty()) {
            return;
        }
        Path hold = Path.of(dir, name + ".hold");
        if (!Files.exists(hold)) {
            return;
        }
        LOG.warn("test hold ({}): checkpoint {} stops after model.zip in {} until {} is deleted", PROPERTY, name,
                tempDir, hold);
        Files.writeString(Path.of(dir, name + ".reached"), tempDir.toString(), StandardCharsets.UTF_8);
        try {
            while (Files.exists(hold)) {
                Thread.sleep(POLL_MILLIS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while held by " + PROPERTY);
        }
        LOG.warn("test hold ({}): checkpoint {} continues", PROPERTY, name);
    }
}
