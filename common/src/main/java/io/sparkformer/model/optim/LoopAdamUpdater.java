package io.sparkformer.model.optim;

import io.sparkformer.model.kernel.Kernels;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.AdamUpdater;
import org.nd4j.linalg.learning.config.Adam;

import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * The update of {@link LoopAdam}: libnd4j's {@code adam_updater} arithmetic, element by element in
 * float, over the gradient, m and v where they live (no copies):
 * <pre>
 *   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
 *   g = alpha_t m / (sqrt(v) + eps),  alpha_t = lr sqrt(1 - b2^(t+1)) / (1 - b1^(t+1))
 * </pre>
 * Anything but dense float arrays in host memory (double precision in gradient checks, strided
 * views, the CUDA backend, whose buffers live on the device) goes to ND4J's op, so the rule is the
 * same everywhere.
 */
public final class LoopAdamUpdater extends AdamUpdater {
    public LoopAdamUpdater(Adam config) {
        super(config);
    }

    @Override
    public void applyUpdater(INDArray gradient, int iteration, int epoch) {
        if (!loops(gradient)) {
            super.applyUpdater(gradient, iteration, epoch);
            return;
        }
        INDArray m = getM();
        INDArray v = getV();
        Adam c = getConfig();
        float beta1 = (float) c.getBeta1();
        float beta2 = (float) c.getBeta2();
        float epsilon = (float) c.getEpsilon();
        float alphaT = alphaT(iteration, epoch);
        if (Kernels.accepts(Kernels.Kernel.ADAM, gradient, m, v)) {
            Kernels.adam(gradient, m, v, (int) m.length(), beta1, beta2, epsilon, alphaT);   // vectorised, same rounding
        } else {
            update(floats(gradient), floats(m), floats(v), (int) m.length(), beta1, beta2, epsilon, alphaT);
        }
    }

    /** The step size of this iteration: lr sqrt(1 - b2^(t+1)) / (1 - b1^(t+1)) in float, as libnd4j. */
    float alphaT(int iteration, int epoch) {
        Adam c = getConfig();
        float beta1T = (float) Math.pow((float) c.getBeta1(), iteration + 1);
        float beta2T = (float) Math.pow((float) c.getBeta2(), iteration + 1);
        float alphaT = (float) c.getLearningRate(iteration, epoch) * (float) Math.sqrt(1f - beta2T) / (1f - beta1T);
        return Float.isNaN(alphaT) || Float.isInfinite(alphaT) || alphaT == 0 ? (float) c.getEpsilon() : alphaT;
    }

    /** Whether the update of {@code gradient} runs as the Java loop (else as ND4J's op). */
    boolean loops(INDArray gradient) {
        INDArray m = getM();
        INDArray v = getV();
        return m != null && v != null && Nd4j.getEnvironment().isCPU()
                && dense(gradient, m.length()) && dense(m, m.length()) && dense(v, m.length());
    }

    private static void update(FloatBuffer g, FloatBuffer m, FloatBuffer v, int n, float beta1, float beta2,
                               float epsilon, float alphaT) {
        float oneMinusBeta1 = 1f - beta1;
        float oneMinusBeta2 = 1f - beta2;
        for (int i = 0; i < n; i++) {
            float gi = g.get(i);
            float mi = beta1 * m.get(i) + gi * oneMinusBeta1;
            float vi = beta2 * v.get(i) + gi * gi * oneMinusBeta2;
            m.put(i, mi);
            v.put(i, vi);
            g.put(i, mi * alphaT / ((float) Math.sqrt(vi) + epsilon));
        }
    }

    /** Float, contiguous, {@code length} elements, within one buffer a FloatBuffer can address. */
    private static boolean dense(INDArray a, long length) {
        return a.dataType() == DataType.FLOAT && a.length() == length && a.elementWiseStride() == 1
                && !a.isEmpty() && a.offset() + length <= Integer.MAX_VALUE;
    }

    /** The array's elements as a FloatBuffer over its off-heap memory (index 0 = its first element). */
    private static FloatBuffer floats(INDArray a) {
        FloatBuffer all = a.data().asNio().order(ByteOrder.nativeOrder()).asFloatBuffer();
        return all.position((int) a.offset()).slice();
    }
}
