package io.sparkformer.job.cluster;

import io.sparkformer.job.TestCorpus;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.hdfs.MiniDFSCluster;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/** An HDFS (one datanode unless asked for more) holding the first 60,000 characters of Tiny Shakespeare at /corpus/shakespeare.txt. */
final class MiniHdfs implements AutoCloseable {
    static final String CORPUS = "/corpus/shakespeare.txt";
    final MiniDFSCluster cluster;
    final String uri;

    MiniHdfs(File dir, Configuration conf) throws IOException {
        this(dir, conf, 1);
    }

    /** With {@code dataNodes} datanodes and that many replicas of every block ({@code dfs.replication}). */
    MiniHdfs(File dir, Configuration conf, int dataNodes) throws IOException {
        // Each file close otherwise waits 400 ms for the namenode; checkpoints close many files.
        conf.set("dfs.client.block.write.locateFollowingBlock.initial.delay.ms", "10");
        conf.setInt("dfs.replication", dataNodes);
        cluster = new MiniDFSCluster.Builder(conf, dir).numDataNodes(dataNodes).build();
        cluster.waitActive();
        uri = "hdfs://localhost:" + cluster.getNameNodePort();
        String text = TestCorpus.shakespeare(60000);
        try (var out = fs().create(new Path(CORPUS))) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        }
    }

    FileSystem fs() throws IOException {
        return cluster.getFileSystem();
    }

    String read(String path) throws IOException {
        try (var in = fs().open(new Path(path))) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Override
    public void close() {
        cluster.shutdown();
    }
}
