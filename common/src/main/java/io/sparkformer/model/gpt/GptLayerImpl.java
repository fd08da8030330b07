package io.sparkformer.model.gpt;

import io.sparkformer.model.nn.SparseCrossEntropy;
import org.deeplearning4j.nn.api.MaskState;
import org.deeplearning4j.nn.api.layers.IOutputLayer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.BaseLayer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;
import java.util.Map;

/**
 * The GPT as a DL4J output layer: forward and backward come from {@link GptModel}; this class
 * adapts them to DL4J's calling conventions (parameter/gradient views, masks, labels, score).
 * The loss is the mean over counted tokens, already averaged, so DL4J must not divide gradients by
 * the minibatch size again ({@link #updaterDivideByMinibatch}).
 */
public class GptLayerImpl extends BaseLayer<GptLayer> implements IOutputLayer {
    private transient GptModel model;
    private INDArray labels;
    /** Feature (padding) mask [B, T]; {@code maskArray} holds the label mask. */
    private INDArray paddingMask;
    private transient Step step;

    /** The forward pass for one (input, labels, masks) combination and, once computed, its loss. */
    private record Step(boolean training, INDArray input, INDArray labels, INDArray labelMask, INDArray padding,
                        GptModel.Pass pass, SparseCrossEntropy.Result loss) {
        boolean matches(boolean tr, INDArray in, INDArray lab, INDArray lm, INDArray pad) {
            return training == tr && input == in && labels == lab && labelMask == lm && padding == pad;
        }
    }

    public GptLayerImpl(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    private GptModel model() {
        if (model == null) {
            model = new GptModel(layerConf().spec());
        }
        return model;
    }

    /** A new input (DL4J sets one per forward pass or score) invalidates the cached pass. */
    @Override
    public void setInput(INDArray input, LayerWorkspaceMgr workspaceMgr) {
        super.setInput(input, workspaceMgr);
        step = null;
    }

    @Override
    public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(false);
        GptModel.Pass pass;
        try (MemoryWorkspace ignored = activations(workspaceMgr)) {
            pass = forward(training);
        }
        long b = input.size(0);
        return pass.logits.reshape('c', b, pass.logits.size(0) / b, pass.logits.size(1));
    }

    /**
     * One forward pass, and its loss when labels are set, cached for the backward pass. Its arrays
     * go where the caller's scope puts them: during fit() that is DL4J's ACTIVATIONS workspace,
     * which DL4J keeps open from the forward pass through backprop and scoring, so intermediate
     * results reuse the same memory every step (allocating each op's output off-heap afresh was
     * the main cost of a step).
     */
    private GptModel.Pass forward(boolean training) {
        int batch = (int) input.size(0);
        int[] ids = ids(input);
        GptModel.Pass pass = model().forward(params, ids, batch, paddingMask, training);
        SparseCrossEntropy.Result loss = labels == null ? null : loss(pass);
        step = new Step(training, input, labels, maskArray, paddingMask, pass, loss);
        return pass;
    }

    /** Borrows DL4J's ACTIVATIONS workspace when it is open, else allocates outside workspaces. */
    private static MemoryWorkspace activations(LayerWorkspaceMgr mgr) {
        if (!mgr.isScopedOut(ArrayType.ACTIVATIONS) && mgr.hasConfiguration(ArrayType.ACTIVATIONS)
                && Nd4j.getWorkspaceManager().checkIfWorkspaceExistsAndActive(mgr.getWorkspaceName(ArrayType.ACTIVATIONS))) {
            return mgr.notifyScopeBorrowed(ArrayType.ACTIVATIONS);
        }
        return Nd4j.getMemoryManager().scopeOutOfWorkspaces();
    }

    private SparseCrossEntropy.Result loss(GptModel.Pass pass) {
        int[] target = ids(labels);
        double[] weights = maskArray == null ? null : maskArray.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        return SparseCrossEntropy.compute(pass.logits, target, weights, true);
    }

    /** The pass and loss for the current input, labels and masks, computed at most once. */
    private Step step(boolean training, LayerWorkspaceMgr mgr) {
        if (labels == null) {
            throw new IllegalStateException("GPT layer: labels are not set");
        }
        if (step == null || step.loss() == null || !step.matches(training, input, labels, maskArray, paddingMask)) {
            try (MemoryWorkspace ignored = activations(mgr)) {
                forward(training);
            }
        }
        return step;
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(true);
        Step s = step(true, workspaceMgr);
        try (MemoryWorkspace ignored = workspaceMgr.notifyScopeEntered(ArrayType.BP_WORKING_MEM)) {
            gradientsFlattened.assign(0);
            model().backward(params, gradientViews, s.pass(), s.loss().dLogits());
        }
        Gradient g = new DefaultGradient(gradientsFlattened);
        for (Map.Entry<String, INDArray> e : gradientViews.entrySet()) {
            g.gradientForVariable().put(e.getKey(), e.getValue());
        }
        this.gradient = g;
        // Token ids have no gradient; DL4J expects an epsilon shaped like the input.
        return new Pair<>(g, workspaceMgr.create(ArrayType.ACTIVATION_GRAD, input.dataType(), input.shape()).assign(0));
    }

    @Override
    public double computeScore(double fullNetRegTerm, boolean training, LayerWorkspaceMgr workspaceMgr) {
        double loss = step(training, workspaceMgr).loss().loss();
        // Weight decay is decoupled (AdamW): it shrinks weights in the update and is not part of the
        // objective, so DL4J's L2-style regularization score is deliberately left out. The score is
        // the mean token cross-entropy that metrics and users expect.
        this.score = loss;
        return score;
    }

    @Override
    public INDArray computeScoreForExamples(double fullNetRegTerm, LayerWorkspaceMgr workspaceMgr) {
        INDArray out;
        SparseCrossEntropy.Result r = step(false, workspaceMgr).loss();
        try (MemoryWorkspace ignored = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
            int batch = (int) input.size(0);
            int t = r.rowLoss().length / batch;
            double[] weights = maskArray == null ? null : maskArray.castTo(DataType.DOUBLE).dup('c').data().asDouble();
            double[] perExample = new double[batch];
            for (int b = 0; b < batch; b++) {
                double sum = 0;
                double count = 0;
                for (int i = b * t; i < (b + 1) * t; i++) {
                    double w = weights == null ? 1 : weights[i];
                    sum += w * r.rowLoss()[i];
                    count += w;
                }
                perExample[b] = count > 0 ? sum / count : 0;
            }
            out = Nd4j.create(perExample, new long[] {batch, 1}, 'c').castTo(dataType);
        }
        return workspaceMgr.leverageTo(ArrayType.ACTIVATIONS, out);
    }

    @Override
    public void computeGradientAndScore(LayerWorkspaceMgr workspaceMgr) {
        backpropGradient(null, workspaceMgr);
        computeScore(0.0, true, workspaceMgr);
    }

    @Override
    public Pair<INDArray, MaskState> feedForwardMaskArray(INDArray mask, MaskState state, int minibatchSize) {
        this.paddingMask = mask;
        return new Pair<>(mask, state);
    }

    @Override
    public boolean updaterDivideByMinibatch(String paramName) {
        return false;
    }

    @Override
    public boolean needsLabels() {
        return true;
    }

    @Override
    public void setLabels(INDArray labels) {
        this.labels = labels;
    }

    @Override
    public INDArray getLabels() {
        return labels;
    }

    @Override
    public void clear() {
        super.clear();
        labels = null;
        paddingMask = null;
        step = null;
    }

    @Override
    public boolean isPretrainLayer() {
        return false;
    }

    @Override
    public void clearNoiseWeightParams() {
        // no weight noise
    }

    @Override
    public double f1Score(DataSet data) {
        throw new UnsupportedOperationException("f1Score is not defined for a language model");
    }

    @Override
    public double f1Score(INDArray examples, INDArray labels) {
        throw new UnsupportedOperationException("f1Score is not defined for a language model");
    }

    @Override
    public int numLabels() {
        return layerConf().getVocabSize();
    }

    @Override
    public void fit(DataSetIterator iter) {
        throw new UnsupportedOperationException("fit the ComputationGraph, not the layer");
    }

    @Override
    public int[] predict(INDArray examples) {
        throw new UnsupportedOperationException("use the decode package to generate");
    }

    @Override
    public List<String> predict(DataSet dataSet) {
        throw new UnsupportedOperationException("use the decode package to generate");
    }

    @Override
    public void fit(INDArray examples, INDArray labels) {
        throw new UnsupportedOperationException("fit the ComputationGraph, not the layer");
    }

    @Override
    public void fit(DataSet data) {
        throw new UnsupportedOperationException("fit the ComputationGraph, not the layer");
    }

    @Override
    public void fit(INDArray examples, int[] labels) {
        throw new UnsupportedOperationException("fit the ComputationGraph, not the layer");
    }

    /** Token ids from a float/double/int array [B, T] (row-major), checked to be whole numbers. */
    static int[] ids(INDArray x) {
        INDArray flat = x.castTo(DataType.INT).dup('c');
        return flat.data().asInt();
    }
}
