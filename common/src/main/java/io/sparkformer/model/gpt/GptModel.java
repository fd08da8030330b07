package io.sparkformer.model.gpt;

import io.sparkformer.model.nn.AttentionMask;
import io.sparkformer.model.nn.Dropout;
import io.sparkformer.model.nn.Embedding;
import io.sparkformer.model.nn.LayerNorm;
import io.sparkformer.model.nn.Reductions;
import io.sparkformer.model.nn.Linear;
import io.sparkformer.model.nn.TransformerBlock;
import io.sparkformer.model.nn.TransformerBlock.Init;
import io.sparkformer.model.nn.TransformerBlock.ParamSpec;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Broadcast;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Decoder-only causal language model (GPT-2 layout) on plain ND4J with an explicit backward pass:
 * <pre>
 *   h0 = wte[ids] (* sqrt(C)) + pos             [B*T, C]
 *   hL = blocks(h0), causal (+ padding) masked  [B*T, C]
 *   logits = LN_f(hL) W_out                     [B*T, V], W_out = wte^T when tied
 * </pre>
 * Parameters are named views (see {@link #params()}); the model itself holds no state.
 */
public final class GptModel {
    public static final String TOKEN_EMBEDDING = "wte";
    public static final String POSITION_EMBEDDING = "wpe";
    public static final String FINAL_NORM_GAIN = "lnf.g";
    public static final String FINAL_NORM_BIAS = "lnf.b";
    public static final String OUTPUT_WEIGHT = "head.W";

    private final GptSpec spec;
    private final List<TransformerBlock> blocks = new ArrayList<>();

    public GptModel(GptSpec spec) {
        this.spec = spec;
        for (int i = 0; i < spec.layers(); i++) {
            blocks.add(new TransformerBlock("h" + i + ".", spec.embedDim(), spec.heads(), spec.ffnDim(), false,
                    spec.layerNormEpsilon(), spec.dropout()));
        }
    }

    public GptSpec spec() {
        return spec;
    }

    /** Every parameter in storage order. */
    public List<ParamSpec> params() {
        long v = spec.vocabSize();
        long c = spec.embedDim();
        List<ParamSpec> p = new ArrayList<>();
        p.add(new ParamSpec(TOKEN_EMBEDDING, new long[] {v, c}, Init.NORMAL));
        if (!spec.sinusoidalPositions()) {
            p.add(new ParamSpec(POSITION_EMBEDDING, new long[] {spec.contextLength(), c}, Init.NORMAL));
        }
        for (TransformerBlock b : blocks) {
            p.addAll(b.params());
        }
        p.add(new ParamSpec(FINAL_NORM_GAIN, new long[] {c}, Init.ONE));
        p.add(new ParamSpec(FINAL_NORM_BIAS, new long[] {c}, Init.ZERO));
        if (!spec.tiedEmbeddings()) {
            p.add(new ParamSpec(OUTPUT_WEIGHT, new long[] {c, v}, Init.NORMAL));
        }
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
        INDArray normed;
        /** [B*T, V] unnormalised next-token scores. */
        public INDArray logits;
    }

    /**
     * @param ids     token ids, batch-major, length B*T
     * @param padding [B, T] with 1 for real tokens and 0 for padding, or null
     */
    public Pass forward(Map<String, INDArray> p, int[] ids, int batch, INDArray padding, boolean training) {
        int t = ids.length / batch;
        if (t > spec.contextLength()) {
            throw new IllegalArgumentException("sequence length " + t + " exceeds the model's context length "
                    + spec.contextLength());
        }
        checkIds(ids);
        INDArray wte = p.get(TOKEN_EMBEDDING);
        DataType dt = wte.dataType();
        Pass pass = new Pass();
        pass.batch = batch;
        pass.length = t;
        pass.ids = ids;

        INDArray x = Embedding.lookup(wte, ids);                                   // [N, C]
        if (spec.scaleEmbeddings()) {
            x.muli(Math.sqrt(spec.embedDim()));
        }
        INDArray pos = positions(p, t, dt);                                        // [T, C]
        INDArray x3 = x.reshape('c', batch, t, spec.embedDim());
        Broadcast.add(x3, pos, x3, 1, 2);
        pass.embedDrop = Dropout.mask(x, training ? spec.dropout() : 0.0);
        x = Dropout.apply(x, pass.embedDrop);

        INDArray bias = AttentionMask.bias(batch, spec.heads(), t, t, true, padding, dt);
        for (TransformerBlock block : blocks) {
            TransformerBlock.Cache cache = new TransformerBlock.Cache();
            x = block.forward(p, x, batch, bias, null, null, training, cache);
            pass.blocks.add(cache);
        }
        LayerNorm.Cache[] lnf = new LayerNorm.Cache[1];
        pass.normed = LayerNorm.forward(x, p.get(FINAL_NORM_GAIN), p.get(FINAL_NORM_BIAS), spec.layerNormEpsilon(), lnf);
        pass.finalNorm = lnf[0];
        pass.logits = spec.tiedEmbeddings()
                ? Nd4j.gemm(pass.normed, wte, false, true)                          // [N, V]
                : Linear.forward(pass.normed, p.get(OUTPUT_WEIGHT), null);
        return pass;
    }

    /** Accumulates all parameter gradients into {@code g} for dLogits [B*T, V]. */
    public void backward(Map<String, INDArray> p, Map<String, INDArray> g, Pass pass, INDArray dLogits) {
        INDArray wte = p.get(TOKEN_EMBEDDING);
        INDArray dNormed;
        if (spec.tiedEmbeddings()) {
            g.get(TOKEN_EMBEDDING).addi(Nd4j.gemm(dLogits, pass.normed, true, false));       // [V, C]
            dNormed = Nd4j.gemm(dLogits, wte, false, false);                                // [N, C]
        } else {
            dNormed = Linear.backward(pass.normed, p.get(OUTPUT_WEIGHT), dLogits, g.get(OUTPUT_WEIGHT), null);
        }
        INDArray dx = LayerNorm.backward(pass.finalNorm, p.get(FINAL_NORM_GAIN), dNormed,
                g.get(FINAL_NORM_GAIN), g.get(FINAL_NORM_BIAS));
        for (int i = blocks.size() - 1; i >= 0; i--) {
            dx = blocks.get(i).backward(p, g, pass.blocks.get(i), dx, pass.batch, null);
        }
        dx = Dropout.apply(dx, pass.embedDrop);
        if (!spec.sinusoidalPositions()) {
            INDArray dPos = Reductions.columnSums(dx.reshape('c', pass.batch, pass.length * (long) spec.embedDim()))
                    .reshape('c', pass.length, spec.embedDim());                          // [T, C]
            g.get(POSITION_EMBEDDING).get(NDArrayIndex.interval(0, pass.length), NDArrayIndex.all()).addi(dPos);
        }
        if (spec.scaleEmbeddings()) {
            dx = dx.mul(Math.sqrt(spec.embedDim()));
        }
        Embedding.accumulate(g.get(TOKEN_EMBEDDING), pass.ids, dx);
    }

    private INDArray positions(Map<String, INDArray> p, int t, DataType dt) {
        if (spec.sinusoidalPositions()) {
            return Embedding.sinusoidal(t, spec.embedDim(), dt);
        }
        return p.get(POSITION_EMBEDDING).get(NDArrayIndex.interval(0, t), NDArrayIndex.all());
    }

    private void checkIds(int[] ids) {
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= spec.vocabSize()) {
                throw new IllegalArgumentException("token id " + ids[i] + " at position " + i
                        + " is outside the vocabulary of " + spec.vocabSize());
            }
        }
    }
}
