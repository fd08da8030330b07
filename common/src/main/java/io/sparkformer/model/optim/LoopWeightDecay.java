package io.sparkformer.model.optim;

import io.sparkformer.model.kernel.Kernels;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.regularization.WeightDecay;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * DL4J's decoupled {@link WeightDecay} (update += coeff [x lr] x param, after the updater) as one
 * Vector API pass ({@link Kernels#axpy}, a product then a sum as libnd4j's Axpy) where ND4J's op took
 * 2.2% of a GEMM-bound {@code local[2]} step. Being a {@code WeightDecay}, it serializes, clones and
 * compares like one; anything the kernel does not take (doubles, views) goes to ND4J's op.
 */
public class LoopWeightDecay extends WeightDecay {
    public LoopWeightDecay(double coeff, boolean applyLR) {
        super(coeff, applyLR);
    }

    /** For Jackson (configurations are stored as JSON in checkpoints). */
    public LoopWeightDecay(@JsonProperty("coeff") ISchedule coeff, @JsonProperty("applyLR") boolean applyLR) {
        super(coeff, applyLR);
    }

    @Override
    public void apply(INDArray param, INDArray gradView, double lr, int iteration, int epoch) {
        if (!Kernels.accepts(Kernels.Kernel.UPDATER, param, gradView) || param.length() != gradView.length()) {
            super.apply(param, gradView, lr, iteration, epoch);
            return;
        }
        Kernels.axpy(scale(lr, iteration, epoch), param, gradView);
    }

    /** The multiple of the parameters added to the update: coeff [x lr]. */
    float scale(double lr, int iteration, int epoch) {
        double scale = coeff.valueAt(iteration, epoch);
        return (float) (applyLR ? scale * lr : scale);
    }

    @Override
    public LoopWeightDecay clone() {
        return new LoopWeightDecay(coeff.clone(), applyLR);
    }
}
