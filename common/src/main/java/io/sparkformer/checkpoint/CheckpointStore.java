package io.sparkformer.checkpoint;

import io.sparkformer.UserPaths;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.StreamCapabilities;
import org.apache.hadoop.hdfs.DistributedFileSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;

import static io.sparkformer.checkpoint.CheckpointException.firstLine;

/**
 * The checkpoints of one run directory, on any Hadoop file system (a plain path resolves against
 * {@code fs.defaultFS}, as everywhere in Hadoop and Spark; {@code file://}, {@code hdfs://} and the
 * rest name theirs):
 * <pre>
 * &lt;run&gt;/checkpoints/step-000500/model.zip       DL4J ModelSerializer zip with updater state
 *                             state.json      {@link TrainingState}
 *                             config.conf     the effective config
 *                             tokenizer.json
 *                             MANIFEST.json   length and SHA-256 of the four above, written last
 * &lt;run&gt;/checkpoints/LATEST                  name of the newest complete checkpoint, written last
 * </pre>
 *
 * <p><b>Atomicity.</b> A save writes into {@code .tmp-step-NNNNNN-<random>/}, renames that directory
 * to {@code step-NNNNNN} (one atomic rename on HDFS and on local disks), and only then points
 * {@code LATEST} at it by renaming a temporary file over it: atomically on HDFS (rename with
 * OVERWRITE) and on local disks (POSIX rename); on file systems whose rename does not replace
 * (object stores), by delete-then-rename. Readers never trust a directory without checking it
 * against its manifest, and when {@code LATEST} is missing, garbled or names a checkpoint that
 * fails verification they warn and fall back to the newest older checkpoint that verifies. A file
 * that cannot be read at all (permission, unreachable datanodes, an expired token) is not
 * corruption: that throws a {@link io.sparkformer.data.StorageException} instead of falling back. So a
 * save killed at any point leaves the previous checkpoint loadable. Temporary directories are never
 * listed or loaded; the next successful save deletes them. Saving a step that already exists moves
 * the old copy aside first (no file system swaps directories atomically): a crash in that short
 * window makes readers fall back to the step before it.
 *
 * <p>One writer per run directory: saves from two processes into the same run may delete each
 * other's temporary files (the training commands hold the run's {@code lease.json} for that).
 */
public final class CheckpointStore {
    public static final String CHECKPOINTS = "checkpoints";
    public static final String LATEST = "LATEST";
    static final String TEMP_PREFIX = ".tmp-";
    static final String LATEST_TEMP_PREFIX = ".LATEST.tmp-";

    private static final Logger LOG = LoggerFactory.getLogger(CheckpointStore.class);
    private static final int MAX_LATEST_BYTES = 1024;

    private final FileSystem fs;
    private final Configuration conf;   // for URIs on other file systems; fs.getConf() is whoever cached fs first
    private final Path dir;
    private final int keep;
    private final Retries retries;

    /**
     * How often a save that failed on an I/O error is tried again, and how long to wait before the
     * first retry (doubled before each further one): storage faults such as HDFS safe mode, a full
     * quota freed by an operator or a datanode restart often pass within seconds or minutes.
     */
    public record Retries(int retries, int firstDelaySeconds) {
        public static final Retries NONE = new Retries(0, 0);
    }

    /**
     * @param runDir the run directory ({@code --out}); its {@code checkpoints/} need not exist yet
     * @param keep   how many of the newest checkpoints {@link #save} keeps ({@code train.keepCheckpoints})
     */
    public CheckpointStore(String runDir, Configuration conf, int keep) {
        this(fileSystemFor(runDirPath(runDir), conf), runDirPath(runDir), conf, keep, Retries.NONE);
    }

    /** The store of a training run: keeps and retries as {@code train.keepCheckpoints} and {@code train.checkpointRetries*} say. */
    public static CheckpointStore forRun(String runDir, Configuration conf, io.sparkformer.config.TrainConfig train) {
        return new CheckpointStore(fileSystemFor(runDirPath(runDir), conf), runDirPath(runDir), conf,
                train.keepCheckpoints(), new Retries(train.checkpointRetries(), train.checkpointRetrySeconds()));
    }

    /** For tests that wrap the file system to inject failures. */
    CheckpointStore(FileSystem fs, Path runDir, Configuration conf, int keep) {
        this(fs, runDir, conf, keep, Retries.NONE);
    }

    CheckpointStore(FileSystem fs, Path runDir, Configuration conf, int keep, Retries retries) {
        if (keep < 1) {
            throw new IllegalArgumentException("keep must be >= 1 (checkpoints to keep), got " + keep);
        }
        this.fs = fs;
        this.conf = conf;
        this.dir = new Path(fs.makeQualified(runDir), CHECKPOINTS);
        this.keep = keep;
        this.retries = retries;
    }

    /** The fully qualified {@code <run>/checkpoints} directory. */
    public Path directory() {
        return dir;
    }

    /**
     * Writes {@code checkpoint} (replacing an earlier one of the same step), points {@code LATEST}
     * at it, then deletes all but the newest {@code keep} checkpoints and leftovers of interrupted
     * saves. A failure to prune is logged, not thrown: the checkpoint itself is safe by then. A save
     * that fails on an I/O error is retried as {@link Retries} says, each attempt from scratch in a
     * new temporary directory; earlier checkpoints and {@code LATEST} are not touched by a failed one.
     *
     * @throws io.sparkformer.data.StorageException if every attempt failed on an I/O error;
     *                             {@code LATEST} then still names the previous checkpoint
     * @throws IllegalStateException if the checkpoint could not be serialised (not retried)
     */
    public void save(Checkpoint checkpoint) {
        int attempts = retries.retries() + 1;
        long delaySeconds = retries.firstDelaySeconds();
        for (int attempt = 1; ; attempt++) {
            try {
                saveOnce(checkpoint);
                return;
            } catch (IOException e) {
                Path target = new Path(dir, checkpoint.name());
                if (attempt >= attempts) {
                    throw new io.sparkformer.data.StorageException("cannot save checkpoint " + target + (attempts > 1
                            ? " after " + attempts + " attempts" : "") + ": " + firstLine(e), e);
                }
                LOG.warn("cannot save checkpoint {} (attempt {} of {}): {}; retrying in {} s", target, attempt, attempts,
                        firstLine(e), delaySeconds);
                sleepSeconds(delaySeconds, target, e);
                delaySeconds *= 2;
            }
        }
    }

    private static void sleepSeconds(long seconds, Path target, IOException cause) {
        try {
            Thread.sleep(seconds * 1000);
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            throw new io.sparkformer.data.StorageException("cannot save checkpoint " + target
                    + " (interrupted before retrying): " + firstLine(cause), cause);
        }
    }

    private void saveOnce(Checkpoint checkpoint) throws IOException {
        String name = checkpoint.name();
        Path target = new Path(dir, name);
        Path temp = new Path(dir, TEMP_PREFIX + name + "-" + randomSuffix());
        Path replaced = null;
        long start = System.nanoTime();
        long bytes;
        try {
            if (!fs.mkdirs(temp)) {
                throw new IOException("cannot create directory " + temp);
            }
            bytes = CheckpointFiles.write(fs, temp, checkpoint);
            if (fs.exists(target)) {
                // Saving a step again (a resumed run passing it once more): move the old copy aside,
                // under a temporary name that the pruning below deletes.
                replaced = new Path(dir, TEMP_PREFIX + "replaced-" + name + "-" + randomSuffix());
                rename(target, replaced, false);
            }
            rename(temp, target, false);
            writeLatest(name);
        } catch (IOException e) {
            discard(temp);
            restore(replaced, target);
            throw e;
        } catch (RuntimeException e) {
            discard(temp);
            restore(replaced, target);
            throw new IllegalStateException("cannot save checkpoint " + target + ": " + firstLine(e), e);
        }
        LOG.info("saved checkpoint {} ({} bytes) in {} ms", target, bytes, (System.nanoTime() - start) / 1_000_000);
        prune(name);
    }

    /**
     * The checkpoint {@code LATEST} names if it verifies; otherwise, with a warning naming each
     * skipped checkpoint and why, the newest older one that does. Empty when the run has no
     * checkpoint yet.
     *
     * @throws CheckpointException if checkpoints exist but none of them verifies
     */
    public Optional<Checkpoint> loadLatest() {
        Optional<Checkpoint> loaded = newestUsable(stepDir -> CheckpointFiles.read(fs, stepDir));
        loaded.ifPresent(c -> LOG.info("loaded checkpoint {}", new Path(dir, c.name())));
        return loaded;
    }

    /**
     * The name {@link #loadLatest()} would load, found the same way (checksums verified, model not
     * deserialised).
     */
    public Optional<String> latest() {
        return newestUsable(stepDir -> {
            CheckpointFiles.verify(fs, stepDir);
            return stepDir.getName();
        });
    }

    /**
     * Loads one checkpoint: by name in this store ({@code step-000500}), or by the URI of a step
     * directory or of a run directory (then as {@link #open}).
     *
     * @throws CheckpointException naming the path if it is missing, incomplete, truncated or corrupt
     */
    public Checkpoint load(String nameOrUri) {
        if (nameOrUri.indexOf('/') >= 0 || nameOrUri.indexOf(':') >= 0) {
            return open(nameOrUri, conf);
        }
        if (Checkpoint.stepOf(nameOrUri).isEmpty()) {
            throw new CheckpointException("'" + nameOrUri + "' is not a checkpoint name (step-NNNNNN) in " + dir);
        }
        Checkpoint checkpoint = CheckpointFiles.read(fs, new Path(dir, nameOrUri));
        LOG.info("loaded checkpoint {}", new Path(dir, nameOrUri));
        return checkpoint;
    }

    /** Names of the complete checkpoints (those with a manifest), oldest first; temporary directories excluded. */
    public List<String> list() {
        try {
            if (!fs.exists(dir)) {
                return List.of();
            }
            List<Long> steps = new ArrayList<>();
            for (FileStatus status : fs.listStatus(dir)) {
                OptionalLong step = Checkpoint.stepOf(status.getPath().getName());
                if (status.isDirectory() && step.isPresent()
                        && fs.exists(new Path(status.getPath(), CheckpointFiles.MANIFEST))) {
                    steps.add(step.getAsLong());
                }
            }
            return steps.stream().sorted().map(Checkpoint::nameFor).toList();
        } catch (IOException e) {
            throw new io.sparkformer.data.StorageException("cannot list checkpoints in " + dir + ": " + firstLine(e), e);
        }
    }

    /**
     * What {@code generate --checkpoint URI} and friends accept: a step directory
     * ({@code .../checkpoints/step-000500}), a run directory (its newest checkpoint that verifies,
     * as {@link #loadLatest()}), or a run's {@code checkpoints} directory.
     *
     * @throws CheckpointException naming the path if there is no usable checkpoint there
     */
    public static Checkpoint open(String uri, Configuration conf) {
        Path path = UserPaths.of(uri, "checkpoint");
        FileSystem fs = fileSystemFor(path, conf);
        Path qualified = fs.makeQualified(path);
        try {
            if (!fs.exists(qualified)) {
                throw new CheckpointException("checkpoint " + qualified + " does not exist");
            }
            if (Checkpoint.stepOf(qualified.getName()).isPresent()) {
                Checkpoint checkpoint = CheckpointFiles.read(fs, qualified);
                LOG.info("loaded checkpoint {}", qualified);
                return checkpoint;
            }
            Path runDir = qualified;
            if (!fs.exists(new Path(runDir, CHECKPOINTS)) && qualified.getName().equals(CHECKPOINTS)) {
                runDir = qualified.getParent();
            }
            if (!fs.exists(new Path(runDir, CHECKPOINTS))) {
                throw new CheckpointException(qualified + " is neither a checkpoint directory (step-NNNNNN) nor a"
                        + " run directory (it has no " + CHECKPOINTS + "/)");
            }
            CheckpointStore store = new CheckpointStore(fs, runDir, conf, 1);
            return store.loadLatest().orElseThrow(() -> new CheckpointException(
                    "run " + qualified + " has no checkpoint yet (" + store.dir + " is empty)"));
        } catch (IOException e) {
            throw new io.sparkformer.data.StorageException("cannot read " + qualified + ": " + firstLine(e), e);
        }
    }

    /** A run directory handed in as a string: a bad one is the user's (--out), not a bug. */
    private static Path runDirPath(String runDir) {
        return UserPaths.of(runDir, "run directory");
    }

    /**
     * The file system a store uses for {@code path}. On local disks that is the raw file system: its
     * {@code .crc} side files would duplicate MANIFEST.json, and the checksummed one renames a file
     * and its {@code .crc} in two steps where the raw one does a single POSIX rename.
     */
    static FileSystem fileSystemFor(Path path, Configuration conf) {
        try {
            FileSystem fs = path.getFileSystem(conf);
            return fs instanceof LocalFileSystem local ? local.getRawFileSystem() : fs;
        } catch (org.apache.hadoop.fs.UnsupportedFileSystemException e) {
            throw new CheckpointException("cannot open " + path + ": " + firstLine(e), e);   // a scheme the user typed
        } catch (IOException e) {
            // Anything else is the file system's fault (a namenode unreachable, an expired token): exit 1.
            throw new io.sparkformer.data.StorageException("cannot open " + path + ": " + firstLine(e), e);
        }
    }

    /** Tries LATEST, then older checkpoints newest first; warns about each one it skips. */
    private <T> Optional<T> newestUsable(Function<Path, T> attempt) {
        List<String> candidates = candidates();
        CheckpointException last = null;
        for (int i = 0; i < candidates.size(); i++) {
            String name = candidates.get(i);
            try {
                return Optional.of(attempt.apply(new Path(dir, name)));
            } catch (CheckpointException e) {
                LOG.warn("skipping checkpoint {}: {}; {}", name, e.getMessage(),
                        i + 1 < candidates.size() ? "trying " + candidates.get(i + 1) : "no older checkpoint left");
                last = e;
            }
        }
        if (last == null) {
            return Optional.empty();
        }
        throw new CheckpointException("no usable checkpoint in " + dir + " (tried " + String.join(", ", candidates)
                + "; see the warnings above)", last);
    }

    /** LATEST's checkpoint first, then those older than it, newest first (all of them if LATEST is unusable). */
    private List<String> candidates() {
        List<String> complete = list();
        Optional<String> latest = readLatest(!complete.isEmpty());
        List<String> result = new ArrayList<>();
        long bound = Long.MAX_VALUE;
        if (latest.isPresent()) {
            result.add(latest.get());
            bound = Checkpoint.stepOf(latest.get()).getAsLong();
        }
        for (int i = complete.size() - 1; i >= 0; i--) {
            if (Checkpoint.stepOf(complete.get(i)).getAsLong() < bound) {
                result.add(complete.get(i));
            }
        }
        return result;
    }

    /** The name LATEST holds; empty, with a warning saying why when checkpoints exist, if there is none. */
    private Optional<String> readLatest(boolean checkpointsExist) {
        Path latest = new Path(dir, LATEST);
        try {
            if (!fs.exists(latest)) {
                if (checkpointsExist) {
                    LOG.warn("{} is missing; using the newest checkpoint that verifies", latest);
                }
                return Optional.empty();
            }
            byte[] bytes;
            try (InputStream in = fs.open(latest)) {
                bytes = in.readNBytes(MAX_LATEST_BYTES);
            }
            String name = new String(bytes, StandardCharsets.UTF_8).strip();
            if (Checkpoint.stepOf(name).isEmpty()) {
                LOG.warn("{} does not hold a checkpoint name (step-NNNNNN); using the newest checkpoint that verifies",
                        latest);
                return Optional.empty();
            }
            return Optional.of(name);
        } catch (IOException e) {
            // Unreadable is not missing: scanning past it could resume from an older checkpoint.
            throw new io.sparkformer.data.StorageException("cannot read " + latest + ": " + firstLine(e), e);
        }
    }

    private void writeLatest(String name) throws IOException {
        Path temp = new Path(dir, LATEST_TEMP_PREFIX + randomSuffix());
        try (FSDataOutputStream out = fs.create(temp, false)) {
            out.write((name + "\n").getBytes(StandardCharsets.UTF_8));
            if (out.hasCapability(StreamCapabilities.HSYNC)) {
                out.hsync();
            }
        }
        rename(temp, new Path(dir, LATEST), true);
    }

    /**
     * Renames {@code from} to {@code to}. Without {@code replace}, fails if {@code to} exists (HDFS
     * would otherwise move a directory inside it). With {@code replace}, atomic where the file system
     * allows: HDFS (rename with OVERWRITE) and local disks (POSIX rename replaces); elsewhere
     * delete-then-rename, a window in which readers find no LATEST and fall back to scanning.
     */
    private void rename(Path from, Path to, boolean replace) throws IOException {
        if (fs instanceof DistributedFileSystem dfs) {
            dfs.rename(from, to, replace ? Options.Rename.OVERWRITE : Options.Rename.NONE);
            return;
        }
        if (!replace && fs.exists(to)) {
            throw new IOException("cannot rename " + from + " to " + to + ": the target exists");
        }
        if (fs.rename(from, to)) {
            return;
        }
        if (replace && fs.exists(to)) {
            fs.delete(to, false);
            if (fs.rename(from, to)) {
                return;
            }
        }
        throw new IOException("cannot rename " + from + " to " + to);
    }

    /** Keeps the newest {@code keep} checkpoints and {@code latest}; deletes the rest and leftovers of failed saves. */
    private void prune(String latest) {
        try {
            List<String> complete = list();
            Set<String> kept = new HashSet<>(complete.subList(Math.max(0, complete.size() - keep), complete.size()));
            kept.add(latest);
            for (String name : complete) {
                if (!kept.contains(name)) {
                    fs.delete(new Path(dir, name), true);
                    LOG.info("deleted old checkpoint {}", new Path(dir, name));
                }
            }
            for (FileStatus status : fs.listStatus(dir)) {
                String name = status.getPath().getName();
                if (name.startsWith(TEMP_PREFIX) || name.startsWith(LATEST_TEMP_PREFIX)) {
                    fs.delete(status.getPath(), true);
                    LOG.info("deleted {}, left over by an interrupted or repeated save", status.getPath());
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot prune old checkpoints in {}: {}", dir, firstLine(e));
        }
    }

    /** Best effort: a killed process leaves the directory behind, and the next save deletes it. */
    private void discard(Path temp) {
        try {
            fs.delete(temp, true);
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot delete {} after a failed save ({}); the next save will", temp, firstLine(e));
        }
    }

    /** Best effort: puts back the copy a failed re-save moved aside, if the new one did not take its place. */
    private void restore(Path replaced, Path target) {
        if (replaced == null) {
            return;
        }
        try {
            if (fs.exists(replaced) && !fs.exists(target)) {
                rename(replaced, target, false);
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot move {} back to {} after a failed save ({})", replaced, target, firstLine(e));
        }
    }

    private static String randomSuffix() {
        return UUID.randomUUID().toString().substring(0, 8);
    }
}
