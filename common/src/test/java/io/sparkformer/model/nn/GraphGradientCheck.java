package io.sparkformer.model.nn;

import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Random;

/** DL4J's gradient check (central differences) over a whole-model graph, as the model tests run it. */
public final class GraphGradientCheck {
    private GraphGradientCheck() {
    }

    /** Makes double ND4J's default data type for a test class: {@code @ExtendWith(DoublePrecision.class)}. */
    public static final class DoublePrecision implements BeforeAllCallback, AfterAllCallback {
        private DataType previous;

        @Override
        public void beforeAll(ExtensionContext context) {
            previous = Nd4j.dataType();
            Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
        }

        @Override
        public void afterAll(ExtensionContext context) {
            Nd4j.setDefaultDataTypes(previous, previous);
        }
    }

    /** Ids [batch, length] uniform in [0, bound), as doubles. */
    public static INDArray randomIds(int batch, int length, int bound, long seed) {
        Random r = new Random(seed);
        double[] ids = new double[batch * length];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = r.nextInt(bound);
        }
        return Nd4j.create(ids, new long[] {batch, length}, 'c');
    }

    /**
     * Whether every parameter's gradient matches central differences (epsilon 1e-6, relative error
     * 1e-5, absolute errors below 1e-8 ignored); failures are printed. Either mask may be null.
     */
    public static boolean passes(ComputationGraph net, INDArray x, INDArray y, INDArray inputMask, INDArray labelMask) {
        return GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig()
                .net(net)
                .inputs(new INDArray[] {x})
                .labels(new INDArray[] {y})
                .inputMask(inputMask == null ? null : new INDArray[] {inputMask})
                .labelMask(labelMask == null ? null : new INDArray[] {labelMask})
                .epsilon(1e-6)
                .maxRelError(1e-5)
                .minAbsoluteError(1e-8)
                .print(GradientCheckUtil.PrintMode.FAILURES_ONLY)
                .exitOnFirstError(false));
    }
}
