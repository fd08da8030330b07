package io.sparkformer.imports;

import io.sparkformer.InputException;
import io.sparkformer.config.ModelConfig;
import io.sparkformer.export.FloatTensor;
import io.sparkformer.model.Architecture;
import io.sparkformer.model.bert.ClassifierHead;
import io.sparkformer.model.bert.MlmHead;
import io.sparkformer.model.layer.TransformerStack;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Hugging Face BERT weights ({@link BertWeights}) under our BERT's parameter names, ready to be
 * copied into a {@code BertLayer}'s parameter table by name. Hugging Face's {@code nn.Linear}
 * holds W as [out, in] and computes x W^T + b; ours hold [in, out] and compute x W + b, so every
 * matrix is transposed; query, key and value become one [C, 3C] matrix q|k|v (head-major inside
 * each, as both sides split heads). The position table is returned whole ([maxPositions, C]): a
 * model with a shorter context takes its first rows.
 */
public final class BertParameters {
    private BertParameters() {
    }

    /**
     * @param a the architecture the parameters are for: post-LN, erf GELU, and the sizes of {@code w}
     * @return our name -> float array, encoder first in our storage order, then the pooler if {@code w} has one
     */
    public static Map<String, INDArray> toParameters(BertWeights w, Architecture a) {
        BertArchitecture b = w.architecture();
        check(b, a);
        Map<String, INDArray> p = new LinkedHashMap<>();
        p.put(TransformerStack.TOKEN_EMBEDDING, matrix(w.get(BertWeights.WORD_EMBEDDINGS)));
        p.put(TransformerStack.POSITION_EMBEDDING, matrix(w.get(BertWeights.POSITION_EMBEDDINGS)));
        p.put(TransformerStack.TYPE_EMBEDDING, matrix(w.get(BertWeights.TOKEN_TYPE_EMBEDDINGS)));
        p.put(TransformerStack.EMBEDDING_NORM_GAIN, vector(w.get("embeddings.LayerNorm.weight")));
        p.put(TransformerStack.EMBEDDING_NORM_BIAS, vector(w.get("embeddings.LayerNorm.bias")));
        for (int i = 0; i < b.layers(); i++) {
            String hf = BertWeights.layer(i);
            String ours = "h" + i + ".";
            String self = hf + "attention.self.";
            p.put(ours + "ln1.g", vector(w.get(hf + "attention.output.LayerNorm.weight")));
            p.put(ours + "ln1.b", vector(w.get(hf + "attention.output.LayerNorm.bias")));
            p.put(ours + "attn.qkv.W", Nd4j.hstack(transposed(w.get(self + "query.weight")),
                    transposed(w.get(self + "key.weight")), transposed(w.get(self + "value.weight"))));  // [C, 3C]
            p.put(ours + "attn.qkv.b", Nd4j.concat(0, vector(w.get(self + "query.bias")),
                    vector(w.get(self + "key.bias")), vector(w.get(self + "value.bias"))));               // [3C]
            p.put(ours + "attn.proj.W", transposed(w.get(hf + "attention.output.dense.weight")));
            p.put(ours + "attn.proj.b", vector(w.get(hf + "attention.output.dense.bias")));
            p.put(ours + "ln2.g", vector(w.get(hf + "output.LayerNorm.weight")));
            p.put(ours + "ln2.b", vector(w.get(hf + "output.LayerNorm.bias")));
            p.put(ours + "mlp.fc.W", transposed(w.get(hf + "intermediate.dense.weight")));               // [C, F]
            p.put(ours + "mlp.fc.b", vector(w.get(hf + "intermediate.dense.bias")));
            p.put(ours + "mlp.proj.W", transposed(w.get(hf + "output.dense.weight")));                   // [F, C]
            p.put(ours + "mlp.proj.b", vector(w.get(hf + "output.dense.bias")));
        }
        if (w.tensors().containsKey(BertWeights.POOLER_WEIGHT)) {
            p.put(ClassifierHead.POOLER_WEIGHT, transposed(w.get(BertWeights.POOLER_WEIGHT)));
            p.put(ClassifierHead.POOLER_BIAS, vector(w.get(BertWeights.POOLER_BIAS)));
        }
        return p;
    }

    /**
     * A {@code BertForSequenceClassification}'s linear layer under our classifier head's names
     * ({@code ClassifierHead}'s classifier.W [C, K], classifier.b [K]): transposed like every matrix.
     */
    public static Map<String, INDArray> classifier(HfBert.Classifier c) {
        Map<String, INDArray> p = new LinkedHashMap<>();
        p.put("classifier.W", transposed(c.weight()));
        p.put("classifier.b", vector(c.bias()));
        return p;
    }

    /**
     * A {@code BertForMaskedLM}'s head under our masked-LM head's names ({@code MlmHead}): the
     * transform's dense transposed, its LayerNorm, the decoder bias (the decoder weight is {@code wte}).
     */
    public static Map<String, INDArray> maskedLm(HfBert.MaskedLm m) {
        Map<String, INDArray> p = new LinkedHashMap<>();
        p.put(MlmHead.TRANSFORM_WEIGHT, transposed(m.transformWeight()));
        p.put(MlmHead.TRANSFORM_BIAS, vector(m.transformBias()));
        p.put(MlmHead.NORM_GAIN, vector(m.normWeight()));
        p.put(MlmHead.NORM_BIAS, vector(m.normBias()));
        p.put(MlmHead.DECODER_BIAS, vector(m.bias()));
        return p;
    }

    /** The architecture an import of {@code b} builds: post-LN, its GELU, learned positions, no dropout. */
    public static Architecture architecture(BertArchitecture b) {
        return new Architecture(b.hidden(), b.heads(), b.layers(), b.ffn(), false, false, b.layerNormEpsilon(), 0.0,
                ModelConfig.Norm.POST, b.activation(), b.typeVocab());
    }

    private static void check(BertArchitecture b, Architecture a) {
        String mismatch = null;
        if (a.embedDim() != b.hidden() || a.heads() != b.heads() || a.layers() != b.layers() || a.ffnDim() != b.ffn()) {
            mismatch = "model.embedDim/heads/layers/ffnDim " + a.embedDim() + "/" + a.heads() + "/" + a.layers() + "/"
                    + a.ffnDim() + " but the weights have " + b.hidden() + "/" + b.heads() + "/" + b.layers() + "/"
                    + b.ffn();
        } else if (a.typeVocabSize() != b.typeVocab()) {
            mismatch = "model.typeVocabSize " + a.typeVocabSize() + " but the weights have " + b.typeVocab();
        } else if (a.norm() != ModelConfig.Norm.POST) {
            mismatch = "model.norm must be post (BERT's order)";
        } else if (a.activation() != b.activation()) {
            mismatch = "model.activation " + a.activation().configName() + " but the weights were trained with "
                    + b.activation().configName();
        } else if (a.sinusoidalPositions() || a.scaleEmbeddings()) {
            mismatch = "BERT has learned, unscaled positions (model.positions = learned, model.scaleEmbeddings = false)";
        }
        if (mismatch != null) {
            throw new InputException("BERT weights do not fit the architecture: " + mismatch);
        }
    }

    private static INDArray matrix(FloatTensor t) {
        return Nd4j.create(t.data(), t.shape(), 'c');
    }

    private static INDArray transposed(FloatTensor t) {
        return matrix(t).transpose().dup('c');
    }

    private static INDArray vector(FloatTensor t) {
        return Nd4j.createFromArray(t.data().clone());
    }
}
