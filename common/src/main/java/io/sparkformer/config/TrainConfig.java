package io.sparkformer.config;

import java.io.Serializable;

/** Optimisation and bookkeeping of a training run. */
public record TrainConfig(
        int batchSize,
        int steps,
        double learningRate,
        double minLearningRate,
        int warmupSteps,
        int decaySteps,
        double weightDecay,
        double beta1,
        double beta2,
        double gradClip,
        int evalEvery,
        int evalBatches,
        int checkpointEvery,
        int keepCheckpoints,
        long seed,
        NonFinitePolicy onNonFinite,
        double checkpointEveryMinutes,
        int shutdownGraceSeconds,
        int checkpointRetries,
        int checkpointRetrySeconds,
        int maxSkippedSteps,
        int progressSeconds,
        Precision precision) implements Serializable {

    /** What a non-finite loss does: stop the run (keeping the last good checkpoint) or skip the step. */
    public enum NonFinitePolicy { STOP, SKIP }

    /**
     * Arithmetic of the matrix products: fp32, or bf16 inputs with fp32 accumulation (oneDNN, AMX
     * tiles where the CPU has them). Parameters, optimizer state and every other op stay fp32.
     */
    public enum Precision { FP32, BF16 }

    public TrainConfig {
        ConfigChecks.positive("train.batchSize", batchSize);
        ConfigChecks.positive("train.steps", steps);
        ConfigChecks.inRange("train.learningRate", learningRate, 1e-9, 10);
        ConfigChecks.inRange("train.minLearningRate", minLearningRate, 0, learningRate);
        ConfigChecks.nonNegative("train.warmupSteps", warmupSteps);
        ConfigChecks.nonNegative("train.decaySteps", decaySteps);
        if (decaySteps == 0) {
            decaySteps = steps;
        }
        ConfigChecks.nonNegative("train.weightDecay", weightDecay);
        ConfigChecks.inRange("train.beta1", beta1, 0, 0.999999);
        ConfigChecks.inRange("train.beta2", beta2, 0, 0.999999);
        ConfigChecks.nonNegative("train.gradClip", gradClip);
        ConfigChecks.positive("train.evalEvery", evalEvery);
        ConfigChecks.positive("train.evalBatches", evalBatches);
        ConfigChecks.positive("train.checkpointEvery", checkpointEvery);
        ConfigChecks.positive("train.keepCheckpoints", keepCheckpoints);
        ConfigChecks.nonNegative("train.checkpointEveryMinutes", checkpointEveryMinutes);
        ConfigChecks.nonNegative("train.shutdownGraceSeconds", shutdownGraceSeconds);
        ConfigChecks.nonNegative("train.checkpointRetries", checkpointRetries);
        ConfigChecks.nonNegative("train.checkpointRetrySeconds", checkpointRetrySeconds);
        ConfigChecks.positive("train.maxSkippedSteps", maxSkippedSteps);
        ConfigChecks.nonNegative("train.progressSeconds", progressSeconds);
    }
}
