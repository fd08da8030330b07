package io.sparkformer.job.bench;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The machine's single-precision GEMM peak through ND4J: the denominator of MFU. */
final class GemmPeak {
    private GemmPeak() {
    }

    /** Best of several timed 1024^3 float matrix products on all cores, in FLOP/s. */
    static double measure() {
        // Spark workers shrink OpenBLAS's process-wide pool to their share (RoundData): the peak is the
        // whole machine's.
        int cores = Runtime.getRuntime().availableProcessors();
        Nd4j.factory().blas().setMaxThreads(cores);
        Nd4j.getEnvironment().setMaxThreads(cores);
        int n = 1024;
        INDArray a = Nd4j.rand(DataType.FLOAT, n, n);
        INDArray b = Nd4j.rand(DataType.FLOAT, n, n);
        INDArray c = Nd4j.create(DataType.FLOAT, n, n);
        for (int i = 0; i < 3; i++) {
            Nd4j.gemm(a, b, c, false, false, 1.0, 0.0);
        }
        double best = Double.MAX_VALUE;
        for (int rep = 0; rep < 5; rep++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < 4; i++) {
                Nd4j.gemm(a, b, c, false, false, 1.0, 0.0);
            }
            best = Math.min(best, (System.nanoTime() - t0) / 4e9);
        }
        return 2.0 * n * n * n / best;
    }
}
