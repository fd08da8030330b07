package io.sparkformer.model.optim;

import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.schedule.ISchedule;

import java.util.Objects;

/**
 * A learning rate at a constant factor of another updater's (its schedule included): a layer hands
 * it to some of its parameters through {@code getUpdaterByParam}, e.g. a new classifier head that
 * learns faster than the pretrained encoder under it. Built from the layer's configuration each time,
 * so only the factor is stored with the network.
 */
public final class ScaledLearningRate implements ISchedule {
    private final IUpdater base;
    private final double factor;

    private ScaledLearningRate(IUpdater base, double factor) {
        this.base = base;
        this.factor = factor;
    }

    /** A copy of {@code base} (same kind, same hyper-parameters) whose learning rate is {@code factor} x base's. */
    public static IUpdater of(IUpdater base, double factor) {
        if (!base.hasLearningRate()) {
            throw new IllegalArgumentException(base.getClass().getSimpleName() + " has no learning rate to scale");
        }
        IUpdater scaled = base.clone();
        scaled.setLrAndSchedule(Double.NaN, new ScaledLearningRate(base, factor));
        return scaled;
    }

    @Override
    public double valueAt(int iteration, int epoch) {
        return factor * base.getLearningRate(iteration, epoch);
    }

    @Override
    public ISchedule clone() {
        return new ScaledLearningRate(base.clone(), factor);
    }

    /** Equal for the same base and factor: DL4J puts consecutive parameters with equal updaters in one block. */
    @Override
    public boolean equals(Object o) {
        return o instanceof ScaledLearningRate s && s.factor == factor && s.base.equals(base);
    }

    @Override
    public int hashCode() {
        return Objects.hash(base, factor);
    }
}
