package io.sparkformer.model.kernel;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentHashMap;

import static io.sparkformer.model.kernel.OneDnn.check;

/**
 * {@code c = a b (+ c)} over float matrices given by address and element strides, computed by a
 * oneDNN matmul in fp32 or, per {@link Layout#bf16}, with an fpmath mode that lets it round a and b to
 * bf16 and accumulate in fp32: on a CPU with AMX the brgemm kernels then run on bf16 tiles (measured
 * 2.5-5x the fp32 GEMMs of a training step); on one without bf16 hardware oneDNN computes in fp32.
 * Inputs, output and master weights stay fp32 either way, so nothing else in the model changes. One primitive per shape and layout, created on first use and
 * reused (a language model has a few dozen), up to {@link #KEPT}: batches padded to their longest
 * sequence (seq2seq, fine-tuning) bring a new shape for each length, so beyond that a product creates
 * its primitive (from oneDNN's own bounded cache when it can) and destroys it after. Primitives are
 * immutable and shared across threads; each thread executes on its own stream with its own
 * scratchpad rather than the library's (the first bf16 {@code local[2]} run, on the library's,
 * diverged; not proven to be why).
 */
final class OneDnnMatmul {
    private static final Logger LOG = LoggerFactory.getLogger(OneDnnMatmul.class);
    private static final long ENGINE = engine();
    /** Primitives kept for reuse at most. */
    static final int KEPT = 512;
    private static final ConcurrentHashMap<Layout, Primitive> PRIMITIVES = new ConcurrentHashMap<>();
    private static volatile boolean full;
    private static final ThreadLocal<Long> STREAM = ThreadLocal.withInitial(() -> {
        long[] stream = new long[1];
        check(OneDnn.dnnl_stream_create(stream, ENGINE, OneDnn.STREAM_DEFAULT), "dnnl_stream_create");
        return stream[0];
    });
    /** The OpenMP thread count last set on this thread (0: not yet). */
    private static final ThreadLocal<int[]> THREADS = ThreadLocal.withInitial(() -> new int[1]);
    /** This thread's scratchpad, grown to the largest a primitive asked for. */
    private static final ThreadLocal<ByteBuffer[]> SCRATCH = ThreadLocal.withInitial(() -> new ByteBuffer[1]);

    /**
     * A product's dimensions and element strides: {@code batch} products (1: a plain matrix product)
     * with batch strides {@code aBatch, bBatch, cBatch}; {@code accumulate}: c += a b, not c = a b;
     * {@code bf16}: inputs rounded to bf16 (fpmath bf16), else plain fp32.
     */
    record Layout(long batch, long m, long n, long k, long aBatch, long a0, long a1, long bBatch, long b0, long b1,
                  long cBatch, long c0, long c1, boolean accumulate, boolean bf16) {
    }

    private record Primitive(long handle, long srcMd, long weightsMd, long dstMd, long scratchMd, long scratchBytes) {
        void destroy() {
            OneDnn.dnnl_primitive_destroy(handle);
            for (long md : new long[]{srcMd, weightsMd, dstMd, scratchMd}) {
                if (md != 0) {
                    OneDnn.dnnl_memory_desc_destroy(md);
                }
            }
        }
    }

    private OneDnnMatmul() {
    }

    /** The effective instruction set, e.g. to tell a run whether bf16 runs on AMX tiles. */
    static boolean amx() {
        return OneDnn.dnnl_get_effective_cpu_isa() >= OneDnn.ISA_AMX;
    }

    /**
     * Multiplies on {@code threads} threads: the arrays at {@code a}, {@code b}, {@code c} (addresses)
     * have the strides of {@code layout}.
     */
    static void multiply(Layout layout, long a, long b, long c, int threads) {
        Primitive p = PRIMITIVES.get(layout);
        boolean kept = true;
        if (p == null && PRIMITIVES.size() < KEPT) {
            p = PRIMITIVES.computeIfAbsent(layout, OneDnnMatmul::create);
        } else if (p == null) {
            if (!full) {
                full = true;
                LOG.info("bf16: {} product shapes kept; further ones (variable-length batches) are set up per product", KEPT);
            }
            p = create(layout);
            kept = false;
        }
        int[] set = THREADS.get();
        if (set[0] != threads) {
            // The task's share of the cores: two local[2] tasks on OMP_NUM_THREADS=2 each would run 2.
            OpenMp.omp_set_num_threads(threads);
            set[0] = threads;
        }
        long stream = STREAM.get();
        long[] memories = new long[4];
        try {
            memories[0] = memory(p.srcMd, a);
            memories[1] = memory(p.weightsMd, b);
            memories[2] = memory(p.dstMd, c);
            int n = 3;
            long[] args = {OneDnn.ARG_SRC, memories[0], OneDnn.ARG_WEIGHTS, memories[1], OneDnn.ARG_DST, memories[2], 0, 0};
            if (p.scratchBytes > 0) {
                memories[3] = memory(p.scratchMd, scratch(p.scratchBytes));
                args[6] = OneDnn.ARG_SCRATCHPAD;
                args[7] = memories[3];
                n = 4;
            }
            check(OneDnn.dnnl_primitive_execute(p.handle, stream, n, args), "dnnl_primitive_execute");
            check(OneDnn.dnnl_stream_wait(stream), "dnnl_stream_wait");
        } finally {
            for (long m : memories) {
                if (m != 0) {
                    OneDnn.dnnl_memory_destroy(m);
                }
            }
            if (!kept) {
                p.destroy();
            }
        }
    }

    /** How many primitives are kept. */
    static int kept() {
        return PRIMITIVES.size();
    }

    private static long scratch(long bytes) {
        ByteBuffer[] held = SCRATCH.get();
        if (held[0] == null || held[0].capacity() < bytes) {
            held[0] = ByteBuffer.allocateDirect(Math.toIntExact(bytes + 64)).alignedSlice(64);
        }
        return Pointer.nativeValue(Native.getDirectBufferPointer(held[0]));
    }

    private static long memory(long md, long address) {
        long[] memory = new long[1];
        check(OneDnn.dnnl_memory_create(memory, md, ENGINE, address), "dnnl_memory_create");
        return memory[0];
    }

    private static Primitive create(Layout l) {
        long src = desc(l.batch, l.aBatch, l.m, l.k, l.a0, l.a1);
        long weights = desc(l.batch, l.bBatch, l.k, l.n, l.b0, l.b1);
        long dst = desc(l.batch, l.cBatch, l.m, l.n, l.c0, l.c1);
        long[] attr = new long[1];
        long[] postOps = new long[1];
        long[] pd = new long[1];
        long[] primitive = new long[1];
        try {
            check(OneDnn.dnnl_primitive_attr_create(attr), "dnnl_primitive_attr_create");
            if (l.bf16) {
                check(OneDnn.dnnl_primitive_attr_set_fpmath_mode(attr[0], OneDnn.FPMATH_BF16), "dnnl_primitive_attr_set_fpmath_mode");
            }
            check(OneDnn.dnnl_primitive_attr_set_scratchpad_mode(attr[0], OneDnn.SCRATCHPAD_USER),
                    "dnnl_primitive_attr_set_scratchpad_mode");
            if (l.accumulate) {
                check(OneDnn.dnnl_post_ops_create(postOps), "dnnl_post_ops_create");
                check(OneDnn.dnnl_post_ops_append_sum(postOps[0], 1f, 0, OneDnn.DATA_TYPE_UNDEF), "dnnl_post_ops_append_sum");
                check(OneDnn.dnnl_primitive_attr_set_post_ops(attr[0], postOps[0]), "dnnl_primitive_attr_set_post_ops");
            }
            check(OneDnn.dnnl_matmul_primitive_desc_create(pd, ENGINE, src, weights, 0, dst, attr[0]),
                    "dnnl_matmul_primitive_desc_create");
            check(OneDnn.dnnl_primitive_create(primitive, pd[0]), "dnnl_primitive_create");
            long[] impl = new long[1];
            if (OneDnn.dnnl_primitive_desc_query(pd[0], OneDnn.QUERY_IMPL_INFO_STR, 0, impl) == OneDnn.SUCCESS) {
                LOG.debug("bf16 matmul {}: {}", l, new Pointer(impl[0]).getString(0));
            }
            long[] scratch = new long[1];
            long owned = OneDnn.dnnl_primitive_desc_query_md(pd[0], OneDnn.QUERY_SCRATCHPAD_MD, 0);
            long bytes = 0;
            if (owned != 0) {
                check(OneDnn.dnnl_memory_desc_clone(scratch, owned), "dnnl_memory_desc_clone");
                bytes = OneDnn.dnnl_memory_desc_get_size(scratch[0]);
            }
            return new Primitive(primitive[0], src, weights, dst, scratch[0], bytes);
        } finally {
            if (pd[0] != 0) {
                OneDnn.dnnl_primitive_desc_destroy(pd[0]);
            }
            if (postOps[0] != 0) {
                OneDnn.dnnl_post_ops_destroy(postOps[0]);
            }
            if (attr[0] != 0) {
                OneDnn.dnnl_primitive_attr_destroy(attr[0]);
            }
        }
    }

    private static long desc(long batch, long batchStride, long rows, long cols, long rowStride, long colStride) {
        long[] md = new long[1];
        int status = batch == 1
                ? OneDnn.dnnl_memory_desc_create_with_strides(md, 2, new long[]{rows, cols}, OneDnn.F32,
                        new long[]{rowStride, colStride})
                : OneDnn.dnnl_memory_desc_create_with_strides(md, 3, new long[]{batch, rows, cols}, OneDnn.F32,
                        new long[]{batchStride, rowStride, colStride});
        check(status, "dnnl_memory_desc_create_with_strides");
        return md[0];
    }

    private static long engine() {
        long[] engine = new long[1];
        check(OneDnn.dnnl_engine_create(engine, OneDnn.ENGINE_CPU, 0), "dnnl_engine_create");
        return engine[0];
    }
}
