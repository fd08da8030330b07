package io.sparkformer.model.layer;

import io.sparkformer.model.Architecture;
import io.sparkformer.model.kernel.Kernels;
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
 * The trunk every family shares: token, position (and token-type) embeddings and N blocks, with an
 * explicit backward pass. GPT runs it causal, BERT bidirectional; both mask padded keys.
 * Dimensions: B batch, T sequence length, C embedDim, V vocabulary, N = B*T.
 * <pre>
 *   e   = wte[ids] (* sqrt(C)) + pos (+ type.w[types])   [N, C]   pos learned (wpe) or sinusoidal
 *   pre-LN (GPT-2, default):   out = LN_f(blocks(e))           blocks normalise their sublayer inputs
 *   post-LN (BERT):            out = blocks(LN_emb(e))         blocks normalise after each residual sum
 * </pre>
 */
public final class TransformerStack {
    public static final String TOKEN_EMBEDDING = "wte";
    public static final String POSITION_EMBEDDING = "wpe";
    public static final String FINAL_NORM_GAIN = "lnf.g";
    public static final String FINAL_NORM_BIAS = "lnf.b";
    public static final String TYPE_EMBEDDING = "type.w";
    public static final String EMBEDDING_NORM_GAIN = "emb.ln.g";
    public static final String EMBEDDING_NORM_BIAS = "emb.ln.b";

    private final Architecture shape;
    private final int vocabSize;
    private final int contextLength;
    /** A query never sees later keys. */
    private final boolean causal;
    private final List<TransformerBlock> blocks = new ArrayList<>();

    public TransformerStack(Architecture arch, int vocabSize, int contextLength, boolean causal) {
        this.shape = arch;
        this.vocabSize = vocabSize;
        this.contextLength = contextLength;
        this.causal = causal;
        for (int i = 0; i < arch.layers(); i++) {
            blocks.add(new TransformerBlock("h" + i + ".", arch, false));
        }
    }

    /** Parameters in storage order: embeddings (Hugging Face's order), blocks, final LayerNorm (pre-LN only). */
    public List<ParamSpec> params() {
        long c = shape.embedDim();
        List<ParamSpec> p = new ArrayList<>();
        p.add(new ParamSpec(TOKEN_EMBEDDING, new long[] {vocabSize, c}, Init.NORMAL));
        if (!shape.sinusoidalPositions()) {
            p.add(new ParamSpec(POSITION_EMBEDDING, new long[] {contextLength, c}, Init.NORMAL));
        }
        if (shape.typeVocabSize() > 0) {
            p.add(new ParamSpec(TYPE_EMBEDDING, new long[] {shape.typeVocabSize(), c}, Init.NORMAL));
        }
        if (shape.postNorm()) {
            p.add(new ParamSpec(EMBEDDING_NORM_GAIN, new long[] {c}, Init.ONE));
            p.add(new ParamSpec(EMBEDDING_NORM_BIAS, new long[] {c}, Init.ZERO));
        }
        for (TransformerBlock b : blocks) {
            p.addAll(b.params());
        }
        if (!shape.postNorm()) {
            p.add(new ParamSpec(FINAL_NORM_GAIN, new long[] {c}, Init.ONE));
            p.add(new ParamSpec(FINAL_NORM_BIAS, new long[] {c}, Init.ZERO));
        }
        return p;
    }

    /** The activations of one forward pass, kept for the backward pass. */
    public static final class Pass {
        int batch;
        int length;
        int[] ids;
        int[] types;
        LayerNorm.Cache embedNorm;
        INDArray embedDrop;
        final List<TransformerBlock.Cache> blocks = new ArrayList<>();
        LayerNorm.Cache finalNorm;
        /** [N, C] the last hidden states (after the final LayerNorm of a pre-LN stack). */
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
        return forward(p, ids, null, batch, padding, training);
    }

    /**
     * @param types token-type (segment) ids like {@code ids}, or null for all 0; only with
     *              {@code typeVocabSize > 0} (a model without the table ignores them)
     */
    public Pass forward(Map<String, INDArray> p, int[] ids, int[] types, int batch, INDArray padding,
                        boolean training) {
        int t = ids.length / batch;
        if (t > contextLength) {
            throw new IllegalArgumentException("sequence length " + t + " exceeds the model's context length "
                    + contextLength);
        }
        checkIds(ids, vocabSize, "token");
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
        if (Kernels.accepts(Kernels.Kernel.RESIDUAL, x, pos)) {
            Kernels.addTiled(x, pos);                                              // each sequence's [T, C]
        } else {
            INDArray x3 = x.reshape('c', batch, t, shape.embedDim());
            Broadcast.add(x3, pos, x3, 1, 2);
        }
        if (shape.typeVocabSize() > 0) {
            pass.types = types != null ? types : new int[ids.length];
            if (pass.types.length != ids.length) {
                throw new IllegalArgumentException(pass.types.length + " token types for " + ids.length + " tokens");
            }
            checkIds(pass.types, shape.typeVocabSize(), "token type");
            x.addi(Embedding.lookup(p.get(TYPE_EMBEDDING), pass.types));
        }
        if (shape.postNorm()) {
            LayerNorm.Cache[] ln = new LayerNorm.Cache[1];
            x = LayerNorm.forward(x, p.get(EMBEDDING_NORM_GAIN), p.get(EMBEDDING_NORM_BIAS), shape.layerNormEpsilon(), ln);
            pass.embedNorm = ln[0];
        }
        pass.embedDrop = Dropout.mask(x, training ? shape.dropout() : 0.0);
        x = Dropout.apply(x, pass.embedDrop);

        INDArray bias = AttentionMask.bias(batch, shape.heads(), t, t, causal, padding, dt);
        for (TransformerBlock block : blocks) {
            TransformerBlock.Cache cache = new TransformerBlock.Cache();
            x = block.forward(p, x, batch, bias, null, null, training, cache);
            pass.blocks.add(cache);
        }
        if (shape.postNorm()) {
            pass.out = x;
            return pass;
        }
        LayerNorm.Cache[] lnf = new LayerNorm.Cache[1];
        pass.out = LayerNorm.forward(x, p.get(FINAL_NORM_GAIN), p.get(FINAL_NORM_BIAS), shape.layerNormEpsilon(), lnf);
        pass.finalNorm = lnf[0];
        return pass;
    }

    /** Accumulates every stack parameter's gradient into {@code g} for dOut [N, C]. */
    public void backward(Map<String, INDArray> p, Map<String, INDArray> g, Pass pass, INDArray dOut) {
        INDArray dx = shape.postNorm() ? dOut : LayerNorm.backward(pass.finalNorm, p.get(FINAL_NORM_GAIN), dOut,
                g.get(FINAL_NORM_GAIN), g.get(FINAL_NORM_BIAS));
        dx = Dropout.apply(BackwardWorkspace.throughBlocks(blocks, pass.blocks, p, g, dx, pass.batch, null),
                pass.embedDrop);
        if (shape.postNorm()) {
            dx = LayerNorm.backward(pass.embedNorm, p.get(EMBEDDING_NORM_GAIN), dx, g.get(EMBEDDING_NORM_GAIN),
                    g.get(EMBEDDING_NORM_BIAS));
        }
        if (shape.typeVocabSize() > 0) {
            Embedding.accumulate(g.get(TYPE_EMBEDDING), pass.types, dx);
        }
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

    private static void checkIds(int[] ids, int size, String what) {
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= size) {
                throw new IllegalArgumentException(what + " id " + ids[i] + " at position " + i
                        + " is outside the vocabulary of " + size);
            }
        }
    }
}
