package io.sparkformer.model.kernel;

import io.sparkformer.InputException;

import org.nd4j.linalg.factory.Nd4j;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Splits a kernel's rows into contiguous chunks over ND4J's {@code maxThreads} (every core), the
 * caller running the first chunk. Meant as the task's budget, but libnd4j keeps {@code maxThreads}
 * at its start value when a Spark task asks for fewer (measured 2026-12-03: {@code setMaxThreads(1)}
 * left it at 2), so each {@code local[2]} task's kernels split over both cores; {@link Gemm} reads
 * the budget the task did set ({@code maxMasterThreads}); not changed here, unmeasured either way.
 * Without this split a kernel ran on one thread while libnd4j's ops, which it replaced, used all of
 * them. {@code SPARKFORMER_KERNEL_THREADS} (environment) caps the budget for A/B measurements.
 */
final class KernelThreads {
    /** Below this many elements one thread does it all: handing a chunk over costs ~10-20 us. */
    static final long MIN_PARALLEL_ELEMENTS = 1 << 16;
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
        return Math.max(1, Math.min(Math.min(rows, CAP), Nd4j.getEnvironment().maxThreads()));
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
