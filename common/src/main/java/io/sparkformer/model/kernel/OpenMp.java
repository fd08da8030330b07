package io.sparkformer.model.kernel;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;

/**
 * The OpenMP runtime that ND4J loaded ({@code libgomp.so.1}, which oneDNN shares by soname): oneDNN
 * runs each product on {@code omp_get_max_threads()} threads of the calling thread, a per-thread
 * setting that starts at {@code OMP_NUM_THREADS}. Loaded after oneDNN, so the runtime is in place.
 */
final class OpenMp {
    static {
        Native.register(OpenMp.class, NativeLibrary.getInstance("libgomp.so.1"));
    }

    private OpenMp() {
    }

    static native void omp_set_num_threads(int threads);

    static native int omp_get_max_threads();
}
