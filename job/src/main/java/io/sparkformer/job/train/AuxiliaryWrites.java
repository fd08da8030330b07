package io.sparkformer.job.train;

import io.sparkformer.data.StorageException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Writes of the run's auxiliary files ({@code metrics.jsonl}, {@code loss.png}): never fatal to
 * training, whose product is the checkpoints. A failed write is logged once, as a WARN naming the
 * file and the cause (not once per round while a disk stays full), and the caller writes the whole
 * file again at its next write; when that succeeds an INFO says so.
 */
final class AuxiliaryWrites {
    private static final Logger LOG = LoggerFactory.getLogger(AuxiliaryWrites.class);
    /** Files whose last write failed: shared by every writer in this JVM, keyed by the qualified path. */
    private static final Set<String> FAILING = ConcurrentHashMap.newKeySet();

    /** The write of one auxiliary file; throws what the file system threw. */
    @FunctionalInterface
    interface Write {
        void run() throws IOException;
    }

    private AuxiliaryWrites() {
    }

    /** Runs {@code write}; returns whether it succeeded. */
    static boolean attempt(Path file, Write write) {
        String key = file.toString();
        try {
            write.run();
        } catch (IOException | RuntimeException e) {
            if (FAILING.add(key)) {
                LOG.warn("cannot write {} ({}); training goes on, and the file is written again at its next update",
                        file, StorageException.firstLine(e));
            }
            LOG.debug("write of {} failed", file, e);
            return false;
        }
        if (FAILING.remove(key)) {
            LOG.info("{} written again after the failure reported above", file);
        }
        return true;
    }

    /**
     * Replaces {@code file} with {@code bytes} through a hidden temporary file and a rename, so a
     * reader sees the old file or the new one (append is not portable across Hadoop file systems).
     */
    static void replace(Path file, Configuration conf, byte[] bytes) throws IOException {
        FileSystem fs = file.getFileSystem(conf);
        Path tmp = new Path(file.getParent(), "." + file.getName() + "." + UUID.randomUUID() + ".tmp");
        try {
            try (var out = fs.create(tmp, true)) {
                out.write(bytes);
            }
            fs.delete(file, false);
            if (!fs.rename(tmp, file)) {
                throw new IOException("rename " + tmp + " -> " + file + " failed");
            }
        } catch (IOException e) {
            try {
                fs.delete(tmp, false);   // best effort: a left-over hidden temporary file harms nothing
            } catch (IOException ignored) {
                e.addSuppressed(ignored);
            }
            throw e;
        }
    }
}
