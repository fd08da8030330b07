package io.sparkformer.job.cluster;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * What the cluster tests ({@code *IT}, run by failsafe after {@code package}) submit and submit to:
 * the shaded app jar this build just made, and the Spark installation of spark-dist's
 * {@code target/spark-home} (jars/ from Maven Central, bin/spark-submit and spark-class running
 * Spark's own launcher, RELEASE, conf/spark-env.sh) — the same paths a user takes on a cluster.
 * Both come from failsafe's system properties (job/pom.xml).
 */
final class SparkDistribution {
    private SparkDistribution() {
    }

    /** The shaded app jar ({@code job/target/sparkformer-job-*-app.jar}). */
    static Path appJar() {
        Path jar = Path.of(required("sparkformer.appJar"));
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("no app jar " + jar + ": the cluster tests run after `mvn package` (failsafe)");
        }
        return jar;
    }

    /** The SPARK_HOME, its scripts made executable (Maven's resource copy drops the bits). */
    static Path home() {
        Path home = Path.of(required("sparkformer.sparkHome"));
        Path jars = home.resolve("jars");
        if (!Files.isDirectory(jars) || !Files.isRegularFile(home.resolve("RELEASE"))) {
            throw new IllegalStateException("no Spark distribution at " + home + ": spark-dist builds it at `package`");
        }
        try (Stream<Path> jarNames = Files.list(jars)) {
            // The job's classes must reach driver and executors through the app jar alone.
            jarNames.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("nd4j") || n.startsWith("sparkformer"))
                    .findAny().ifPresent(n -> {
                        throw new IllegalStateException("the Spark distribution " + home + " holds " + n);
                    });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try (Stream<Path> scripts = Files.list(home.resolve("bin"))) {
            scripts.map(Path::toFile).forEach(f -> f.setExecutable(true));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return home;
    }

    /** {@code spark.yarn.jars} for YARN containers: the distribution's jars, installed on every node. */
    static String yarnJars() {
        return "local:" + home().resolve("jars") + File.separator + "*";
    }

    private static String required(String property) {
        String value = System.getProperty(property);
        if (value == null) {
            throw new IllegalStateException("system property " + property + " is not set: run the cluster tests with "
                    + "`mvn verify` (failsafe sets it)");
        }
        return value;
    }
}
