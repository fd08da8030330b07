package io.sparkformer.model.optim;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.GradientUpdater;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.schedule.ISchedule;

import java.util.Map;

/**
 * DL4J's {@link Adam} (same hyper-parameters, state layout [m | v] and update rule) whose update
 * runs as one Java loop over the off-heap buffers ({@link LoopAdamUpdater}): ND4J's native
 * {@code adam_updater} op took 6.3 ms for the 0.95M parameters of a small model on one thread,
 * ~8% of a training step; the loop takes ~1.9 ms. Being an {@code Adam}, it serializes, clones and
 * compares like one, and checkpoints and averaged updater state are unchanged.
 */
public class LoopAdam extends Adam {
    /** For Jackson (configurations are stored as JSON in checkpoints). */
    public LoopAdam() {
        super();
    }

    public LoopAdam(ISchedule learningRateSchedule, double beta1, double beta2, double epsilon) {
        super(Double.NaN, beta1, beta2, epsilon);
        setLearningRateSchedule(learningRateSchedule);
    }

    private LoopAdam(double learningRate, ISchedule learningRateSchedule, double beta1, double beta2,
                     double epsilon) {
        super(learningRate, beta1, beta2, epsilon);
        setLearningRateSchedule(learningRateSchedule);
    }

    @Override
    public GradientUpdater instantiate(INDArray viewArray, boolean initializeViewArray) {
        LoopAdamUpdater u = new LoopAdamUpdater(this);
        INDArray flat = viewArray.reshape(viewArray.length());
        u.setStateViewArray(flat, new long[] {flat.length() / 2}, flat.ordering(), initializeViewArray);
        return u;
    }

    @Override
    public GradientUpdater instantiate(Map<String, INDArray> updaterState, boolean initializeStateArrays) {
        LoopAdamUpdater u = new LoopAdamUpdater(this);
        u.setState(updaterState, initializeStateArrays);
        return u;
    }

    @Override
    public LoopAdam clone() {
        ISchedule schedule = getLearningRateSchedule();
        return new LoopAdam(getLearningRate(), schedule == null ? null : schedule.clone(), getBeta1(), getBeta2(),
                getEpsilon());
    }
}
