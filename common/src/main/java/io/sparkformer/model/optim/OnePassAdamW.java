package io.sparkformer.model.optim;

import io.sparkformer.model.kernel.Kernels;
import org.deeplearning4j.nn.api.Trainable;
import org.deeplearning4j.nn.api.TrainingConfig;
import org.deeplearning4j.nn.conf.GradientNormalization;
import org.deeplearning4j.nn.updater.UpdaterBlock;
import org.nd4j.linalg.learning.regularization.Regularization;

import java.util.List;

/**
 * The updater's work after the backward pass as one pass over each parameter: the clip scale of DL4J's
 * {@code ClipL2PerLayer}, {@link LoopAdam}'s update and {@link LoopWeightDecay}, which DL4J runs as
 * three passes (scale, Adam over the block, then decay per variable), each streaming the gradient
 * again: in {@code local[2]} every replica runs them over all parameters on one thread, and at the
 * GEMM-bound shape they were 11% of a step's samples. The same operations in the same order, so
 * training is bit for bit that of the separate passes; anything else (another updater, regularization
 * or normalization, minibatch division, arrays the kernels do not take) leaves the step to DL4J.
 */
final class OnePassAdamW {
    private OnePassAdamW() {
    }

    /** Whether {@link #apply} can run the step of these blocks of these layers. */
    static boolean accepts(List<UpdaterBlock> blocks, Trainable[] layers) {
        for (Trainable layer : layers) {
            TrainingConfig c = layer.getConfig();
            GradientNormalization norm = c == null ? null : c.getGradientNormalization();
            if (c == null || norm != GradientNormalization.None && (norm != GradientNormalization.ClipL2PerLayer
                    || !Kernels.accepts(Kernels.Kernel.ADAMW, layer.getGradientsViewArray()))) {
                return false;
            }
        }
        for (UpdaterBlock block : blocks) {
            if (block.skipDueToPretrainConfig(false)
                    || !(block.getGradientUpdater() instanceof LoopAdamUpdater adam)
                    || !Kernels.accepts(Kernels.Kernel.ADAMW, adam.getM(), adam.getV())) {
                return false;
            }
            for (UpdaterBlock.ParamState p : block.getLayersAndVariablesInBlock()) {
                if (index(layers, p.getLayer()) < 0 || p.getLayer().updaterDivideByMinibatch(p.getParamName())
                        || decayOf(p) == null
                        || !Kernels.accepts(Kernels.Kernel.ADAMW, p.getGradView(), p.getParamView())
                        || p.getGradView().length() != p.getParamView().length()) {
                    return false;
                }
            }
        }
        return true;
    }

    /** The step (what follows it, params -= gradient, is DL4J's): each gradient becomes its update. */
    static void apply(List<UpdaterBlock> blocks, Trainable[] layers, int iteration, int epoch) {
        float[] clip = new float[layers.length];
        for (int i = 0; i < layers.length; i++) {
            clip[i] = clipScale(layers[i]);
        }
        for (UpdaterBlock block : blocks) {
            LoopAdamUpdater adam = (LoopAdamUpdater) block.getGradientUpdater();
            float beta1 = (float) adam.getConfig().getBeta1();
            float beta2 = (float) adam.getConfig().getBeta2();
            float epsilon = (float) adam.getConfig().getEpsilon();
            float alphaT = adam.alphaT(iteration, epoch);
            double lr = adam.getConfig().getLearningRate(iteration, epoch);
            for (UpdaterBlock.ParamState p : block.getLayersAndVariablesInBlock()) {
                List<Regularization> decay = decayOf(p);
                float scale = decay.isEmpty() ? 0f : ((LoopWeightDecay) decay.get(0)).scale(lr, iteration, epoch);
                Kernels.adamW(p.getGradView(), p.getParamView(), adam.getM(), adam.getV(),
                        p.getParamOffsetStart() - block.getParamOffsetStart(), (int) p.getGradView().length(),
                        clip[index(layers, p.getLayer())], beta1, beta2, epsilon, alphaT, !decay.isEmpty(), scale);
            }
        }
    }

    /** As {@link FlatGradientUpdater#preApply}: threshold / norm when the norm exceeds the threshold, else 1. */
    private static float clipScale(Trainable layer) {
        if (layer.getConfig().getGradientNormalization() != GradientNormalization.ClipL2PerLayer) {
            return 1f;
        }
        double threshold = layer.getConfig().getGradientNormalizationThreshold();
        double norm = Math.sqrt(Kernels.sumOfSquares(layer.getGradientsViewArray()));
        return norm > threshold ? (float) (threshold / norm) : 1f;
    }

    /** The variable's regularization if it is none or one LoopWeightDecay, else null (not ours to run). */
    private static List<Regularization> decayOf(UpdaterBlock.ParamState p) {
        List<Regularization> r = p.getLayer().getConfig().getRegularizationByParam(p.getParamName());
        if (r == null || r.isEmpty()) {
            return List.of();
        }
        return r.size() == 1 && r.get(0).getClass() == LoopWeightDecay.class ? r : null;
    }

    private static int index(Trainable[] layers, Trainable layer) {
        for (int i = 0; i < layers.length; i++) {
            if (layers[i] == layer) {
                return i;
            }
        }
        return -1;
    }
}
