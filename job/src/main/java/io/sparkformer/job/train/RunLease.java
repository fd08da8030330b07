package io.sparkformer.job.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkformer.InputException;
import io.sparkformer.data.StorageException;
import org.apache.hadoop.fs.FileAlreadyExistsException;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The exclusive writer lease of a run directory, {@code lease.json}: two jobs writing one run would
 * delete each other's temporary checkpoint files and interleave their metrics. The holder renews the
 * lease every {@link #RENEW_EVERY} by touching the file (its modification time, set through the file
 * system, is what every other job reads) and deletes it when its Spark application ends. A job that
 * finds a lease refuses to start (exit 2) naming the holder, unless the lease is stale:
 * <ul>
 *   <li>not renewed for {@link #STALE_AFTER} (the holder died without releasing it, or lost its storage);</li>
 *   <li>held by a process on this host that no longer exists (a killed driver rerun on the same machine);</li>
 *   <li>held by an earlier attempt of the same Spark application (a YARN re-attempt), by this
 *       application itself, or by this JVM (a later command in the same driver).</li>
 * </ul>
 * Creating the file is atomic on HDFS ({@code create} without overwrite); on file systems where it is
 * not, two jobs starting in the same instant could both pass, and the lease is then read back to
 * catch that. A holder that finds its lease taken over (it was paused longer than {@link #STALE_AFTER})
 * calls its {@code onLost} action, which stops its Spark application.
 */
public final class RunLease implements AutoCloseable {
    static final String FILE = "lease.json";
    static final Duration STALE_AFTER = Duration.ofMinutes(10);
    static final Duration RENEW_EVERY = Duration.ofMinutes(1);

    private static final Logger LOG = LoggerFactory.getLogger(RunLease.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The leases this JVM holds, by token: a second claim in the same driver replaces its own lease. */
    private static final java.util.Map<String, RunLease> HELD = new java.util.concurrent.ConcurrentHashMap<>();

    /** Who holds a lease: what a refused job prints. {@code token} is unique per acquisition. */
    record Holder(String token, String application, String attempt, String host, long pid, String started) {
        static Holder ofThisProcess(RunDirectory.Application application) {
            return new Holder(UUID.randomUUID().toString(), application.id(), application.attempt(), thisHost(),
                    ProcessHandle.current().pid(), Instant.now().toString());
        }

        String toJson() {
            ObjectNode n = JSON.createObjectNode();
            n.put("token", token);
            n.put("application", application);
            n.put("attempt", attempt);
            n.put("host", host);
            n.put("pid", pid);
            n.put("started", started);
            return n.toPrettyString() + "\n";
        }

        /** The holder in {@code text}; null if it is not a lease (empty, half written, garbled). */
        static Holder fromJson(String text) {
            JsonNode n;
            try {
                n = JSON.readTree(text);
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                return null;
            }
            if (n == null || !n.has("token")) {
                return null;
            }
            return new Holder(n.path("token").asText(), n.path("application").asText(),
                    n.path("attempt").isNull() ? null : n.path("attempt").asText(null), n.path("host").asText(),
                    n.path("pid").asLong(-1), n.path("started").asText());
        }

        String describe() {
            return "application " + application + (attempt == null ? "" : " (attempt " + attempt + ")") + ", host "
                    + host + ", pid " + pid + ", started " + started;
        }
    }

    private final FileSystem fs;
    private final Path file;
    private final Holder holder;
    private final Duration renewEvery;
    private final ScheduledExecutorService renewal;
    private volatile boolean released;

    private RunLease(FileSystem fs, Path file, Holder holder, Runnable onLost, Duration renewEvery) {
        this.fs = fs;
        this.file = file;
        this.holder = holder;
        this.renewEvery = renewEvery;
        this.renewal = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "sparkformer-lease " + file);
            t.setDaemon(true);
            return t;
        });
        renewal.scheduleWithFixedDelay(() -> renew(onLost), renewEvery.toMillis(), renewEvery.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    /**
     * Takes the lease of run directory {@code root} for {@code application}, or refuses naming its holder.
     *
     * @param onLost what to do if another job takes the lease over while this one runs
     * @throws InputException if a live job holds it
     */
    static RunLease acquire(FileSystem fs, Path root, RunDirectory.Application application, Runnable onLost)
            throws IOException {
        return acquire(fs, root, application, onLost, RENEW_EVERY);
    }

    /** {@link #acquire(FileSystem, Path, RunDirectory.Application, Runnable)}, renewing every {@code renewEvery} (tests). */
    static RunLease acquire(FileSystem fs, Path root, RunDirectory.Application application, Runnable onLost,
                            Duration renewEvery) throws IOException {
        Path file = new Path(root, FILE);
        Holder mine = Holder.ofThisProcess(application);
        FileStatus status = status(fs, file);
        if (status == null) {
            try {
                write(fs, file, mine, false);
            } catch (FileAlreadyExistsException e) {   // another job created it in the meantime
                status = status(fs, file);
            }
        }
        RunLease previous = null;
        if (status != null) {
            Holder held = read(fs, file);
            previous = held == null ? null : HELD.get(held.token());
            if (previous == null) {
                takeOverOrRefuse(root, application, held, status);
            }
            write(fs, file, mine, true);
        }
        Holder after = read(fs, file);
        if (after == null || !after.token().equals(mine.token())) {
            throw new InputException("output " + root + " is in use by another job that took its " + FILE
                    + " at the same time" + (after == null ? "" : " (" + after.describe() + ")"));
        }
        if (previous != null) {
            previous.stop();   // this JVM claims the directory again (a later command in the same driver)
        }
        RunLease lease = new RunLease(fs, file, mine, onLost, renewEvery);
        HELD.put(mine.token(), lease);
        return lease;
    }

    private static void takeOverOrRefuse(Path root, RunDirectory.Application application, Holder held,
                                         FileStatus status) {
        Duration age = Duration.ofMillis(Math.max(0, System.currentTimeMillis() - status.getModificationTime()));
        String who = held == null ? "an unreadable " + FILE : held.describe();
        if (held != null && held.application().equals(application.id())) {
            if (!java.util.Objects.equals(held.attempt(), application.attempt())) {
                LOG.warn("Attempt {} of application {} takes over the lease of {} from its earlier attempt ({})",
                        application.attempt(), application.id(), root, who);
            }
            return;
        }
        if (held != null && held.host().equals(thisHost()) && ProcessHandle.of(held.pid()).isEmpty()) {
            LOG.warn("Taking over the lease of {}: its holder ({}) is no longer running on this host", root, who);
            return;
        }
        if (age.compareTo(STALE_AFTER) > 0) {
            LOG.warn("Taking over the lease of {}: {} has not renewed it for {} min (stale after {} min)", root, who,
                    age.toMinutes(), STALE_AFTER.toMinutes());
            return;
        }
        throw new InputException("output " + root + " is in use by another job (" + who + "; " + FILE
                + " renewed " + age.toSeconds() + " s ago): two jobs must not write one run directory; wait for it to"
                + " end, or use another --out (a lease not renewed for " + STALE_AFTER.toMinutes()
                + " min is taken over)");
    }

    /** Deletes the lease if this job still holds it; stops renewing it. Idempotent. */
    @Override
    public void close() {
        if (released) {
            return;
        }
        stop();
        try {
            Holder held = read(fs, file);
            if (held != null && held.token().equals(holder.token())) {
                fs.delete(file, false);
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot release the lease {} ({}); the next job takes it over once it is stale", file,
                    StorageException.firstLine(e));
        }
    }

    private void stop() {
        released = true;
        renewal.shutdownNow();
        HELD.remove(holder.token());
    }

    private void renew(Runnable onLost) {
        if (released) {
            return;
        }
        try {
            Holder held = read(fs, file);
            if (held == null) {
                LOG.warn("{} disappeared; writing it again", file);
                write(fs, file, holder, true);
            } else if (!held.token().equals(holder.token())) {
                LOG.error("The lease {} was taken over by another job ({}) while this one ran: stopping this job so"
                        + " that the two do not write the same run directory", file, held.describe());
                stop();
                onLost.run();
                return;
            }
            fs.setTimes(file, System.currentTimeMillis(), -1);
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot renew the lease {} ({}); trying again in {} s", file, StorageException.firstLine(e),
                    renewEvery.toSeconds());
        }
    }

    private static FileStatus status(FileSystem fs, Path file) throws IOException {
        try {
            return fs.getFileStatus(file);
        } catch (FileNotFoundException e) {
            return null;
        }
    }

    /** The holder written in {@code file}; null if there is no file or it is not a lease (e.g. half written). */
    private static Holder read(FileSystem fs, Path file) throws IOException {
        try (var in = fs.open(file)) {
            return Holder.fromJson(new String(in.readNBytes(64 * 1024), StandardCharsets.UTF_8));
        } catch (FileNotFoundException e) {
            return null;
        }
    }

    private static void write(FileSystem fs, Path file, Holder holder, boolean overwrite) throws IOException {
        try (var out = fs.create(file, overwrite)) {
            out.write(holder.toJson().getBytes(StandardCharsets.UTF_8));
        }
    }

    private static String thisHost() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            String env = System.getenv("HOSTNAME");
            return env == null ? "unknown" : env;
        }
    }
}
