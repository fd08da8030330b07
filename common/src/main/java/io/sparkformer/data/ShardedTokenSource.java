package io.sparkformer.data;

import org.apache.hadoop.fs.Path;

import java.io.Serializable;

/**
 * A split ([from, to) of the concatenated token stream) of a prepared data directory, read from
 * its shards on whichever JVM uses it: the driver for validation, executors for training.
 */
public final class ShardedTokenSource implements TokenSource, Serializable {
    private final String dataDir;
    private final DataManifest manifest;
    private final long from;
    private final long to;
    private final HadoopConf conf;
    private final long[] shardStarts;

    public ShardedTokenSource(String dataDir, DataManifest manifest, long from, long to, HadoopConf conf) {
        this.dataDir = dataDir;
        this.manifest = manifest;
        this.from = from;
        this.to = to;
        this.conf = conf;
        this.shardStarts = new long[manifest.shards().size() + 1];
        for (int i = 0; i < manifest.shards().size(); i++) {
            shardStarts[i + 1] = shardStarts[i] + manifest.shards().get(i).tokens();
        }
    }

    public static ShardedTokenSource train(String dataDir, DataManifest m, HadoopConf conf) {
        return new ShardedTokenSource(dataDir, m, 0, m.trainTokens(), conf);
    }

    public static ShardedTokenSource validation(String dataDir, DataManifest m, HadoopConf conf) {
        return new ShardedTokenSource(dataDir, m, m.trainTokens(), m.totalTokens(), conf);
    }

    @Override
    public long size() {
        return to - from;
    }

    @Override
    public void read(long position, int[] dst, int offset, int length) {
        if (position < 0 || position + length > size()) {
            throw new IndexOutOfBoundsException("read [" + position + ", " + (position + length) + ") of " + size());
        }
        long global = from + position;
        int done = 0;
        while (done < length) {
            int shard = shardOf(global + done);
            DataManifest.Shard s = manifest.shards().get(shard);
            int[] tokens = TokenShards.read(new Path(dataDir, s.file()).toString(), conf.get(),
                    manifest.bytesPerToken(), s.tokens(), s.sha256(), manifest.vocabSize());
            int within = (int) (global + done - shardStarts[shard]);
            int n = Math.min(length - done, tokens.length - within);
            System.arraycopy(tokens, within, dst, offset + done, n);
            done += n;
        }
    }

    private int shardOf(long position) {
        int lo = 0;
        int hi = shardStarts.length - 2;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (shardStarts[mid] <= position) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }
}
