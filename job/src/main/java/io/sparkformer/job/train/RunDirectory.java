package io.sparkformer.job.train;

import io.sparkformer.data.DataManifest;
import io.sparkformer.data.InputException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

/** The run directory of the contract ({@code --out}): where each file of a run lives. */
public final class RunDirectory {
    public static final String CONFIG = "config.conf";
    public static final String TOKENIZER = "tokenizer.json";
    public static final String METRICS = "metrics.jsonl";
    public static final String PLOT = "loss.png";
    public static final String DATA = "data";

    private final Path root;
    private final Configuration conf;

    public RunDirectory(String uri, Configuration conf) {
        this.conf = conf;
        try {
            Path p = new Path(uri);
            this.root = p.getFileSystem(conf).makeQualified(p);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot resolve output " + uri + ": " + e.getMessage(), e);
        }
    }

    public Path root() {
        return root;
    }

    public Path file(String name) {
        return new Path(root, name);
    }

    public FileSystem fs() {
        try {
            return root.getFileSystem(conf);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Refuses to mix runs: an output holding another run needs {@code --resume} or
     * {@code --overwrite}; also fails fast (before any training) when the output is not writable.
     */
    public void claim(boolean resume, boolean overwrite) {
        FileSystem fs = fs();
        try {
            if (fs.exists(root) && !fs.getFileStatus(root).isDirectory()) {
                throw new InputException("output " + root + " is a file, not a directory");
            }
            boolean holdsRun = fs.exists(file(CONFIG)) || fs.exists(file("checkpoints"));
            if (holdsRun && !resume && !overwrite) {
                throw new InputException("output " + root + " already holds a run: pass --resume to continue it or"
                        + " --overwrite to replace it");
            }
            if (holdsRun && overwrite && !resume) {
                for (FileStatus s : fs.listStatus(root)) {
                    fs.delete(s.getPath(), true);
                }
            }
            fs.mkdirs(root);
            Path probe = new Path(root, ".write-probe-" + UUID.randomUUID());
            try (var out = fs.create(probe, false)) {
                out.write(1);
            }
            fs.delete(probe, false);
        } catch (IOException e) {
            throw new InputException("output " + root + " is not writable: " + e.getMessage().split("\n")[0], e);
        }
    }

    public void writeString(String name, String text) {
        Path target = file(name);
        Path tmp = new Path(root, "." + name + "." + UUID.randomUUID() + ".tmp");
        FileSystem fs = fs();
        try {
            try (var out = fs.create(tmp, false)) {
                out.write(text.getBytes(StandardCharsets.UTF_8));
            }
            fs.delete(target, false);
            if (!fs.rename(tmp, target)) {
                throw new IOException("rename " + tmp + " failed");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target + ": " + e.getMessage(), e);
        }
    }

    /** True when {@code uri} is a prepared data directory (it has a manifest). */
    public static boolean isPrepared(String uri, Configuration conf) {
        try {
            Path p = new Path(uri, DataManifest.FILE);
            return p.getFileSystem(conf).exists(p);
        } catch (IOException | IllegalArgumentException e) {
            return false;
        }
    }
}
