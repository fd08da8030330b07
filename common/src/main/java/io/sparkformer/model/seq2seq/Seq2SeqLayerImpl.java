package io.sparkformer.model.seq2seq;

import io.sparkformer.model.layer.BackwardWorkspace;
import io.sparkformer.model.nn.LabelSmoothedCrossEntropy;
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
 * The encoder-decoder as a DL4J output layer: forward and backward come from {@link Seq2SeqModel};
 * this class adapts them to DL4J's calling conventions (packed input split by {@link PackedPairs},
 * parameter/gradient views, masks, labels, score). In training the loss is label-smoothed
 * cross-entropy (the spec's epsilon); outside training (validation, {@code evaluate}) it is plain
 * cross-entropy, so that perplexity means what it says. The loss is the mean over counted target
 * tokens, already averaged, so DL4J must not divide gradients by the minibatch size again
 * ({@link #updaterDivideByMinibatch}).
 */
public class Seq2SeqLayerImpl extends BaseLayer<Seq2SeqLayer> implements IOutputLayer {
    private transient Seq2SeqModel model;
    private INDArray labels;
    /** Feature (padding) mask [B, 2L], packed as the input; {@code maskArray} holds the label mask [B, L]. */
    private INDArray paddingMask;
    private transient Step step;

    /** The forward pass for one (input, labels, masks) combination and, once computed, its loss. */
    private record Step(boolean training, INDArray input, INDArray labels, INDArray labelMask, INDArray padding,
                        Seq2SeqModel.Pass pass, SparseCrossEntropy.Result loss) {
        boolean matches(boolean tr, INDArray in, INDArray lab, INDArray lm, INDArray pad) {
            return training == tr && input == in && labels == lab && labelMask == lm && padding == pad;
        }
    }

    public Seq2SeqLayerImpl(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    private Seq2SeqModel model() {
        if (model == null) {
            model = new Seq2SeqModel(layerConf().spec());
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
        try (MemoryWorkspace ignored = activations(workspaceMgr)) {
            Seq2SeqModel.Pass pass = forward(training);
            long b = input.size(0);
            return pass.logits.reshape('c', b, pass.logits.size(0) / b, pass.logits.size(1));
        }
    }

    /**
     * One forward pass, cached for the loss and the backward pass. Its arrays go where the caller's
     * scope puts them: during fit() that is DL4J's ACTIVATIONS workspace, which DL4J keeps open from
     * the forward pass through backprop and scoring, so intermediate results reuse the same memory
     * every step (as the GPT layer does: allocating each op's output off-heap afresh costs more
     * than many of the ops).
     */
    private Seq2SeqModel.Pass forward(boolean training) {
        int batch = (int) input.size(0);
        int[] source = ids(PackedPairs.source(input));
        int[] target = ids(PackedPairs.target(input));
        INDArray sourcePadding = paddingMask == null ? null : PackedPairs.source(paddingMask);
        INDArray targetPadding = paddingMask == null ? null : PackedPairs.target(paddingMask);
        Seq2SeqModel.Pass pass = model().forward(params, source, target, batch, sourcePadding, targetPadding,
                training);
        step = new Step(training, input, labels, maskArray, paddingMask, pass, null);
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

    /** The pass (and loss) for the current input, labels and masks, computed at most once. */
    private Step step(boolean training, LayerWorkspaceMgr mgr) {
        if (labels == null) {
            throw new IllegalStateException("seq2seq layer: labels are not set");
        }
        if (labels.size(1) * 2 != input.size(1)) {
            throw new IllegalArgumentException("seq2seq labels [B, L] must be half as wide as the packed input"
                    + " [B, 2L]: got " + labels.size(1) + " and " + input.size(1));
        }
        if (step == null || step.loss() == null || !step.matches(training, input, labels, maskArray, paddingMask)) {
            try (MemoryWorkspace ignored = activations(mgr)) {
                if (step == null || !step.matches(training, input, labels, maskArray, paddingMask)) {
                    forward(training);
                }
                int[] target = ids(labels);
                double[] weights = labelWeights();
                double smoothing = training ? layerConf().getLabelSmoothing() : 0.0;
                SparseCrossEntropy.Result loss = LabelSmoothedCrossEntropy.compute(step.pass().logits, target,
                        weights, smoothing, training);
                step = new Step(step.training(), step.input(), step.labels(), step.labelMask(), step.padding(),
                        step.pass(), loss);
            }
        }
        return step;
    }

    private double[] labelWeights() {
        return maskArray == null ? null : maskArray.castTo(DataType.DOUBLE).dup('c').data().asDouble();
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(true);
        Step s = step(true, workspaceMgr);
        try (MemoryWorkspace ignored = BackwardWorkspace.enter(workspaceMgr)) {
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
        // the mean target-token cross-entropy (label-smoothed in training).
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
            double[] weights = labelWeights();
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
        throw new UnsupportedOperationException("f1Score is not defined for a translation model");
    }

    @Override
    public double f1Score(INDArray examples, INDArray labels) {
        throw new UnsupportedOperationException("f1Score is not defined for a translation model");
    }

    @Override
    public int numLabels() {
        return layerConf().getTargetVocabSize();
    }

    @Override
    public void fit(DataSetIterator iter) {
        throw new UnsupportedOperationException("fit the ComputationGraph, not the layer");
    }

    @Override
    public int[] predict(INDArray examples) {
        throw new UnsupportedOperationException("use the decode package to translate");
    }

    @Override
    public List<String> predict(DataSet dataSet) {
        throw new UnsupportedOperationException("use the decode package to translate");
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
