package io.sparkformer.model.kernel;

import io.sparkformer.InputException;

import org.nd4j.linalg.factory.Nd4j;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Splits a kernel's rows into contiguous chunks over the calling task's thread budget ({@link #budget}),
 * the caller running the first chunk. Without this split a kernel ran on one thread while libnd4j's
 * ops, which it replaced, used all of them. Until 2026-12-04 the split read ND4J's {@code maxThreads}
 * alone, which libnd4j keeps at its start value when a Spark task asks for fewer, so each of two
 * {@code local[2]} tasks split its kernels over both cores: 4 threads on 2 cores (bf16 10.7 M
 * {@code local[2]} 1.13x faster with the budget, README "Performance").
 * {@code SPARKFORMER_KERNEL_THREADS} (environment) caps the budget for A/B measurements.
 */
final class KernelThreads {
    /**
     * Below this many elements one thread does it all: handing a chunk over costs ~10-20 us. 256 K
     * rather than 64 K made the baby GPT's single JVM 4.1% faster (its [768, 128] rows and [48, 64, 64]
     * scores now stay on the calling thread; interleaved A/B, 3 pairs).
     */
    static final long MIN_PARALLEL_ELEMENTS = 1 << 18;
    private static final int CAP = cap();
    private static final AtomicInteger NAMES = new AtomicInteger();
    private static final ExecutorService POOL = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "sparkformer-kernel-" + NAMES.incrementAndGet());
        t.setDaemon(true);
        return t;
    });

    private KernelThreads() {
    }

    /** A kernel over rows [from, to); {@code chunk} numbers the chunks 0.. in row order. */
    interface Body {
        void run(int chunk, int from, int to);
    }

    /** How many chunks {@link #run} splits {@code rows} rows of {@code elements} elements into. */
    static int chunks(int rows, long elements) {
        if (elements < MIN_PARALLEL_ELEMENTS || rows < 2) {
            return 1;
        }
        return Math.max(1, Math.min(Math.min(rows, CAP), budget()));
    }

    /**
     * The calling task's thread budget: what a Spark task set with ND4J's {@code setMaxMasterThreads}
     * (RoundData), else every core. Not {@code maxThreads()} alone: libnd4j keeps that at its start
     * value when asked for fewer (measured: {@code setMaxThreads(1)} left it at 2).
     */
    static int budget() {
        return Math.max(1, Math.min(Nd4j.getEnvironment().maxThreads(), Nd4j.getEnvironment().maxMasterThreads()));
    }

    /** Runs {@code body} over [0, rows) in {@code chunks} contiguous chunks and waits for all. */
    static void run(int rows, int chunks, Body body) {
        if (chunks <= 1) {
            body.run(0, 0, rows);
            return;
        }
        Future<?>[] others = new Future<?>[chunks - 1];
        for (int c = 1; c < chunks; c++) {
            int chunk = c;
            int from = (int) ((long) rows * c / chunks);
            int to = (int) ((long) rows * (c + 1) / chunks);
            others[c - 1] = POOL.submit(() -> body.run(chunk, from, to));
        }
        body.run(0, 0, (int) ((long) rows / chunks));
        for (Future<?> f : others) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while a kernel ran", e);
            } catch (ExecutionException e) {
                throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
            }
        }
    }

    private static int cap() {
        String v = System.getenv("SPARKFORMER_KERNEL_THREADS");
        if (v == null || v.isBlank()) {
            return Integer.MAX_VALUE;
        }
        try {
            return Math.max(1, Integer.parseInt(v.trim()));
        } catch (NumberFormatException e) {
            throw new InputException("SPARKFORMER_KERNEL_THREADS must be a positive integer, got '" + v + "'");
        }
    }
}
