package io.sparkformer.model.bert;

import io.sparkformer.model.kernel.Gemm;
import io.sparkformer.config.ModelConfig;
import io.sparkformer.model.nn.ErfGelu;
import io.sparkformer.model.nn.Gelu;
import io.sparkformer.model.nn.LayerNorm;
import io.sparkformer.model.nn.Linear;
import io.sparkformer.model.nn.Reductions;
import io.sparkformer.model.nn.TransformerBlock.Init;
import io.sparkformer.model.nn.TransformerBlock.ParamSpec;
import io.sparkformer.model.layer.TransformerStack;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;
import java.util.Map;

/**
 * BERT's masked-LM head, with the decoder tied to the input token embedding (as BERT does):
 * <pre>
 *   u      = LN_m(gelu(h W_t + b_t))     [N, C]   the "transform" of BERT's cls/predictions
 *   logits = u wte^T + b_dec             [N, V]
 * </pre>
 * The GELU is the encoder's ({@code model.activation}), as Hugging Face's head uses hidden_act: an
 * imported {@code BertForMaskedLM} (erf GELU) predicts as it did in PyTorch.
 * The transform gives the tied decoder its own space to predict in, apart from the encoder's last
 * layer; it is what BERT and its Hugging Face port ship, so weights map one to one. In training only
 * the selected rows (R of N, about 15%) are scored, as BERT's pretraining does: the [N, V]
 * projection would otherwise cost as much as the encoder.
 */
public final class MlmHead implements BertHead {
    public static final String TRANSFORM_WEIGHT = "mlm.dense.W";
    public static final String TRANSFORM_BIAS = "mlm.dense.b";
    public static final String NORM_GAIN = "mlm.ln.g";
    public static final String NORM_BIAS = "mlm.ln.b";
    public static final String DECODER_BIAS = "mlm.decoder.b";

    private final BertSpec spec;
    private final boolean erfGelu;

    MlmHead(BertSpec spec) {
        this.spec = spec;
        this.erfGelu = spec.arch().activation() == ModelConfig.Activation.GELU_ERF;
    }

    @Override
    public List<ParamSpec> params() {
        long c = spec.arch().embedDim();
        return List.of(
                new ParamSpec(TRANSFORM_WEIGHT, new long[] {c, c}, Init.NORMAL),
                new ParamSpec(TRANSFORM_BIAS, new long[] {c}, Init.ZERO),
                new ParamSpec(NORM_GAIN, new long[] {c}, Init.ONE),
                new ParamSpec(NORM_BIAS, new long[] {c}, Init.ZERO),
                new ParamSpec(DECODER_BIAS, new long[] {spec.vocabSize()}, Init.ZERO));
    }

    private static final class MlmPass extends Pass {
        long allRows;
        INDArray hidden;
        INDArray dense;
        INDArray geluFactor;     // the GELU's saved factor: sigmoid/tanh term, or Phi(x) for erf
        LayerNorm.Cache norm;
        INDArray transformed;
    }

    @Override
    public Pass forward(Map<String, INDArray> p, INDArray hidden, int batch, INDArray padding, int[] selected,
                        boolean training) {
        MlmPass pass = new MlmPass();
        pass.allRows = hidden.size(0);
        pass.rows = selected;
        pass.hidden = selected == null ? hidden : Nd4j.pullRows(hidden, 1, selected);               // [R, C]
        pass.dense = Linear.forward(pass.hidden, p.get(TRANSFORM_WEIGHT), p.get(TRANSFORM_BIAS));  // [R, C]
        INDArray[] factor = new INDArray[1];
        INDArray act = erfGelu ? ErfGelu.forward(pass.dense, factor) : Gelu.forward(pass.dense, factor);
        pass.geluFactor = factor[0];
        LayerNorm.Cache[] norm = new LayerNorm.Cache[1];
        pass.transformed = LayerNorm.forward(act, p.get(NORM_GAIN), p.get(NORM_BIAS), spec.arch().layerNormEpsilon(), norm);
        pass.norm = norm[0];
        pass.logits = Gemm.multiply(pass.transformed, p.get(TransformerStack.TOKEN_EMBEDDING), false, true)  // [R, V]
                .addiRowVector(p.get(DECODER_BIAS));
        return pass;
    }

    @Override
    public INDArray backward(Map<String, INDArray> p, Map<String, INDArray> g, Pass head, INDArray dLogits) {
        MlmPass pass = (MlmPass) head;
        Reductions.addColumnSums(dLogits, g.get(DECODER_BIAS));
        g.get(TransformerStack.TOKEN_EMBEDDING).addi(Gemm.multiply(dLogits, pass.transformed, true, false));  // [V, C]
        INDArray dTransformed = Gemm.multiply(dLogits, p.get(TransformerStack.TOKEN_EMBEDDING), false, false);   // [R, C]
        INDArray dAct = LayerNorm.backward(pass.norm, p.get(NORM_GAIN), dTransformed, g.get(NORM_GAIN),
                g.get(NORM_BIAS));
        INDArray dDense = erfGelu ? ErfGelu.backward(pass.dense, pass.geluFactor, dAct)
                : Gelu.backward(pass.dense, pass.geluFactor, dAct);
        INDArray dSelected = Linear.backward(pass.hidden, p.get(TRANSFORM_WEIGHT), dDense, g.get(TRANSFORM_WEIGHT),
                g.get(TRANSFORM_BIAS));                                                          // [R, C]
        return pass.rows == null ? dSelected : scatter(pass.rows, pass.allRows, dSelected);
    }

    /** dHidden [N, C] with dSelected's rows at {@code rows} and zeros elsewhere: a one-hot [N, R] product. */
    private static INDArray scatter(int[] rows, long n, INDArray dSelected) {
        INDArray oneHot = Nd4j.zeros(dSelected.dataType(), n, rows.length);                       // [N, R]
        for (int i = 0; i < rows.length; i++) {
            oneHot.putScalar(rows[i], i, 1.0);
        }
        return Nd4j.gemm(oneHot, dSelected, false, false);
    }
}
