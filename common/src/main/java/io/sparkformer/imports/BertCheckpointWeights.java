package io.sparkformer.imports;

import io.sparkformer.InputException;
import io.sparkformer.export.FloatTensor;
import io.sparkformer.model.bert.ClassifierHead;
import io.sparkformer.model.bert.MlmHead;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Our post-LayerNorm BERT's parameters back under Hugging Face names, for {@code export}: the
 * inverse of the import's mapping. Our linears hold W as [in, out] ({@code y = x W + b}); Hugging
 * Face's {@code nn.Linear} holds [out, in], so every matrix is transposed; our fused
 * {@code attn.qkv} [C, 3C] is query | key | value along its columns, heads contiguous in each, as
 * in GPT-2 and in BERT's own query/key/value rows. In post-LN blocks {@code ln1} follows the
 * attention residual and {@code ln2} the feed-forward one; the embeddings end in {@code emb.ln}.
 * Dimensions: C hidden, F feed-forward, K labels.
 */
public final class BertCheckpointWeights {

    private BertCheckpointWeights() {
    }

    /**
     * @param p          our parameters by name (a BERT layer's paramTable)
     * @param modelClass what to write (one of {@link HfBertConfig#CLASSES}): the encoder alone (with the
     *                   pooler when {@code p} has one), with the classifier, or with the masked-LM head
     * @param labels     the classifier's labels in output order, or empty
     * @throws io.sparkformer.InputException naming the parameter when one is missing or misshapen
     */
    public static HfBert fromParameters(Map<String, INDArray> p, BertArchitecture a, String modelClass,
            List<String> labels, String tokenizerJson) {
        int c = a.hidden();
        int f = a.ffn();
        Map<String, FloatTensor> t = new LinkedHashMap<>();
        t.put(BertWeights.WORD_EMBEDDINGS, same(p, "wte", a.vocab(), c));
        t.put(BertWeights.POSITION_EMBEDDINGS, same(p, "wpe", a.maxPositions(), c));
        t.put(BertWeights.TOKEN_TYPE_EMBEDDINGS, same(p, "type.w", a.typeVocab(), c));
        t.put("embeddings.LayerNorm.weight", vector(p, "emb.ln.g", c));
        t.put("embeddings.LayerNorm.bias", vector(p, "emb.ln.b", c));
        for (int i = 0; i < a.layers(); i++) {
            String ours = "h" + i + ".";
            String hf = BertWeights.layer(i);
            float[] qkv = values(p, ours + "attn.qkv.W", c, 3 * c);                 // [C, 3C]
            float[] qkvBias = values(p, ours + "attn.qkv.b", 3 * c);
            String[] parts = {"query", "key", "value"};
            for (int k = 0; k < 3; k++) {
                t.put(hf + "attention.self." + parts[k] + ".weight", transposedColumns(qkv, c, 3 * c, k * c, c));
                t.put(hf + "attention.self." + parts[k] + ".bias",
                        new FloatTensor(new long[] {c}, Arrays.copyOfRange(qkvBias, k * c, (k + 1) * c)));
            }
            t.put(hf + "attention.output.dense.weight", transposed(p, ours + "attn.proj.W", c, c));
            t.put(hf + "attention.output.dense.bias", vector(p, ours + "attn.proj.b", c));
            t.put(hf + "attention.output.LayerNorm.weight", vector(p, ours + "ln1.g", c));
            t.put(hf + "attention.output.LayerNorm.bias", vector(p, ours + "ln1.b", c));
            t.put(hf + "intermediate.dense.weight", transposed(p, ours + "mlp.fc.W", c, f));
            t.put(hf + "intermediate.dense.bias", vector(p, ours + "mlp.fc.b", f));
            t.put(hf + "output.dense.weight", transposed(p, ours + "mlp.proj.W", f, c));
            t.put(hf + "output.dense.bias", vector(p, ours + "mlp.proj.b", c));
            t.put(hf + "output.LayerNorm.weight", vector(p, ours + "ln2.g", c));
            t.put(hf + "output.LayerNorm.bias", vector(p, ours + "ln2.b", c));
        }
        HfBert.Classifier classifier = null;
        HfBert.MaskedLm maskedLm = null;
        if (p.containsKey(ClassifierHead.POOLER_WEIGHT) && !modelClass.equals(HfBertConfig.MASKED_LM)) {
            t.put(BertWeights.POOLER_WEIGHT, transposed(p, ClassifierHead.POOLER_WEIGHT, c, c));
            t.put(BertWeights.POOLER_BIAS, vector(p, ClassifierHead.POOLER_BIAS, c));
        }
        if (modelClass.equals(HfBertConfig.CLASSIFIER)) {
            int k = labels.size();
            classifier = new HfBert.Classifier(transposed(p, "classifier.W", c, k), vector(p, "classifier.b", k), labels);
        } else if (modelClass.equals(HfBertConfig.MASKED_LM)) {
            maskedLm = new HfBert.MaskedLm(transposed(p, MlmHead.TRANSFORM_WEIGHT, c, c),
                    vector(p, MlmHead.TRANSFORM_BIAS, c), vector(p, MlmHead.NORM_GAIN, c),
                    vector(p, MlmHead.NORM_BIAS, c), vector(p, MlmHead.DECODER_BIAS, a.vocab()));
        }
        return new HfBert(new BertWeights(a, t), classifier, maskedLm, tokenizerJson);
    }

    /** Row-major values of parameter {@code name}, which must have exactly {@code shape}. */
    private static float[] values(Map<String, INDArray> p, String name, long... shape) {
        INDArray array = p.get(name);
        if (array == null) {
            throw new InputException("the checkpoint has no parameter '" + name + "' (a post-LayerNorm BERT"
                    + " with token types has it)");
        }
        if (!Arrays.equals(array.shape(), shape)) {
            throw new InputException("parameter '" + name + "' has shape " + Arrays.toString(array.shape())
                    + ", expected " + Arrays.toString(shape));
        }
        return array.castTo(DataType.FLOAT).dup('c').data().asFloat();
    }

    private static FloatTensor same(Map<String, INDArray> p, String name, int rows, int cols) {
        return new FloatTensor(new long[] {rows, cols}, values(p, name, rows, cols));
    }

    private static FloatTensor vector(Map<String, INDArray> p, String name, int n) {
        return new FloatTensor(new long[] {n}, values(p, name, n));
    }

    /** [in, out] to [out, in]. */
    private static FloatTensor transposed(Map<String, INDArray> p, String name, int in, int out) {
        return transposedColumns(values(p, name, in, out), in, out, 0, out);
    }

    /** Columns [from, from + width) of a row-major [rows, cols] matrix, transposed to [width, rows]. */
    static FloatTensor transposedColumns(float[] m, int rows, int cols, int from, int width) {
        float[] out = new float[width * rows];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < width; j++) {
                out[j * rows + r] = m[r * cols + from + j];
            }
        }
        return new FloatTensor(new long[] {width, rows}, out);
    }
}
