package io.sparkformer.job.engine;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Parameters and updater state as they were before a round, so that {@code train.onNonFinite = skip}
 * can undo a round that went non-finite (Adam's moments would otherwise carry the damage on).
 */
final class ParameterSnapshot {
    private final INDArray params;
    private final INDArray updater;

    private ParameterSnapshot(INDArray params, INDArray updater) {
        this.params = params;
        this.updater = updater;
    }

    static ParameterSnapshot of(ComputationGraph graph) {
        INDArray updater = graph.getUpdater() == null ? null : graph.getUpdater().getStateViewArray();
        return new ParameterSnapshot(graph.params().dup(), updater == null ? null : updater.dup());
    }

    void restore(ComputationGraph graph) {
        graph.setParams(params);
        if (updater != null) {
            graph.getUpdater().getStateViewArray().assign(updater);
        }
    }

    /**
     * How many parameters hold NaN or infinity after the round. Averaging spreads one worker's
     * divergence into every parameter, so this is the damage; the non-finite watch names the origin.
     */
    static String nonFiniteParameters(ComputationGraph graph) {
        long bad = 0;
        long all = 0;
        for (Layer layer : graph.getLayers()) {
            for (INDArray p : layer.paramTable().values()) {
                all++;
                if (p.isNaN().any() || p.isInfinite().any()) {
                    bad++;
                }
            }
        }
        return "after the round " + bad + " of " + all + " parameters are non-finite";
    }
}
