package io.sparkformer.checkpoint;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.BlockLocation;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The store contract on a real HDFS (one in-process MiniDFSCluster for the class), run directories as hdfs:// URIs. */
class CheckpointStoreHdfsTest extends CheckpointStoreContract {
    @TempDir
    static java.nio.file.Path base;
    private static MiniDFSCluster cluster;
    private static FileSystem fs;
    private static final AtomicInteger RUNS = new AtomicInteger();

    @BeforeAll
    static void startCluster() throws IOException {
        Configuration conf = new Configuration();
        // Closing a file polls the NameNode until its last block is complete, first after 400 ms by
        // default; a one-DataNode cluster is done in a few, so that default would dominate the tests.
        conf.setInt("dfs.client.block.write.locateFollowingBlock.initial.delay.ms", 10);
        cluster = new MiniDFSCluster.Builder(conf, base.resolve("dfs").toFile()).numDataNodes(1).build();
        cluster.waitActive();
        fs = cluster.getFileSystem();
    }

    @AfterAll
    static void stopCluster() throws IOException {
        if (cluster != null) {
            FileSystem.get(fs.getUri(), cluster.getConfiguration(0)).close();   // the cached client the stores used
            cluster.shutdown();
        }
    }

    /** The contract's files really go through HDFS: every checkpoint file has a block on the DataNode. */
    @Test
    void checkpointFilesAreStoredAsHdfsBlocks() throws Exception {
        String run = newRunDir();
        new CheckpointStore(run, conf(), 2).save(checkpointAt(500, trainedNet()));
        Path dir = new Path(run, "checkpoints/" + Checkpoint.nameFor(500));
        FileStatus[] files = fs.listStatus(dir);
        assertTrue(files.length >= 2, "model and MANIFEST expected in " + dir);
        for (FileStatus f : files) {
            assertEquals("hdfs", f.getPath().toUri().getScheme());
            if (f.getLen() > 0) {
                BlockLocation[] blocks = fs.getFileBlockLocations(f, 0, f.getLen());
                assertTrue(blocks.length > 0 && blocks[0].getHosts().length == 1, "no block for " + f.getPath());
            }
        }
    }

    @Override
    FileSystem fileSystem() {
        return fs;
    }

    @Override
    Configuration conf() {
        return cluster.getConfiguration(0);
    }

    @Override
    String newRunDir() {
        return fs.getUri() + "/runs/run-" + RUNS.incrementAndGet();   // one cluster serves every test
    }
}
