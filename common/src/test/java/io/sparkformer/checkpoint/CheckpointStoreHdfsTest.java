package io.sparkformer.checkpoint;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicInteger;

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
