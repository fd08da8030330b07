package io.sparkformer.job.train;

import io.sparkformer.InputException;
import io.sparkformer.job.LogLines;
import io.sparkformer.job.cluster.ClusterProcesses;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The holder of a run directory's lease keeps it live by renewing it, so a second job is refused for
 * as long as the first runs; a holder that stops renewing (here a stopped process, as in a frozen VM)
 * loses the lease to the next job once {@link RunLease#STALE_AFTER} has passed, and when it runs
 * again it finds the lease taken and stops its job. The holder is a JVM of its own
 * ({@link LeaseHolderProcess}), as another driver would be, renewing every 200 ms instead of every
 * minute.
 */
class RunLeaseRenewalTest {
    private static final String HOLDER_APP = "application_1764630000000_0001";
    private static final RunDirectory.Application SECOND = new RunDirectory.Application("application_1764630000000_0002", "1");

    @Test
    void aRenewedLeaseRefusesASecondJobAndOneNoLongerRenewedIsTakenOverFromItsHolder(@TempDir java.nio.file.Path dir)
            throws Exception {
        Path root = new Path(dir.toUri().toString());
        FileSystem fs = root.getFileSystem(new Configuration());
        java.nio.file.Path lease = dir.resolve(RunLease.FILE);
        java.nio.file.Path holderLog = Files.createTempFile("lease-holder", ".log");
        Process holder = new ProcessBuilder(holderCommand(dir)).redirectError(holderLog.toFile()).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8))) {
            assertEquals("held", out.readLine(), () -> read(holderLog));
            String held = Files.readString(lease);

            // Set back past STALE_AFTER, the lease is renewed: the second job finds it live.
            Files.setLastModifiedTime(lease, FileTime.from(Instant.now().minus(Duration.ofMinutes(11))));
            awaitRenewed(lease);
            InputException refused = assertThrows(InputException.class,
                    () -> RunLease.acquire(fs, root, SECOND, () -> { }));
            String prefix = "output " + root + " is in use by another job (application " + HOLDER_APP + " (attempt 1), host "
                    + InetAddress.getLocalHost().getHostName() + ", pid " + holder.pid() + ", started ";
            assertTrue(refused.getMessage().startsWith(prefix), refused.getMessage());
            Matcher renewed = Pattern.compile("; lease\\.json renewed (\\d+) s ago\\)").matcher(refused.getMessage());
            assertTrue(renewed.find() && Integer.parseInt(renewed.group(1)) <= 5, refused.getMessage());
            assertEquals(held, Files.readString(lease), "the holder's lease untouched");

            // The holder stops (no renewal) past STALE_AFTER: the second job takes the lease over.
            signal(holder, "STOP");
            Files.setLastModifiedTime(lease, FileTime.from(Instant.now().minus(Duration.ofMinutes(11))));
            List<String> log;
            String taken;
            try (LogLines lines = new LogLines("io.sparkformer");
                 RunLease second = RunLease.acquire(fs, root, SECOND, () -> { })) {
                log = lines.lines();
                taken = Files.readString(lease);
                // Running again, the holder finds its lease taken at its next renewal and stops its job.
                signal(holder, "CONT");
                assertTrue(holder.waitFor(30, TimeUnit.SECONDS), "the holder did not stop");
                assertEquals(LeaseHolderProcess.LOST, holder.exitValue(), read(holderLog));
                assertEquals("lost", out.readLine());
                assertEquals(taken, Files.readString(lease), "the holder leaves the second job's lease alone");
            }
            assertEquals(1, log.size(), log.toString());
            assertTrue(log.get(0).startsWith("WARN Taking over the lease of " + root + ": application " + HOLDER_APP)
                    && log.get(0).endsWith(" has not renewed it for 11 min (stale after 10 min)"), log.get(0));
            assertTrue(taken.contains(SECOND.id()), taken);
            assertTrue(read(holderLog).contains("ERROR RunLease: The lease " + new Path(root, RunLease.FILE)
                    + " was taken over by another job (application " + SECOND.id()), read(holderLog));
            assertFalse(Files.exists(lease), "the second job released its lease on close");
        } finally {
            holder.destroyForcibly();
        }
    }

    private static List<String> holderCommand(java.nio.file.Path dir) {
        List<String> cmd = new ArrayList<>(List.of(
                java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(List.of(ClusterProcesses.java17Options().split("\\s+")));
        cmd.addAll(List.of("-cp", ClusterProcesses.classpathString(), LeaseHolderProcess.class.getName(),
                dir.toUri().toString(), HOLDER_APP, "200"));
        return cmd;
    }

    /** Waits until the lease's modification time is within the last 5 s. */
    private static void awaitRenewed(java.nio.file.Path lease) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (Files.getLastModifiedTime(lease).toInstant().isBefore(Instant.now().minusSeconds(5))) {
            assertTrue(System.nanoTime() < deadline, "the lease was not renewed within 30 s");
            Thread.sleep(50);
        }
    }

    /** Sends {@code signal} to the process and, for STOP, waits until it is stopped (Linux's /proc). */
    private static void signal(Process p, String signal) throws Exception {
        assertEquals(0, new ProcessBuilder("kill", "-" + signal, String.valueOf(p.pid())).start().waitFor());
        java.nio.file.Path stat = java.nio.file.Path.of("/proc", String.valueOf(p.pid()), "stat");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (signal.equals("STOP") && !state(stat).equals("T")) {
            assertTrue(System.nanoTime() < deadline, "process " + p.pid() + " did not stop");
            Thread.sleep(20);
        }
    }

    /** The state letter of /proc/PID/stat (after the command name in parentheses). */
    private static String state(java.nio.file.Path stat) throws Exception {
        String s = Files.readString(stat);
        return s.substring(s.lastIndexOf(')') + 2, s.lastIndexOf(')') + 3);
    }

    private static String read(java.nio.file.Path file) {
        try {
            return Files.readString(file);
        } catch (java.io.IOException e) {
            return "(cannot read " + file + ": " + e + ")";
        }
    }
}
