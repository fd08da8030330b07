package io.sparkformer.model.layer;

import io.sparkformer.model.kernel.Gemm;
import io.sparkformer.model.kernel.Kernels;
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

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * A whole model as a DL4J output layer: a subclass supplies forward and backward over the named
 * parameter and gradient views (an explicit-backward model such as {@code GptModel}); this class
 * adapts them to DL4J's calling conventions: token ids in, integer labels, masks, score, gradient.
 *
 * <p>The model's logits have one row per predicted label: [B*T, V] for a language model, [B, K]
 * for a classifier. Labels arrive as ids, one per row, in the same order. The label mask
 * ({@code maskArray}, set by DL4J from the DataSet's labels mask) weights rows, 0 = no loss; the
 * feature mask [B, T] (from {@link #feedForwardMaskArray}) is the padding mask. The loss is the mean
 * over counted rows, already averaged, so DL4J must not divide gradients by the minibatch size again
 * ({@link #updaterDivideByMinibatch}).
 *
 * @param <L> the layer bean
 * @param <P> the model's forward pass, kept for its backward pass
 */
public abstract class WholeModelLayerImpl<L extends WholeModelLayer, P> extends BaseLayer<L>
        implements IOutputLayer {
    private INDArray labels;
    /** Feature (padding) mask [B, T]; {@code maskArray} holds the label mask. */
    private INDArray paddingMask;
    private transient Step<P> step;

    /**
     * The forward pass for one (input, labels, masks, selected rows) combination and, once computed,
     * its loss; {@code selected} is null for a pass over every row.
     */
    private record Step<P>(boolean training, INDArray input, INDArray labels, INDArray labelMask, INDArray padding,
                           int[] selected, P pass, SparseCrossEntropy.Result loss) {
        boolean matches(boolean tr, INDArray in, INDArray lab, INDArray lm, INDArray pad, int[] sel) {
            return training == tr && input == in && labels == lab && labelMask == lm && padding == pad
                    && Arrays.equals(selected, sel);
        }
    }

    protected WholeModelLayerImpl(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    /**
     * Runs the model over token ids (batch-major, B*T) with the parameter views {@code params}.
     *
     * @param selected the label rows that carry loss (ascending), or null for all: a model may
     *                 compute its logits at these rows only (see {@link #scoredRows})
     */
    protected abstract P forward(Map<String, INDArray> params, int[] ids, int batch, INDArray padding,
                                 int[] selected, boolean training);

    /** [rows, classes] scores the loss is computed from. */
    protected abstract INDArray logits(P pass);

    /**
     * The label rows that {@link #logits} holds, in order, or null when it holds every row (the
     * default). A masked-LM scores only the positions its label mask selects: the vocabulary
     * projection over all positions would cost as much as the encoder.
     */
    protected int[] scoredRows(P pass) {
        return null;
    }

    /** Accumulates every parameter's gradient into {@code gradients} for dLogits. */
    protected abstract void backward(Map<String, INDArray> params, Map<String, INDArray> gradients, P pass,
                                     INDArray dLogits);

    /** What {@code output()} returns for a pass over {@code batch} sequences. */
    protected abstract INDArray activations(P pass, int batch);

    /** Names the model in error messages ("GPT", "BERT classifier"). */
    protected abstract String modelName();

    /**
     * The loss over the scored rows: plain cross-entropy unless the model trains on another
     * objective (seq2seq smooths its labels in training only, hence {@code training}).
     */
    protected SparseCrossEntropy.Result loss(INDArray logits, int[] targets, double[] weights, boolean training) {
        return SparseCrossEntropy.compute(logits, targets, weights, true);
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
            return activations(forward(training, null), (int) input.size(0));
        }
    }

    /**
     * One forward pass, and its loss when labels are set, cached for the backward pass. Its arrays
     * go where the caller's scope puts them: during fit() that is DL4J's ACTIVATIONS workspace,
     * which DL4J keeps open from the forward pass through backprop and scoring, so intermediate
     * results reuse the same memory every step (allocating each op's output off-heap afresh was
     * the main cost of a step).
     */
    private P forward(boolean training, int[] selected) {
        P pass;
        try (Gemm.Scope ignored = Gemm.at(layerConf().getPrecision())) {
            pass = forward(params, ids(input), (int) input.size(0), paddingMask, selected, training);
        }
        SparseCrossEntropy.Result loss = labels == null ? null : scoredLoss(pass, training);
        step = new Step<>(training, input, labels, maskArray, paddingMask, selected, pass, loss);
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

    /** The loss at the rows the pass scored, weighted by the label mask. */
    private SparseCrossEntropy.Result scoredLoss(P pass, boolean training) {
        int[] rows = scoredRows(pass);
        int[] targets = ids(labels);
        double[] weights = labelWeights();
        if (rows != null) {
            int[] allTargets = targets;
            double[] allWeights = weights;
            targets = Arrays.stream(rows).map(r -> allTargets[r]).toArray();
            weights = allWeights == null ? null : Arrays.stream(rows).mapToDouble(r -> allWeights[r]).toArray();
        }
        return loss(logits(pass), targets, weights, training);
    }

    /** The pass and loss for the current input, labels and masks, computed at most once. */
    private Step<P> step(boolean training, LayerWorkspaceMgr mgr) {
        if (labels == null) {
            throw new IllegalStateException(modelName() + " layer: labels are not set");
        }
        int[] selected = selectedRows();
        if (step == null || step.loss() == null
                || !step.matches(training, input, labels, maskArray, paddingMask, selected)) {
            try (MemoryWorkspace ignored = activations(mgr)) {
                forward(training, selected);
            }
        }
        return step;
    }

    /** Rows whose label-mask weight is not 0, or null without a label mask. */
    private int[] selectedRows() {
        double[] w = labelWeights();
        return w == null ? null : IntStream.range(0, w.length).filter(i -> w[i] != 0).toArray();
    }

    private double[] labelWeights() {
        return maskArray == null ? null : maskArray.castTo(DataType.DOUBLE).dup('c').data().asDouble();
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(true);
        Step<P> s = step(true, workspaceMgr);
        try (MemoryWorkspace ignored = BackwardWorkspace.enter(workspaceMgr);
             Gemm.Scope precision = Gemm.at(layerConf().getPrecision())) {
            if (Kernels.accepts(Kernels.Kernel.UPDATER, gradientsFlattened)) {
                Kernels.zero(gradientsFlattened);   // ND4J's assign(0) was 1.9% of a GEMM-bound local[2] step
            } else {
                gradientsFlattened.assign(0);
            }
            backward(params, gradientViews, s.pass(), s.loss().dLogits());
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
        // the mean cross-entropy that metrics and users expect.
        this.score = loss;
        return score;
    }

    /**
     * Zero: the regularization term {@link #computeScore} leaves out. DL4J computes it before every
     * score, a norm over every decayed matrix (one ND4J op each) that would be thrown away.
     */
    @Override
    public double calcRegularizationScore(boolean backpropParamsOnly) {
        return 0.0;
    }

    /** Per-sequence mean loss over its counted rows (rows are grouped B-major: rows / B per sequence). */
    @Override
    public INDArray computeScoreForExamples(double fullNetRegTerm, LayerWorkspaceMgr workspaceMgr) {
        INDArray out;
        Step<P> s = step(false, workspaceMgr);
        try (MemoryWorkspace ignored = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
            SparseCrossEntropy.Result r = s.loss();
            int batch = (int) input.size(0);
            int rowsPerExample = (int) (labels.length() / batch);
            int[] rows = scoredRows(s.pass());
            double[] weights = labelWeights();
            double[] sum = new double[batch];
            double[] count = new double[batch];
            for (int i = 0; i < r.rowLoss().length; i++) {
                int row = rows == null ? i : rows[i];
                double w = weights == null ? 1 : weights[row];
                sum[row / rowsPerExample] += w * r.rowLoss()[i];
                count[row / rowsPerExample] += w;
            }
            double[] perExample = new double[batch];
            for (int b = 0; b < batch; b++) {
                perExample[b] = count[b] > 0 ? sum[b] / count[b] : 0;
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
        throw unsupported("f1Score");
    }

    @Override
    public double f1Score(INDArray examples, INDArray labels) {
        throw unsupported("f1Score");
    }

    @Override
    public void fit(DataSetIterator iter) {
        throw unsupported("fit");
    }

    @Override
    public int[] predict(INDArray examples) {
        throw unsupported("predict");
    }

    @Override
    public List<String> predict(DataSet dataSet) {
        throw unsupported("predict");
    }

    @Override
    public void fit(INDArray examples, INDArray labels) {
        throw unsupported("fit");
    }

    @Override
    public void fit(DataSet data) {
        throw unsupported("fit");
    }

    @Override
    public void fit(INDArray examples, int[] labels) {
        throw unsupported("fit");
    }

    private UnsupportedOperationException unsupported(String method) {
        return new UnsupportedOperationException(method + " is not available on the " + modelName()
                + " layer: fit and evaluate the ComputationGraph");
    }

    /** Ids from a float/double/int array (row-major), as the model and the loss take them. */
    public static int[] ids(INDArray x) {
        return x.castTo(DataType.INT).dup('c').data().asInt();
    }
}
