package io.sparkformer.model.layer;

import io.sparkformer.model.nn.AttentionMask;
import io.sparkformer.model.nn.Dropout;
import io.sparkformer.model.nn.Embedding;
import io.sparkformer.model.nn.LayerNorm;
import io.sparkformer.model.nn.Reductions;
import io.sparkformer.model.nn.TransformerBlock;
import io.sparkformer.model.nn.TransformerBlock.Init;
import io.sparkformer.model.nn.TransformerBlock.ParamSpec;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Broadcast;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The trunk every family shares: token and position embeddings, N pre-LayerNorm blocks and a final
 * LayerNorm, with an explicit backward pass. GPT runs it causal, BERT bidirectional; both mask
 * padded keys. Dimensions: B batch, T sequence length, C embedDim, V vocabulary, N = B*T.
 * <pre>
 *   h0  = wte[ids] (* sqrt(C)) + pos            [N, C]   pos learned (wpe) or sinusoidal
 *   hL  = blocks(h0)                            [N, C]   causal and/or key-padding masked
 *   out = LN_f(hL)                              [N, C]
 * </pre>
 */
public final class TransformerStack {
    public static final String TOKEN_EMBEDDING = "wte";
    public static final String POSITION_EMBEDDING = "wpe";
    public static final String FINAL_NORM_GAIN = "lnf.g";
    public static final String FINAL_NORM_BIAS = "lnf.b";

    /** The shape of a stack; {@code causal} = a query never sees later keys. */
    public record Shape(int vocabSize, int contextLength, int embedDim, int heads, int layers, int ffnDim,
                        boolean sinusoidalPositions, boolean scaleEmbeddings, double layerNormEpsilon,
                        double dropout, boolean causal) {
    }

    private final Shape shape;
    private final List<TransformerBlock> blocks = new ArrayList<>();

    public TransformerStack(Shape shape) {
        this.shape = shape;
        for (int i = 0; i < shape.layers(); i++) {
            blocks.add(new TransformerBlock("h" + i + ".", shape.embedDim(), shape.heads(), shape.ffnDim(), false,
                    shape.layerNormEpsilon(), shape.dropout()));
        }
    }

    /** Parameters in storage order: embeddings, blocks, final LayerNorm. */
    public List<ParamSpec> params() {
        long c = shape.embedDim();
        List<ParamSpec> p = new ArrayList<>();
        p.add(new ParamSpec(TOKEN_EMBEDDING, new long[] {shape.vocabSize(), c}, Init.NORMAL));
        if (!shape.sinusoidalPositions()) {
            p.add(new ParamSpec(POSITION_EMBEDDING, new long[] {shape.contextLength(), c}, Init.NORMAL));
        }
        for (TransformerBlock b : blocks) {
            p.addAll(b.params());
        }
        p.add(new ParamSpec(FINAL_NORM_GAIN, new long[] {c}, Init.ONE));
        p.add(new ParamSpec(FINAL_NORM_BIAS, new long[] {c}, Init.ZERO));
        return p;
    }

    /** The activations of one forward pass, kept for the backward pass. */
    public static final class Pass {
        int batch;
        int length;
        int[] ids;
        INDArray embedDrop;
        final List<TransformerBlock.Cache> blocks = new ArrayList<>();
        LayerNorm.Cache finalNorm;
        /** [N, C] the final LayerNorm's output. */
        public INDArray out;

        public int batch() {
            return batch;
        }

        public int length() {
            return length;
        }
    }

    /**
     * @param ids     token ids, batch-major, length B*T with T <= contextLength
     * @param padding [B, T] with 1 for real tokens and 0 for padding, or null
     */
    public Pass forward(Map<String, INDArray> p, int[] ids, int batch, INDArray padding, boolean training) {
        int t = ids.length / batch;
        if (t > shape.contextLength()) {
            throw new IllegalArgumentException("sequence length " + t + " exceeds the model's context length "
                    + shape.contextLength());
        }
        checkIds(ids);
        INDArray wte = p.get(TOKEN_EMBEDDING);
        DataType dt = wte.dataType();
        Pass pass = new Pass();
        pass.batch = batch;
        pass.length = t;
        pass.ids = ids;

        INDArray x = Embedding.lookup(wte, ids);                                   // [N, C]
        if (shape.scaleEmbeddings()) {
            x.muli(Math.sqrt(shape.embedDim()));
        }
        INDArray pos = positions(p, t, dt);                                        // [T, C]
        INDArray x3 = x.reshape('c', batch, t, shape.embedDim());
        Broadcast.add(x3, pos, x3, 1, 2);
        pass.embedDrop = Dropout.mask(x, training ? shape.dropout() : 0.0);
        x = Dropout.apply(x, pass.embedDrop);

        INDArray bias = AttentionMask.bias(batch, shape.heads(), t, t, shape.causal(), padding, dt);
        for (TransformerBlock block : blocks) {
            TransformerBlock.Cache cache = new TransformerBlock.Cache();
            x = block.forward(p, x, batch, bias, null, null, training, cache);
            pass.blocks.add(cache);
        }
        LayerNorm.Cache[] lnf = new LayerNorm.Cache[1];
        pass.out = LayerNorm.forward(x, p.get(FINAL_NORM_GAIN), p.get(FINAL_NORM_BIAS), shape.layerNormEpsilon(), lnf);
        pass.finalNorm = lnf[0];
        return pass;
    }

    /** Accumulates every stack parameter's gradient into {@code g} for dOut [N, C]. */
    public void backward(Map<String, INDArray> p, Map<String, INDArray> g, Pass pass, INDArray dOut) {
        INDArray dx = LayerNorm.backward(pass.finalNorm, p.get(FINAL_NORM_GAIN), dOut,
                g.get(FINAL_NORM_GAIN), g.get(FINAL_NORM_BIAS));
        for (int i = blocks.size() - 1; i >= 0; i--) {
            dx = blocks.get(i).backward(p, g, pass.blocks.get(i), dx, pass.batch, null);
        }
        dx = Dropout.apply(dx, pass.embedDrop);
        if (!shape.sinusoidalPositions()) {
            INDArray dPos = Reductions.columnSums(dx.reshape('c', pass.batch, pass.length * (long) shape.embedDim()))
                    .reshape('c', pass.length, shape.embedDim());                          // [T, C]
            g.get(POSITION_EMBEDDING).get(NDArrayIndex.interval(0, pass.length), NDArrayIndex.all()).addi(dPos);
        }
        if (shape.scaleEmbeddings()) {
            dx = dx.mul(Math.sqrt(shape.embedDim()));
        }
        Embedding.accumulate(g.get(TOKEN_EMBEDDING), pass.ids, dx);
    }

    private INDArray positions(Map<String, INDArray> p, int t, DataType dt) {
        if (shape.sinusoidalPositions()) {
            return Embedding.sinusoidal(t, shape.embedDim(), dt);
        }
        return p.get(POSITION_EMBEDDING).get(NDArrayIndex.interval(0, t), NDArrayIndex.all());
    }

    private void checkIds(int[] ids) {
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= shape.vocabSize()) {
                throw new IllegalArgumentException("token id " + ids[i] + " at position " + i
                        + " is outside the vocabulary of " + shape.vocabSize());
            }
        }
    }
}
