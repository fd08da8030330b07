package io.sparkformer.train;

import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * nanoGPT's learning-rate schedule: linear warmup to the peak, cosine decay to the floor at
 * {@code decaySteps}, then the floor. A bean so DL4J can serialise it inside the network config.
 */
public class WarmupCosineSchedule implements ISchedule {
    private final double peak;
    private final double floor;
    private final int warmupSteps;
    private final int decaySteps;

    public WarmupCosineSchedule(@JsonProperty("peak") double peak, @JsonProperty("floor") double floor,
                                @JsonProperty("warmupSteps") int warmupSteps,
                                @JsonProperty("decaySteps") int decaySteps) {
        this.peak = peak;
        this.floor = floor;
        this.warmupSteps = warmupSteps;
        this.decaySteps = decaySteps;
    }

    /** @param iteration zero-based optimizer step */
    @Override
    public double valueAt(int iteration, int epoch) {
        if (iteration < warmupSteps) {
            return peak * (iteration + 1) / (warmupSteps + 1);
        }
        if (iteration >= decaySteps) {
            return floor;
        }
        double ratio = (double) (iteration - warmupSteps) / Math.max(1, decaySteps - warmupSteps);
        double coeff = 0.5 * (1.0 + Math.cos(Math.PI * ratio));
        return floor + coeff * (peak - floor);
    }

    @Override
    public ISchedule clone() {
        return new WarmupCosineSchedule(peak, floor, warmupSteps, decaySteps);
    }

    public double getPeak() {
        return peak;
    }

    public double getFloor() {
        return floor;
    }

    public int getWarmupSteps() {
        return warmupSteps;
    }

    public int getDecaySteps() {
        return decaySteps;
    }
}
