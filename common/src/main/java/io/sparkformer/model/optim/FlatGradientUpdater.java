package io.sparkformer.model.optim;

import io.sparkformer.model.kernel.Kernels;
import org.deeplearning4j.nn.api.Trainable;
import org.deeplearning4j.nn.conf.GradientNormalization;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.updater.graph.ComputationGraphUpdater;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.List;
import java.util.Map;

/**
 * DL4J's {@link ComputationGraphUpdater}, told when the gradient it is handed is the network's own
 * flattened gradient. DL4J 1.0.0-M2.1 decides that by identity ({@code gradient.gradient() !=
 * getFlattenedGradientsView()}), but {@code DefaultGradient.gradient()} returns a new reshape of its
 * array on every call, so every step took the "external gradient" path, which cuts two fresh views
 * (reshape + get) per variable out of the flat arrays, before and after the update: 2.0% of a
 * baby-GPT step's CPU samples. Both paths apply the same update to the same memory; this one uses
 * the views DL4J cached when the model was built.
 *
 * <p>Clipping by the global L2 norm (DL4J's {@code ClipL2PerLayer} of the one whole-model layer) runs
 * as two Vector API passes ({@link Kernels#sumOfSquares}, {@link Kernels#scale}): libnd4j's
 * {@code norm2} took 6.3% of a GEMM-bound {@code local[2]} step, three times Adam's pass over three
 * times the memory. Its sum runs in another order than libnd4j's, so the norm, and the trained
 * weights, agree with DL4J's to float rounding rather than bit for bit. With {@link LoopAdam} and
 * {@link LoopWeightDecay} the whole step (clip, Adam, decay) runs as {@link OnePassAdamW}.
 */
public final class FlatGradientUpdater extends ComputationGraphUpdater {
    /** Whether the step may run as {@link OnePassAdamW} (tests compare it with the separate passes). */
    private final boolean onePass;

    private FlatGradientUpdater(ComputationGraph graph, INDArray updaterState, boolean onePass) {
        super(graph, updaterState);
        this.onePass = onePass;
    }

    /** Makes this the graph's updater, keeping its updater state array (no copy). Returns the graph. */
    public static ComputationGraph install(ComputationGraph graph) {
        if (!(graph.getUpdater() instanceof FlatGradientUpdater)) {
            install(graph, true);
        }
        return graph;
    }

    /** As {@link #install}, replacing any updater, with the one-pass step allowed or not. */
    static ComputationGraph install(ComputationGraph graph, boolean onePass) {
        graph.setUpdater(new FlatGradientUpdater(graph, graph.getUpdater().getStateViewArray(), onePass));
        return graph;
    }

    @Override
    public synchronized void update(Gradient gradient, int iteration, int epoch, int batchSize,
                                    LayerWorkspaceMgr workspaceMgr) {
        boolean own = owns(gradient.gradient());
        if (own && runsInOnePass()) {
            OnePassAdamW.apply(updaterBlocks, getOrderedLayers(), iteration, epoch);
            return;
        }
        super.update(own ? new Flat(gradient, getFlattenedGradientsView()) : gradient,
                iteration, epoch, batchSize, workspaceMgr);
    }

    /** Whether a step on the network's own gradient runs as {@link OnePassAdamW}. */
    boolean runsInOnePass() {
        return onePass && OnePassAdamW.accepts(updaterBlocks, getOrderedLayers());
    }

    @Override
    public void preApply(Trainable layer, Gradient gradient, int iteration) {
        INDArray view = layer.getGradientsViewArray();
        if (layer.getConfig() == null || layer.getConfig().getGradientNormalization() != GradientNormalization.ClipL2PerLayer
                || !Kernels.accepts(Kernels.Kernel.UPDATER, view)) {
            super.preApply(layer, gradient, iteration);
            return;
        }
        double threshold = layer.getConfig().getGradientNormalizationThreshold();
        double norm = Math.sqrt(Kernels.sumOfSquares(view));
        if (norm > threshold) {
            Kernels.scale(view, (float) (threshold / norm));   // as DL4J: g * (threshold / norm)
        }
    }

    /** Whether {@code flat} is the network's flattened gradient: the same memory (a reshape wraps it anew). */
    boolean owns(INDArray flat) {
        INDArray view = getFlattenedGradientsView();
        return view != null && flat != null && flat.dataType() == view.dataType() && flat.length() == view.length()
                && flat.data().address() == view.data().address()
                && flat.offset() == view.offset();
    }

    /** The same gradient, whose flat array is the network's view itself. */
    private record Flat(Gradient of, INDArray view) implements Gradient {
        @Override
        public INDArray gradient() {
            return view;
        }

        @Override
        public Map<String, INDArray> gradientForVariable() {
            return of.gradientForVariable();
        }

        @Override
        public INDArray gradient(List<String> order) {
            return of.gradient(order);
        }

        @Override
        public void clear() {
            of.clear();
        }

        @Override
        public INDArray getGradientFor(String variable) {
            return of.getGradientFor(variable);
        }

        @Override
        public INDArray setGradientFor(String variable, INDArray array) {
            return of.setGradientFor(variable, array);
        }

        @Override
        public INDArray setGradientFor(String variable, INDArray array, Character flatteningOrder) {
            return of.setGradientFor(variable, array, flatteningOrder);
        }

        @Override
        public Character flatteningOrderForVariable(String variable) {
            return of.flatteningOrderForVariable(variable);
        }
    }
}
