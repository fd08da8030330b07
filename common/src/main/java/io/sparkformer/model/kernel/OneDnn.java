package io.sparkformer.model.kernel;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import org.bytedeco.javacpp.Loader;

import java.io.File;
import java.io.IOException;

/**
 * The few functions of oneDNN's C API that a matmul needs, bound through JNA's direct mapping to the
 * {@code libdnnl.so.3} of {@code org.bytedeco:dnnl} (its natives only: the Java presets need a newer
 * javacpp than ND4J's). Handles are C pointers held as {@code long}; out-parameters are one-element
 * arrays. Loaded on first use, after ND4J, whose {@code libgomp.so.1} oneDNN then shares (same
 * soname), so both run on one OpenMP runtime. oneDNN's GPU half needs {@code libOpenCL.so.1}: the
 * ICD loader of {@code org.bytedeco:opencl} is loaded first so that no system package is needed.
 */
final class OneDnn {
    static final int SUCCESS = 0;
    static final int ENGINE_CPU = 1;
    static final int F32 = 3;
    static final int DATA_TYPE_UNDEF = 0;
    static final int FPMATH_BF16 = 1;
    static final int STREAM_DEFAULT = 1;
    static final int ARG_SRC = 1;
    static final int ARG_DST = 17;
    static final int ARG_WEIGHTS = 33;
    static final int ARG_SCRATCHPAD = 80;
    static final int QUERY_IMPL_INFO_STR = 8;
    static final int QUERY_SCRATCHPAD_MD = 136;
    static final int SCRATCHPAD_USER = 1;
    /** {@code dnnl_cpu_isa_avx512_core_amx}: the ISA whose bf16 tiles make {@code bf16} pay. */
    static final int ISA_AMX = 0xfef;

    private static final String DNNL = "/org/bytedeco/dnnl/linux-x86_64/libdnnl.so.3";
    private static final String OPENCL = "/org/bytedeco/opencl/linux-x86_64/libOpenCL.so.1";

    static {
        try {
            System.load(cached(OPENCL).getAbsolutePath());
            Native.register(OneDnn.class, NativeLibrary.getInstance(cached(DNNL).getAbsolutePath()));
        } catch (IOException | UnsatisfiedLinkError e) {
            throw new IllegalStateException("cannot load oneDNN for train.precision = bf16 (" + e.getMessage() + ")", e);
        }
    }

    private OneDnn() {
    }

    private static File cached(String resource) throws IOException {
        File f = Loader.cacheResource(OneDnn.class, resource);
        if (f == null) {
            throw new IOException(resource + " is not on the classpath (org.bytedeco:dnnl / opencl natives)");
        }
        return f;
    }

    /** Throws naming {@code function} unless {@code status} is success. */
    static void check(int status, String function) {
        if (status != SUCCESS) {
            throw new IllegalStateException("oneDNN " + function + " failed with status " + status);
        }
    }

    static native int dnnl_get_effective_cpu_isa();

    static native int dnnl_engine_create(long[] engine, int kind, long index);

    static native int dnnl_stream_create(long[] stream, long engine, int flags);

    static native int dnnl_memory_desc_create_with_strides(long[] md, int ndims, long[] dims, int dataType, long[] strides);

    static native int dnnl_primitive_attr_create(long[] attr);

    static native int dnnl_primitive_attr_destroy(long attr);

    static native int dnnl_primitive_attr_set_fpmath_mode(long attr, int mode);

    static native int dnnl_primitive_attr_set_scratchpad_mode(long attr, int mode);

    static native int dnnl_post_ops_create(long[] postOps);

    static native int dnnl_post_ops_destroy(long postOps);

    static native int dnnl_post_ops_append_sum(long postOps, float scale, int zeroPoint, int dataType);

    static native int dnnl_primitive_attr_set_post_ops(long attr, long postOps);

    static native int dnnl_matmul_primitive_desc_create(long[] pd, long engine, long src, long weights, long bias,
                                                        long dst, long attr);

    static native int dnnl_primitive_desc_destroy(long pd);

    /** {@code what} = {@link #QUERY_IMPL_INFO_STR}: {@code result[0]} receives a {@code const char*}. */
    static native int dnnl_primitive_desc_query(long pd, int what, int index, long[] result);

    static native int dnnl_primitive_create(long[] primitive, long pd);

    static native int dnnl_primitive_destroy(long primitive);

    static native int dnnl_memory_desc_destroy(long md);

    /** A memory descriptor owned by {@code pd} (0 if none). */
    static native long dnnl_primitive_desc_query_md(long pd, int what, int index);

    static native int dnnl_memory_desc_clone(long[] md, long existing);

    static native long dnnl_memory_desc_get_size(long md);

    static native int dnnl_memory_create(long[] memory, long md, long engine, long handle);

    static native int dnnl_memory_destroy(long memory);

    /** {@code args}: {@code dnnl_exec_arg_t[n]} as 2n longs, each {int arg; 4 bytes pad; dnnl_memory_t}. */
    static native int dnnl_primitive_execute(long primitive, long stream, int nargs, long[] args);

    static native int dnnl_stream_wait(long stream);
}
