package io.sparkformer.job.cluster;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/**
 * Separate JVMs for cluster tests (Spark masters, workers, spark-submit), started from this test
 * JVM's classpath with the Java 17 options of {@code submit/java17-opens.txt}, their output in a
 * log file, and all of them stopped by {@link #close()}.
 */
public final class ClusterProcesses implements AutoCloseable {
    private final List<Process> started = new ArrayList<>();
    private final Path logs;

    ClusterProcesses(Path logs) {
        this.logs = logs;
        try {
            Files.createDirectories(logs);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** This JVM's classpath as plain entries (surefire may hand it over as a manifest-only jar). */
    static List<String> classpath() {
        List<String> out = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (entry.endsWith(".jar") && new File(entry).getName().startsWith("surefirebooter")) {
                try (JarFile jar = new JarFile(entry)) {
                    Manifest m = jar.getManifest();
                    for (String url : m.getMainAttributes().getValue("Class-Path").split(" ")) {
                        if (!url.isBlank()) {
                            out.add(new File(java.net.URI.create(url)).getPath());
                        }
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            } else {
                out.add(entry);
            }
        }
        return out;
    }

    public static String classpathString() {
        return String.join(File.pathSeparator, classpath());
    }

    /** The project's root (the parent of job/). */
    static Path projectRoot() {
        return Path.of("").toAbsolutePath().getParent();
    }

    /** The --add-opens list Spark needs on Java 17, one string. */
    public static String java17Options() {
        try {
            return String.join(" ", Files.readAllLines(projectRoot().resolve("submit/java17-opens.txt"))).trim();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Starts {@code java [jvmOptions] -cp <classpath> mainClass args}, output to logs/name.log. */
    Process java(String name, List<String> jvmOptions, Map<String, String> env, String mainClass, List<String> args) {
        return java(name, jvmOptions, env, null, mainClass, args);
    }

    /** As above with {@code classpathPrefix} (e.g. a Hadoop conf directory) before this JVM's classpath. */
    Process java(String name, List<String> jvmOptions, Map<String, String> env, String classpathPrefix,
                 String mainClass, List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(List.of(java17Options().split("\\s+")));
        cmd.addAll(jvmOptions);
        cmd.add("-cp");
        cmd.add(classpathPrefix == null ? classpathString() : classpathPrefix + File.pathSeparator + classpathString());
        cmd.add(mainClass);
        cmd.addAll(args);
        return start(name, env, cmd);
    }

    /** Starts any command, output to logs/name.log. */
    Process start(String name, Map<String, String> env, List<String> cmd) {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log(name).toFile());
        pb.environment().putAll(env);
        try {
            Process p = pb.start();
            started.add(p);
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * SPARK_SUBMIT_OPTS for a client-mode driver (Spark's launcher adds it to the spark-submit JVM):
     * the project's log4j2 configuration, so the driver logs as the embedded launcher does.
     */
    static String driverLogging() {
        return "-Dlog4j.configurationFile=" + projectRoot().resolve("conf/log4j2.properties");
    }

    Path log(String name) {
        return logs.resolve(name + ".log");
    }

    String logText(String name) {
        try {
            return Files.readString(log(name), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /** Waits for a process to exit and returns its exit code; kills it on timeout. */
    static int await(Process p, Duration timeout) throws InterruptedException {
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            throw new AssertionError("process " + p.pid() + " still running after " + timeout);
        }
        return p.exitValue();
    }

    static void waitUntil(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        waitUntil(what, timeout, Duration.ofMillis(200), condition);
    }

    /** As {@link #waitUntil(String, Duration, BooleanSupplier)}, testing every {@code poll}. */
    static void waitUntil(String what, Duration timeout, Duration poll, BooleanSupplier condition)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout + " waiting for " + what);
            }
            Thread.sleep(poll.toMillis());
        }
    }

    @Override
    public void close() {
        for (Process p : started) {
            p.descendants().forEach(ProcessHandle::destroy);
            p.destroy();
        }
        for (Process p : started) {
            try {
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
