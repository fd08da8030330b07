package io.sparkformer.job.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkformer.job.Cli;
import io.sparkformer.job.LogLines;
import io.sparkformer.job.TestCorpus;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One writer per run directory ({@code lease.json}) and no training into someone else's files. The
 * leases are written as a running job writes them (the file format is the contract): a job on
 * another host that renewed its lease, a live process on this host, a holder gone for good.
 */
class RunLeaseTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    static Path dir;
    private static String corpus;

    @BeforeAll
    static void setUp() throws Exception {
        TestCorpus.useLocalSpark();
        corpus = TestCorpus.writeShakespeare(dir, 30000);
    }

    @AfterAll
    static void tearDown() {
        TestCorpus.clearLocalSpark();
    }

    private static String[] train(Path out, String... more) {
        return TestCorpus.tinyTrain(corpus, out.toString(), 5, more);
    }

    /** Writes {@code out/lease.json} as its holder would, last renewed {@code minutesAgo} minutes ago. */
    private static Path lease(Path out, String application, String attempt, String host, long pid, int minutesAgo)
            throws Exception {
        Files.createDirectories(out);
        Path lease = out.resolve("lease.json");
        Files.writeString(lease, "{\"token\":\"7f3c\",\"application\":\"" + application + "\",\"attempt\":\"" + attempt
                + "\",\"host\":\"" + host + "\",\"pid\":" + pid + ",\"started\":\"2026-12-02T01:00:00Z\"}\n");
        Files.setLastModifiedTime(lease, FileTime.from(Instant.now().minusSeconds(60L * minutesAgo)));
        return lease;
    }

    /** Every file under {@code root} with its SHA-256. */
    private static Map<String, String> contents(Path root) throws Exception {
        Map<String, String> files = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.filter(Files::isRegularFile).toList()) {
                files.put(root.relativize(p).toString(), java.util.HexFormat.of().formatHex(
                        java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p))));
            }
        }
        return files;
    }

    private static String thisHost() throws Exception {
        return InetAddress.getLocalHost().getHostName();
    }

    @Test
    void aSecondJobOnARunDirectoryInUseIsRefusedNamingTheHolder() throws Exception {
        Path out = dir.resolve("busy");
        assertEquals(0, Cli.run(train(out)).code());
        assertFalse(Files.exists(out.resolve("lease.json")), "a finished job releases its lease");
        // A job still running on this host: a live process holds the lease, renewed a minute ago.
        Process holder = new ProcessBuilder("sleep", "600").start();
        try {
            lease(out, "application_1764630000000_0042", "1", thisHost(), holder.pid(), 1);
            Map<String, String> before = contents(out);

            Cli.Result r = Cli.run(train(out, "--set", "train.steps=10"));   // even with --overwrite below
            Cli.Result o = Cli.run(train(out, "--overwrite"));

            for (Cli.Result result : List.of(r, o)) {
                assertEquals(2, result.code(), result.err());
                String line = result.err().lines().filter(l -> l.startsWith("sparkformer train: error: ")).findFirst()
                        .orElseThrow(() -> new AssertionError(result.err()));
                assertTrue(line.startsWith("sparkformer train: error: output file:" + out + " is in use by another job"
                        + " (application application_1764630000000_0042 (attempt 1), host " + thisHost() + ", pid "
                        + holder.pid() + ", started 2026-12-02T01:00:00Z; lease.json renewed 6"), line);
                assertTrue(line.endsWith(" s ago): two jobs must not write one run directory; wait for it to end, or use"
                        + " another --out (a lease not renewed for 10 min is taken over)"), line);
            }
            assertEquals(before, contents(out), "nothing written or deleted, the lease untouched");
        } finally {
            holder.destroy();
        }
    }

    @Test
    void anImportWithOverwriteOntoARunDirectoryInUseIsRefusedNamingTheHolder() throws Exception {
        Path trained = dir.resolve("to-export");
        assertEquals(0, Cli.run(train(trained, "--set", "model.tiedEmbeddings=false")).code());
        Path hf = dir.resolve("exported-hf");
        Cli.Result exported = Cli.run("export", "--checkpoint", trained.toString(), "--out", hf.toString());
        assertEquals(0, exported.code(), exported.err());
        Path out = dir.resolve("busy-import");
        assertEquals(0, Cli.run(train(out)).code());
        Process holder = new ProcessBuilder("sleep", "600").start();
        try {
            lease(out, "application_1764630000000_0043", "1", thisHost(), holder.pid(), 1);
            Map<String, String> before = contents(out);

            Cli.Result r = Cli.run("import", "--from", hf.toString(), "--out", out.toString(), "--overwrite");

            assertEquals(2, r.code(), r.err());
            String line = r.err().lines().filter(l -> l.startsWith("sparkformer import: error: ")).findFirst()
                    .orElseThrow(() -> new AssertionError(r.err()));
            assertTrue(line.startsWith("sparkformer import: error: output file:" + out + " is in use by another job"
                    + " (application application_1764630000000_0043 (attempt 1), host " + thisHost() + ", pid "
                    + holder.pid() + ", started 2026-12-02T01:00:00Z; lease.json renewed 6"), line);
            assertEquals(before, contents(out), "nothing written or deleted, the lease untouched");
        } finally {
            holder.destroy();
            holder.waitFor();
        }
        // Its holder gone, the import replaces the run and releases the lease it took.
        Cli.Result again = Cli.run("import", "--from", hf.toString(), "--out", out.toString(), "--overwrite");
        assertEquals(0, again.code(), again.err());
        assertEquals("step-000000", Files.readString(out.resolve("checkpoints/LATEST")).strip());
        assertFalse(Files.exists(out.resolve("lease.json")), "released when the import ended");
    }

    @Test
    void aStaleLeaseOrOneWhoseProcessIsGoneIsTakenOver() throws Exception {
        Path out = dir.resolve("stale");
        assertEquals(0, Cli.run(train(out)).code());
        // A job on another host that stopped renewing 11 minutes ago (its node was lost).
        lease(out, "application_1764630000000_0007", "1", "node7.example.org", 4242, 11);
        try (LogLines log = new LogLines("io.sparkformer")) {
            Cli.Result r = Cli.run(train(out, "--resume", "--set", "train.steps=10"));
            assertEquals(0, r.code(), r.err());
            assertTrue(log.lines().contains("WARN Taking over the lease of file:" + out + ": application"
                    + " application_1764630000000_0007 (attempt 1), host node7.example.org, pid 4242, started"
                    + " 2026-12-02T01:00:00Z has not renewed it for 11 min (stale after 10 min)"),
                    String.join("\n", log.lines()));
        }
        // A driver on this host that was killed (SIGKILL: no release) a moment ago: the pid is gone.
        Process dead = new ProcessBuilder("true").start();
        dead.waitFor();
        lease(out, "application_1764630000000_0008", "1", thisHost(), dead.pid(), 0);
        String host = thisHost();
        try (LogLines log = new LogLines("io.sparkformer")) {
            Cli.Result r = Cli.run(train(out, "--resume", "--set", "train.steps=15"));
            assertEquals(0, r.code(), r.err());
            assertTrue(log.lines().stream().anyMatch(l -> l.startsWith("WARN Taking over the lease of file:" + out
                    + ": its holder (application application_1764630000000_0008 (attempt 1), host " + host)
                    && l.endsWith(") is no longer running on this host")), String.join("\n", log.lines()));
        }
        assertTrue(Files.exists(out.resolve("checkpoints/step-000015")));
        assertFalse(Files.exists(out.resolve("lease.json")), "released when the job ended");
    }

    @Test
    void aLaterYarnAttemptTakesTheLeaseOfItsFirstAttempt() throws Exception {
        Path out = dir.resolve("attempt");
        // Attempt 1's driver (on another node) renewed the lease a minute before it was killed.
        lease(out, "application_1764630000000_0009", "1", "node3.example.org", 777, 1);
        RunIdentity identity = RunIdentity.of("train", "train {\n  steps = 10\n}\n").with("corpus", "file:/c.txt");
        RunDirectory run = new RunDirectory(out.toString(), new Configuration());

        RuntimeException other = assertThrows(IllegalArgumentException.class, () -> run.claim(identity, false, false,
                new RunDirectory.Application("application_1764630000000_0010", "1")));
        assertTrue(other.getMessage().contains("is in use by another job (application application_1764630000000_0009"
                + " (attempt 1), host node3.example.org, pid 777"), other.getMessage());

        run.claim(identity, false, false, new RunDirectory.Application("application_1764630000000_0009", "2"));
        JsonNode taken = JSON.readTree(Files.readString(out.resolve("lease.json")));
        assertEquals("application_1764630000000_0009", taken.get("application").asText());
        assertEquals("2", taken.get("attempt").asText());
        assertEquals(ProcessHandle.current().pid(), taken.get("pid").asLong());
    }

    @Test
    void anOutputHoldingSomeoneElsesFilesIsRefusedUnlessOverwrite() throws Exception {
        Path out = dir.resolve("photos");
        Files.createDirectories(out.resolve("2025"));
        Files.writeString(out.resolve("notes.txt"), "not a run\n");
        Files.writeString(out.resolve("2025/beach.jpg"), "jpeg\n");
        Map<String, String> before = contents(out);

        Cli.Result r = Cli.run(train(out));
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("sparkformer train: error: output file:" + out + " is not empty and holds no"
                + " Sparkformer run (it has 2025/, notes.txt): choose a new or empty directory, or pass --overwrite to"
                + " delete its contents"), r.err());
        assertEquals(before, contents(out), "nothing written or deleted");
        assertEquals(List.of("2025", "notes.txt"), Files.list(out).map(p -> p.getFileName().toString()).sorted().toList());

        Cli.Result o = Cli.run(train(out, "--overwrite"));
        assertEquals(0, o.code(), o.err());
        assertFalse(Files.exists(out.resolve("notes.txt")));
        assertTrue(Files.exists(out.resolve("checkpoints/step-000005")));
    }
}
