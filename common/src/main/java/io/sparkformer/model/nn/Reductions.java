package io.sparkformer.model.nn;

import io.sparkformer.model.kernel.Kernels;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.HashMap;
import java.util.Map;

/**
 * Column sums as a vector loop ({@link Kernels#addColumnSums}), else (doubles in gradient checks) a
 * GEMM with a row of ones: ND4J's {@code sum(0)} reduction is several times slower on CPU (measured
 * for floats: 768x512 0.56 ms vs 0.12 ms by GEMM), and every bias and LayerNorm gradient needs one
 * each step. The GEMM itself, as an ND4J op, cost more around the product than in it (a new op with a
 * random UUID, a reshape and argument pointers per call): taking the kernel at every size, not only
 * from 1 M elements, made the baby GPT 1.2% faster (interleaved A/B, with
 * {@link io.sparkformer.model.kernel.Kernels} splitting from 256 K elements: 1.065x single JVM, 1.061x
 * {@code local[2]}). (Row means by GEMV were slower than {@code mean(true, 1)}: kept.)
 */
public final class Reductions {
    /** Ones by (data type, shape), detached from any workspace, one set per thread. */
    private static final ThreadLocal<Map<String, INDArray>> ONES = ThreadLocal.withInitial(HashMap::new);
    /** Distinct lengths kept before the cache starts over (lengths vary with batch shapes). */
    private static final int MAX_CACHED = 32;

    private Reductions() {
    }

    /** Sum over the rows of x [N, M]: [1, M]. */
    public static INDArray columnSums(INDArray x) {
        return Nd4j.gemm(ones(x.dataType(), 1, x.size(0)), x, false, false);
    }

    /**
     * {@code target += column sums of x}, in place; the GEMM accumulates (beta = 1): no [1, M]
     * temporary and no separate add. {@code target} holds M elements, contiguous (a gradient view).
     */
    public static void addColumnSums(INDArray x, INDArray target) {
        if (x.rank() == 2 && Kernels.accepts(Kernels.Kernel.SUMS, x, target)) {
            Kernels.addColumnSums(x, target);
            return;
        }
        Nd4j.gemm(ones(x.dataType(), 1, x.size(0)), x, target.reshape('c', 1, x.size(1)), false, false, 1.0, 1.0);
    }

    /** Row means of x [N, C] weighted by w [C]: (x w) / C as one GEMV, [N, 1]. */
    public static INDArray rowMeansWeighted(INDArray x, INDArray w) {
        INDArray out = Nd4j.createUninitialized(x.dataType(), x.size(0), 1);
        return Nd4j.gemm(x, w.reshape('c', w.length(), 1), out, false, false, 1.0 / x.size(1), 0.0);
    }

    private static INDArray ones(DataType type, long rows, long columns) {
        Map<String, INDArray> cache = ONES.get();
        String key = type + ":" + rows + "x" + columns;
        INDArray ones = cache.get(key);
        if (ones == null) {
            if (cache.size() >= MAX_CACHED) {
                cache.clear();
            }
            try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
                ones = Nd4j.ones(type, rows, columns);
            }
            cache.put(key, ones);
        }
        return ones;
    }
}
