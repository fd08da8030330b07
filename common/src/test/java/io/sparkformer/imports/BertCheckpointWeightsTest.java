package io.sparkformer.imports;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.sparkformer.export.FloatTensor;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Our BERT parameter names and layouts back to Hugging Face's: a tiny random BERT classifier laid
 * out as our model holds it (written here plainly: W [in, out], query | key | value fused) maps back
 * to the same tensors, and a fused query projection computes what BERT's query Linear computes.
 */
class BertCheckpointWeightsTest {

    /** Hugging Face weights as our parameters: the layout our post-LN BERT stores. */
    private static Map<String, INDArray> ours(HfBert bert) {
        BertWeights w = bert.encoder();
        BertArchitecture a = w.architecture();
        int c = a.hidden();
        Map<String, INDArray> p = new HashMap<>();
        p.put("wte", array(w.get(BertWeights.WORD_EMBEDDINGS)));
        p.put("wpe", array(w.get(BertWeights.POSITION_EMBEDDINGS)));
        p.put("type.w", array(w.get(BertWeights.TOKEN_TYPE_EMBEDDINGS)));
        p.put("emb.ln.g", array(w.get("embeddings.LayerNorm.weight")));
        p.put("emb.ln.b", array(w.get("embeddings.LayerNorm.bias")));
        for (int i = 0; i < a.layers(); i++) {
            String h = BertWeights.layer(i);
            String o = "h" + i + ".";
            INDArray qkv = Nd4j.hstack(array(w.get(h + "attention.self.query.weight")).transpose(),
                    array(w.get(h + "attention.self.key.weight")).transpose(),
                    array(w.get(h + "attention.self.value.weight")).transpose());
            p.put(o + "attn.qkv.W", qkv.dup('c'));
            p.put(o + "attn.qkv.b", Nd4j.concat(0, array(w.get(h + "attention.self.query.bias")),
                    array(w.get(h + "attention.self.key.bias")), array(w.get(h + "attention.self.value.bias"))));
            p.put(o + "attn.proj.W", array(w.get(h + "attention.output.dense.weight")).transpose().dup('c'));
            p.put(o + "attn.proj.b", array(w.get(h + "attention.output.dense.bias")));
            p.put(o + "ln1.g", array(w.get(h + "attention.output.LayerNorm.weight")));
            p.put(o + "ln1.b", array(w.get(h + "attention.output.LayerNorm.bias")));
            p.put(o + "mlp.fc.W", array(w.get(h + "intermediate.dense.weight")).transpose().dup('c'));
            p.put(o + "mlp.fc.b", array(w.get(h + "intermediate.dense.bias")));
            p.put(o + "mlp.proj.W", array(w.get(h + "output.dense.weight")).transpose().dup('c'));
            p.put(o + "mlp.proj.b", array(w.get(h + "output.dense.bias")));
            p.put(o + "ln2.g", array(w.get(h + "output.LayerNorm.weight")));
            p.put(o + "ln2.b", array(w.get(h + "output.LayerNorm.bias")));
        }
        p.put("pooler.W", array(w.get(BertWeights.POOLER_WEIGHT)).transpose().dup('c'));
        p.put("pooler.b", array(w.get(BertWeights.POOLER_BIAS)));
        p.put("classifier.W", array(bert.classifier().weight()).transpose().dup('c'));
        p.put("classifier.b", array(bert.classifier().bias()));
        assertEquals(c * 3L, p.get("h0.attn.qkv.W").size(1));
        return p;
    }

    private static INDArray array(FloatTensor t) {
        return Nd4j.createFromArray(t.data()).reshape('c', t.shape());
    }

    private static HfBert tinyClassifier() {
        BertWeights encoder = HfBertDirectoryTest.tiny();
        return new HfBert(encoder, new HfBert.Classifier(HfBertDirectoryTest.random(new long[] {3, 8}, 40),
                HfBertDirectoryTest.random(new long[] {3}, 41), List.of("a", "b", "c")), "{}");
    }

    @Test
    void ourParametersMapBackToTheSameHuggingFaceTensors() {
        HfBert bert = tinyClassifier();
        HfBert back = BertCheckpointWeights.fromParameters(ours(bert), bert.encoder().architecture(), HfBertConfig.CLASSIFIER,
                List.of("a", "b", "c"), "{}");
        assertEquals(bert, back);
    }

    @Test
    void theFusedQueryColumnsComputeBertsQueryLinear() {
        HfBert bert = tinyClassifier();
        Map<String, INDArray> p = ours(bert);
        INDArray x = Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, 5, 8);      // [N, C]
        INDArray fused = x.mmul(p.get("h1.attn.qkv.W")).get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 8));               // [N, C] query part
        INDArray query = x.mmul(array(bert.encoder().get("encoder.layer.1.attention.self.query.weight")).transpose());
        assertEquals(0.0, fused.sub(query).amaxNumber().doubleValue(), 1e-5);
    }

    @Test
    void aPreLayerNormCheckpointIsRefusedNamingTheMissingParameter() {
        HfBert bert = tinyClassifier();
        Map<String, INDArray> p = ours(bert);
        p.remove("emb.ln.g");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BertCheckpointWeights.fromParameters(p, bert.encoder().architecture(), HfBertConfig.ENCODER, List.of(), null));
        assertEquals("the checkpoint has no parameter 'emb.ln.g' (a post-LayerNorm BERT with token types has it)",
                e.getMessage());
    }
}
