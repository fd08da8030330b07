package io.sparkformer.job.train;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

import java.time.Duration;

/**
 * A job holding a run directory's lease in its own JVM, for {@link RunLeaseRenewalTest}: takes the
 * lease of {@code args[0]} as application {@code args[1]}, renewing it every {@code args[2]} ms,
 * prints {@code held}, and waits. If another job takes the lease over it prints {@code lost} and
 * exits 3, as a driver whose Spark application the lease stops.
 */
public final class LeaseHolderProcess {
    static final int LOST = 3;

    private LeaseHolderProcess() {
    }

    public static void main(String[] args) throws Exception {
        Path root = new Path(args[0]);
        RunLease.acquire(root.getFileSystem(new Configuration()), root, new RunDirectory.Application(args[1], "1"),
                () -> {
                    System.out.println("lost");
                    System.exit(LOST);
                }, Duration.ofMillis(Long.parseLong(args[2])));
        System.out.println("held");
        Thread.sleep(Long.MAX_VALUE);
    }
}
