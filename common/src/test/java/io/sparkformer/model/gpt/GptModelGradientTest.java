package io.sparkformer.model.gpt;

import io.sparkformer.model.Architecture;
import io.sparkformer.model.nn.NumericGradient;
import io.sparkformer.model.nn.SparseCrossEntropy;
import io.sparkformer.model.nn.TransformerBlock.ParamSpec;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Central differences on the bare model (no DL4J in between), parameter by parameter. */
class GptModelGradientTest {

    @Test
    void everyParameterGradientMatchesCentralDifferences() {
        GptSpec spec = new GptSpec(7, 6, Architecture.preNorm(8, 2, 2, 12, false, false, 1e-5, 0.0), true);
        GptModel model = new GptModel(spec);
        Nd4j.getRandom().setSeed(3);
        Map<String, INDArray> p = new LinkedHashMap<>();
        Map<String, INDArray> g = new LinkedHashMap<>();
        for (ParamSpec s : model.params()) {
            p.put(s.name(), Nd4j.randn(DataType.DOUBLE, s.shape()).muli(0.5));
            g.put(s.name(), Nd4j.zeros(DataType.DOUBLE, s.shape()));
        }
        Random r = new Random(5);
        int batch = 2;
        int t = 4;
        int[] ids = new int[batch * t];
        int[] labels = new int[batch * t];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = r.nextInt(7);
            labels[i] = r.nextInt(7);
        }
        GptModel.Pass pass = model.forward(p, ids, batch, null, true);
        SparseCrossEntropy.Result loss = SparseCrossEntropy.compute(pass.logits, labels, null, true);
        model.backward(p, g, pass, loss.dLogits());
        List<String> bad = NumericGradient.mismatches(p, g,
                () -> SparseCrossEntropy.compute(model.forward(p, ids, batch, null, false).logits, labels, null, false).loss(),
                1e-6, 1e-5, 1e-9);
        java.util.Map<String, Long> byParam = new java.util.TreeMap<>();
        bad.forEach(b -> byParam.merge(b.substring(0, b.indexOf('[')), 1L, Long::sum));
        assertEquals(Map.of(), byParam, () -> String.join("\n", bad.subList(0, Math.min(10, bad.size()))));
    }
}
