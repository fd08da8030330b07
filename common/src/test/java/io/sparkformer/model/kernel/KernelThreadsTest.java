package io.sparkformer.model.kernel;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Chunked kernels cover every row exactly once, chunk c before chunk c + 1, and fail loudly. */
class KernelThreadsTest {
    @Test
    void everyRowRunsOnceInContiguousChunksNumberedInOrder() {
        for (int chunks = 1; chunks <= 3; chunks++) {
            AtomicIntegerArray seen = new AtomicIntegerArray(101);
            int[] firstRowOfChunk = new int[chunks];
            KernelThreads.run(101, chunks, (chunk, from, to) -> {
                firstRowOfChunk[chunk] = from;
                for (int r = from; r < to; r++) {
                    seen.incrementAndGet(r);
                }
            });
            for (int r = 0; r < 101; r++) {
                assertEquals(1, seen.get(r), "row " + r + " with " + chunks + " chunks");
            }
            for (int c = 1; c < chunks; c++) {
                assertEquals(true, firstRowOfChunk[c] > firstRowOfChunk[c - 1], "chunk order");
            }
        }
    }

    @Test
    void smallWorkStaysOnTheCallingThread() {
        assertEquals(1, KernelThreads.chunks(1000, KernelThreads.MIN_PARALLEL_ELEMENTS - 1));
    }

    @Test
    void aFailureInAnotherThreadReachesTheCaller() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> KernelThreads.run(10, 2,
                (chunk, from, to) -> {
                    if (chunk == 1) {
                        throw new IllegalStateException("chunk 1 failed");
                    }
                }));
        assertEquals("chunk 1 failed", e.getMessage());
    }
}
