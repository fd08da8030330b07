package io.sparkformer.checkpoint;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/** The store contract on the local file system, with run directories given as plain paths. */
class CheckpointStoreLocalTest extends CheckpointStoreContract {
    @TempDir
    java.nio.file.Path temp;
    private int runs;

    private final Configuration conf = new Configuration();   // fs.defaultFS = file:///

    @Override
    FileSystem fileSystem() {
        return CheckpointStore.fileSystemFor(new Path(temp.toString()), conf);
    }

    @Override
    Configuration conf() {
        return conf;
    }

    @Override
    String newRunDir() {
        return temp.resolve("run-" + ++runs).toString();
    }

    @Test
    void plainPathsAndFileUrisNameTheSameRunOnTheRawLocalFileSystem() {
        String plain = newRunDir();
        CheckpointStore store = new CheckpointStore(plain, conf, 3);
        store.save(checkpointAt(500, trainedNet()));
        String uri = java.nio.file.Path.of(plain).toUri().toString();   // file:///...

        assertEquals(List.of("step-000500"), new CheckpointStore(uri, conf, 3).list());
        assertEquals("file:" + plain + "/checkpoints", store.directory().toString());
        assertInstanceOf(RawLocalFileSystem.class, fileSystem());   // no .crc side files next to the manifest
    }
}
