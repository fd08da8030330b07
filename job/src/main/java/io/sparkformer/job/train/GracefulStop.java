package io.sparkformer.job.train;

import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.util.ShutdownHookManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * SIGTERM (YARN preemption, Kubernetes pod deletion, Ctrl-C) as a request to stop after the current
 * round: the training loop sees {@link #requested()}, writes a checkpoint and calls {@link #release()};
 * the shutdown hook waits for that, but at most {@code train.shutdownGraceSeconds}, then lets the
 * JVM exit (without a new checkpoint if the round did not finish in time; the last complete one
 * stays).
 *
 * <p>The hook is registered with Hadoop's {@link ShutdownHookManager}, which runs hooks one after
 * another by priority, at a priority above Spark's (which stops the SparkContext) and Hadoop's
 * file-system hook (which closes every {@code FileSystem}): a plain JVM hook would run concurrently
 * with them, and the round and the checkpoint would fail on a stopped context or a closed HDFS client.
 */
public final class GracefulStop implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(GracefulStop.class);
    /** Spark registers its hooks at FileSystem.SHUTDOWN_HOOK_PRIORITY + 30; higher runs first. */
    static final int PRIORITY = FileSystem.SHUTDOWN_HOOK_PRIORITY + 40;

    private final AtomicBoolean requested = new AtomicBoolean();
    private final CountDownLatch released = new CountDownLatch(1);
    private final int graceSeconds;
    private final Runnable hook = this::awaitLoop;

    private GracefulStop(int graceSeconds) {
        this.graceSeconds = graceSeconds;
    }

    /** Registers the hook; {@code graceSeconds} = 0 keeps the old behaviour (exit at once, no checkpoint). */
    public static GracefulStop install(int graceSeconds) {
        GracefulStop stop = new GracefulStop(graceSeconds);
        if (graceSeconds > 0) {
            // Hadoop's own per-hook timeout, a little beyond ours: the hook never blocks shutdown forever.
            ShutdownHookManager.get().addShutdownHook(stop.hook, PRIORITY, graceSeconds + 5L, TimeUnit.SECONDS);
        }
        return stop;
    }

    /** True once a shutdown has begun: the loop should checkpoint and stop after its current round. */
    public boolean requested() {
        return requested.get();
    }

    /** The loop has stopped (and saved): the shutdown may go on. */
    public void release() {
        released.countDown();
    }

    /** Releases the hook and, outside a shutdown, unregisters it (the run is over). */
    @Override
    public void close() {
        release();
        ShutdownHookManager hooks = ShutdownHookManager.get();
        if (!hooks.isShutdownInProgress()) {
            hooks.removeShutdownHook(hook);
        }
    }

    private void awaitLoop() {
        requested.set(true);
        LOG.warn("Shutdown requested (SIGTERM): finishing the current round and writing a checkpoint; waiting up to"
                + " train.shutdownGraceSeconds = {} s", graceSeconds);
        try {
            if (!released.await(graceSeconds, TimeUnit.SECONDS)) {
                LOG.warn("The round did not finish within train.shutdownGraceSeconds = {} s: exiting without a new"
                        + " checkpoint (the last complete one is kept)", graceSeconds);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
