package io.sparkformer.model.gpt;

import io.sparkformer.model.kernel.Gemm;
import io.sparkformer.model.nn.Linear;
import io.sparkformer.model.nn.TransformerBlock.Init;
import io.sparkformer.model.nn.TransformerBlock.ParamSpec;
import io.sparkformer.model.layer.TransformerStack;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Decoder-only causal language model (GPT-2 layout) on plain ND4J with an explicit backward pass:
 * <pre>
 *   h = TransformerStack(ids), causal (+ padding) masked   [B*T, C]   embeddings, blocks, LN_f
 *   logits = h W_out                                      [B*T, V], W_out = wte^T when tied
 * </pre>
 * Parameters are named views (see {@link #params()}); the model itself holds no state.
 */
public final class GptModel {
    public static final String TOKEN_EMBEDDING = TransformerStack.TOKEN_EMBEDDING;
    public static final String POSITION_EMBEDDING = TransformerStack.POSITION_EMBEDDING;
    public static final String FINAL_NORM_GAIN = TransformerStack.FINAL_NORM_GAIN;
    public static final String FINAL_NORM_BIAS = TransformerStack.FINAL_NORM_BIAS;
    public static final String OUTPUT_WEIGHT = "head.W";

    private final GptSpec spec;
    private final TransformerStack stack;

    public GptModel(GptSpec spec) {
        this.spec = spec;
        this.stack = new TransformerStack(spec.arch(), spec.vocabSize(), spec.contextLength(), true);
    }

    public GptSpec spec() {
        return spec;
    }

    /** Every parameter in storage order. */
    public List<ParamSpec> params() {
        List<ParamSpec> p = new ArrayList<>(stack.params());
        if (!spec.tiedEmbeddings()) {
            p.add(new ParamSpec(OUTPUT_WEIGHT, new long[] {spec.arch().embedDim(), spec.vocabSize()}, Init.NORMAL));
        }
        return p;
    }

    /** The activations of one forward pass, kept for the backward pass. */
    public static final class Pass {
        TransformerStack.Pass stack;
        /** [B*T, V] unnormalised next-token scores. */
        public INDArray logits;
    }

    /**
     * @param ids     token ids, batch-major, length B*T
     * @param padding [B, T] with 1 for real tokens and 0 for padding, or null
     */
    public Pass forward(Map<String, INDArray> p, int[] ids, int batch, INDArray padding, boolean training) {
        Pass pass = new Pass();
        pass.stack = stack.forward(p, ids, batch, padding, training);
        INDArray normed = pass.stack.out;                                          // [N, C]
        pass.logits = spec.tiedEmbeddings()
                ? Gemm.multiply(normed, p.get(TOKEN_EMBEDDING), false, true)            // [N, V]
                : Linear.forward(normed, p.get(OUTPUT_WEIGHT), null);
        return pass;
    }

    /** Accumulates all parameter gradients into {@code g} for dLogits [B*T, V]. */
    public void backward(Map<String, INDArray> p, Map<String, INDArray> g, Pass pass, INDArray dLogits) {
        INDArray normed = pass.stack.out;
        INDArray dNormed;
        if (spec.tiedEmbeddings()) {
            g.get(TOKEN_EMBEDDING).addi(Gemm.multiply(dLogits, normed, true, false));           // [V, C]
            dNormed = Gemm.multiply(dLogits, p.get(TOKEN_EMBEDDING), false, false);            // [N, C]
        } else {
            dNormed = Linear.backward(normed, p.get(OUTPUT_WEIGHT), dLogits, g.get(OUTPUT_WEIGHT), null);
        }
        stack.backward(p, g, pass.stack, dNormed);
    }
}
