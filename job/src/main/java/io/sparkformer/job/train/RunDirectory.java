package io.sparkformer.job.train;

import io.sparkformer.InputException;
import io.sparkformer.UserPaths;
import io.sparkformer.checkpoint.CheckpointStore;
import io.sparkformer.data.DataManifest;
import io.sparkformer.job.prepare.PrepareJob;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** The run directory of the contract ({@code --out}): where each file of a run lives. */
public final class RunDirectory {
    public static final String CONFIG = "config.conf";
    public static final String TOKENIZER = "tokenizer.json";
    public static final String METRICS = "metrics.jsonl";
    public static final String PLOT = "loss.png";
    public static final String DATA = "data";

    private static final Logger LOG = LoggerFactory.getLogger(RunDirectory.class);
    private final Path root;
    private final Configuration conf;
    private String pendingIdentity;   // run.json of a resumed run, written once its checks have passed
    private java.util.List<String> inputChanges = java.util.List.of();

    public RunDirectory(String uri, Configuration conf) {
        this.conf = conf;
        try {
            Path p = UserPaths.of(uri, "--out");
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

    /** How a training command found its run directory. */
    public enum Start {
        /** Nothing to continue: a new run (the directory was empty, absent, or replaced by --overwrite). */
        NEW,
        /** Continue the run in the directory from its newest complete checkpoint. */
        RESUME
    }

    /**
     * The Spark application claiming a run: its id and attempt ({@code null} outside YARN cluster
     * mode). YARN starts a failed driver again with the same arguments as attempt 2 of the same id.
     * {@code context} (null in tests that claim without Spark) is the application whose end releases
     * the run's lease and which is stopped if another job takes the lease over.
     */
    public record Application(String id, String attempt, org.apache.spark.SparkContext context) {
        public Application(String id, String attempt) {
            this(id, attempt, null);
        }

        public static Application of(org.apache.spark.api.java.JavaSparkContext sc) {
            scala.Option<String> attempt = sc.sc().applicationAttemptId();
            return new Application(sc.sc().applicationId(), attempt.isDefined() ? attempt.get() : null, sc.sc());
        }

        /** True for a later attempt of the application that {@code held} records. */
        boolean retries(String heldApplication) {
            return attempt != null && !attempt.equals("1") && id.equals(heldApplication);
        }
    }

    /**
     * Decides, for a training command whose inputs are all validated, whether it starts a new run or
     * resumes the one in this directory, and records {@code identity} in {@code run.json} (a resumed
     * run's only through {@link #recordIdentity()}, once its checks have passed). Nothing is
     * deleted before this call: the caller validates config and inputs first, and the directory is
     * checked to be writable before {@code --overwrite} empties it.
     * <ul>
     *   <li>files but no run here (someone else's): refused unless {@code --overwrite}, which deletes them;</li>
     *   <li>another live job writing here (its {@code lease.json}): refused naming it, before anything is
     *       deleted; otherwise this job takes the lease ({@link RunLease});</li>
     *   <li>no run here: a new run;</li>
     *   <li>a later YARN attempt of the application that claimed the run: resume (whatever the flags,
     *       so {@code --overwrite} never deletes attempt 1's checkpoints);</li>
     *   <li>{@code --resume}: resume (the job checks the architecture against the checkpoint);</li>
     *   <li>{@code --overwrite}: delete the old run, start a new one;</li>
     *   <li>no flag and the same command, inputs and config: resume (a rerun after a crash or
     *       preemption); anything else is refused naming what differs.</li>
     * </ul>
     */
    public Start claim(RunIdentity identity, boolean resume, boolean overwrite, Application application) {
        FileSystem fs = fs();
        try {
            requireWritableDirectory(fs);
            boolean runHere = holdsRun(fs);
            if (!runHere) {
                refuseForeignFiles(fs, overwrite);
            }
            takeLease(fs, application);
            Path runJson = file(RunIdentity.FILE);
            RunIdentity.Held held = fs.exists(runJson)
                    ? RunIdentity.fromJson(PrepareJob.readString(runJson, conf), runJson.toString()) : null;
            Start start = decide(fs, identity, held, resume, overwrite, application);
            if (start == Start.RESUME && held != null) {
                inputChanges = held.identity().inputDifferences(identity);
            }
            pendingIdentity = identity.toJson(application.id());
            if (start == Start.NEW || held == null) {
                recordIdentity();
            }
            return start;
        } catch (IOException e) {
            throw notWritable(e);
        }
    }

    /**
     * For a resumed run, the inputs this command reads that differ from the ones the run recorded
     * (URIs or contents), e.g. {@code --corpus file:/a (this command: file:/b)}; empty otherwise.
     */
    public java.util.List<String> inputChanges() {
        return inputChanges;
    }

    /**
     * Writes {@code run.json} for the command that claimed the run. A run that is resumed keeps the
     * identity it has until the resume checks have passed (the engine records it when training
     * starts): a refused {@code --resume} must not make the original command look like another run.
     */
    public void recordIdentity() {
        if (pendingIdentity != null) {
            writeString(RunIdentity.FILE, pendingIdentity);
            pendingIdentity = null;
        }
    }

    /**
     * Takes the run's writer lease ({@link RunLease}) before anything in the directory is deleted or
     * written, and releases it when the Spark application ends.
     */
    private RunLease takeLease(FileSystem fs, Application application) throws IOException {
        org.apache.spark.SparkContext sc = application.context();
        Runnable onLost = sc == null ? () -> { } : () -> new Thread(sc::stop, "sparkformer-lease-lost").start();
        RunLease taken = RunLease.acquire(fs, root, application, onLost);
        if (sc != null) {
            sc.addSparkListener(new org.apache.spark.scheduler.SparkListener() {
                @Override
                public void onApplicationEnd(org.apache.spark.scheduler.SparkListenerApplicationEnd end) {
                    taken.close();
                }
            });
        }
        return taken;
    }

    /**
     * A directory that holds files but no run (someone else's, or a typo for another directory) is
     * not trained into: its files would be mixed with the run's, and {@code --overwrite} would later
     * delete them. With {@code --overwrite} the user says they may go.
     */
    private void refuseForeignFiles(FileSystem fs, boolean overwrite) throws IOException {
        List<String> foreign = new ArrayList<>();
        for (FileStatus s : fs.listStatus(root)) {
            String name = s.getPath().getName();
            if (!isOurs(name)) {
                foreign.add(name + (s.isDirectory() ? "/" : ""));
            }
        }
        if (foreign.isEmpty() || overwrite) {
            return;
        }
        java.util.Collections.sort(foreign);
        String shown = String.join(", ", foreign.subList(0, Math.min(3, foreign.size())))
                + (foreign.size() > 3 ? " and " + (foreign.size() - 3) + " more" : "");
        throw new InputException("output " + root + " is not empty and holds no Sparkformer run (it has " + shown
                + "): choose a new or empty directory, or pass --overwrite to delete its contents");
    }

    /** The lease and the hidden temporary files this class writes, which a claim may find left over. */
    private static boolean isOurs(String name) {
        return name.equals(RunLease.FILE) || name.startsWith(".write-probe-")
                || (name.startsWith(".") && name.endsWith(".tmp"));
    }

    /**
     * A claim that cannot write: a permission problem is the user's choice of {@code --out} (exit 2);
     * anything else (safe mode, a quota, an unreachable namenode, an expired token) is a storage
     * fault that may pass (exit 1).
     */
    private RuntimeException notWritable(IOException e) {
        String cause = e.getMessage() == null ? e.toString() : e.getMessage().split("\n")[0];
        if (e instanceof org.apache.hadoop.security.AccessControlException
                || e instanceof java.nio.file.AccessDeniedException
                || (e instanceof java.io.FileNotFoundException && cause.contains("Permission denied"))) {
            return new InputException("output " + root + " is not writable: " + cause, e);
        }
        return new io.sparkformer.data.StorageException("cannot prepare output " + root + ": "
                + io.sparkformer.data.StorageException.firstLine(e), e);
    }

    private Start decide(FileSystem fs, RunIdentity identity, RunIdentity.Held held, boolean resume,
                         boolean overwrite, Application application) throws IOException {
        if (!holdsRun(fs)) {
            if (overwrite) {
                deleteContents(fs);   // someone else's files: --overwrite said they may go
            }
            return Start.NEW;
        }
        if (held != null && application.retries(held.application())) {
            LOG.warn("Attempt {} of application {}: resuming the run its first attempt started in {}",
                    application.attempt(), application.id(), root);
            return Start.RESUME;
        }
        if (resume) {
            return Start.RESUME;
        }
        if (overwrite) {
            deleteContents(fs);
            return Start.NEW;
        }
        if (held == null) {
            throw new InputException("output " + root + " already holds a run (without " + RunIdentity.FILE
                    + ", so not known to be this command's): pass --resume to continue it or --overwrite to replace it");
        }
        java.util.List<String> diffs = held.identity().differences(identity);
        if (!diffs.isEmpty()) {
            throw new InputException("output " + root + " already holds another run (" + String.join("; ", diffs)
                    + "): pass --resume to continue it with this command or --overwrite to replace it");
        }
        LOG.info("{} holds a run of this same command, inputs and config: resuming it (--overwrite starts over)",
                root);
        return Start.RESUME;
    }

    /**
     * The claim of commands that only create a run ({@code import}, which runs without Spark): an
     * output holding a run needs {@code --overwrite}; also fails fast when the output is not writable.
     * The run's lease is taken first, as {@link #claim(RunIdentity, boolean, boolean, Application)}
     * takes it, so that a run another job is writing is never deleted; the caller closes it when done.
     */
    public RunLease claim(boolean overwrite) {
        FileSystem fs = fs();
        RunLease lease = null;
        try {
            requireWritableDirectory(fs);
            if (holdsRun(fs) && !overwrite) {
                throw new InputException("output " + root + " already holds a run: pass --overwrite to replace it");
            } else if (!holdsRun(fs)) {
                refuseForeignFiles(fs, overwrite);
            }
            lease = takeLease(fs, new Application("import-" + UUID.randomUUID(), null));
            if (overwrite) {
                deleteContents(fs);
            }
            return lease;
        } catch (IOException e) {
            closeQuietly(lease);
            throw notWritable(e);
        } catch (RuntimeException e) {
            closeQuietly(lease);
            throw e;
        }
    }

    private static void closeQuietly(RunLease lease) {
        if (lease != null) {
            lease.close();
        }
    }

    private boolean holdsRun(FileSystem fs) throws IOException {
        return fs.exists(file(CONFIG)) || fs.exists(file(CheckpointStore.CHECKPOINTS)) || fs.exists(file(RunIdentity.FILE));
    }

    /** Creates the directory and writes a probe file in it: before anything is deleted. */
    private void requireWritableDirectory(FileSystem fs) throws IOException {
        if (fs.exists(root) && !fs.getFileStatus(root).isDirectory()) {
            throw new InputException("output " + root + " is a file, not a directory");
        }
        fs.mkdirs(root);
        Path probe = new Path(root, ".write-probe-" + UUID.randomUUID());
        try (var out = fs.create(probe, false)) {
            out.write(1);
        }
        fs.delete(probe, false);
    }

    /** Deletes everything but the lease (which this job holds by now). */
    private void deleteContents(FileSystem fs) throws IOException {
        FileStatus[] entries = fs.listStatus(root);
        if (java.util.Arrays.stream(entries).allMatch(s -> isOurs(s.getPath().getName()))) {
            return;
        }
        LOG.info("--overwrite: deleting the contents of {}", root);
        for (FileStatus s : entries) {
            if (!s.getPath().getName().equals(RunLease.FILE)) {
                fs.delete(s.getPath(), true);
            }
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
