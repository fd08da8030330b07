package io.sparkformer.train;

import io.sparkformer.InputException;
import io.sparkformer.data.Batches;
import io.sparkformer.data.TokenSource;
import io.sparkformer.model.layer.BackwardWorkspace;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.layers.IOutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

/**
 * Mean token cross-entropy (nats) of a model over given windows of a split, without dropout.
 *
 * <p>Each batch's forward pass runs in one workspace that every batch reuses. DL4J's
 * {@code ComputationGraph.score} runs it with no workspace for activations: every intermediate of
 * every batch became fresh off-heap memory, left for a garbage collection to free.
 */
public final class LossEvaluator {
    private static final String WORKSPACE = "SPARKFORMER_EVAL";

    private LossEvaluator() {
    }

    public static double meanLoss(ComputationGraph graph, TokenSource source, long[] starts, int contextLength,
                                  int batchSize) {
        if (starts.length == 0) {
            throw new InputException("no windows to evaluate: the split is shorter than one window of "
                    + (contextLength + 1) + " tokens");
        }
        double weighted = 0;
        int batches = (starts.length + batchSize - 1) / batchSize;
        for (int i = 0; i < batches; i++) {
            long[] slice = Batches.slice(starts, i, batchSize);
            // Every window has contextLength targets, so weighting by window count weights by token.
            weighted += score(graph, Batches.of(source, slice, contextLength)) * slice.length;
        }
        return weighted / starts.length;
    }

    /**
     * Mean loss per counted label over batches, each weighted by its counted labels (the labels mask
     * sum, or every label without one): the mean over predicted tokens of masked-LM batches.
     */
    public static double meanLoss(ComputationGraph graph, Iterable<DataSet> batches) {
        double weighted = 0;
        double counted = 0;
        for (DataSet batch : batches) {
            INDArray mask = batch.getLabelsMaskArray();
            double n = mask == null ? batch.getLabels().length() : mask.sumNumber().doubleValue();
            if (n > 0) {
                weighted += score(graph, batch) * n;
                counted += n;
            }
        }
        if (counted == 0) {
            throw new InputException("no labels to evaluate");
        }
        return weighted / counted;
    }

    /**
     * What {@code graph.score(batch, false)} computes for a graph whose one layer is its output
     * layer (every Sparkformer model), with the layer's activations in the evaluation workspace.
     */
    static double score(ComputationGraph graph, DataSet batch) {
        if (graph.getNumLayers() != 1 || !(graph.getOutputLayer(0) instanceof IOutputLayer out)) {
            return graph.score(batch, false);
        }
        Layer layer = graph.getOutputLayer(0);
        // with() before defaultNoWorkspace(): the latter scopes out every type not configured yet,
        // and with() does not undo that (the other order ran every evaluation outside workspaces:
        // ~22 MB of garbage per baby-GPT batch, a 440 MB resident spike per validation in local[2]).
        LayerWorkspaceMgr mgr = LayerWorkspaceMgr.builder()
                .with(ArrayType.ACTIVATIONS, WORKSPACE, BackwardWorkspace.CONFIG)
                .defaultNoWorkspace()
                .build();
        INDArray featuresMask = batch.getFeaturesMaskArray();
        INDArray labelsMask = batch.getLabelsMaskArray();
        graph.setLayerMaskArrays(featuresMask == null ? null : new INDArray[] {featuresMask},
                labelsMask == null ? null : new INDArray[] {labelsMask});
        try (MemoryWorkspace ignored = mgr.notifyScopeEntered(ArrayType.ACTIVATIONS)) {
            layer.setInput(batch.getFeatures(), mgr);
            out.setLabels(batch.getLabels());
            return out.computeScore(0.0, false, mgr);
        } finally {
            layer.clear();   // the cached pass lives in the workspace, which the next batch overwrites
            graph.clearLayerMaskArrays();
        }
    }
}
