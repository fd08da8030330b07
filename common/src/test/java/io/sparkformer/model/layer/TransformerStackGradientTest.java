package io.sparkformer.model.layer;

import io.sparkformer.config.ModelConfig;
import io.sparkformer.model.Architecture;
import io.sparkformer.model.nn.NumericGradient;
import io.sparkformer.model.nn.TransformerBlock.ParamSpec;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Central-difference checks in double precision of BERT's trunk as real BERTs have it: token-type
 * (segment) embeddings fed sentence-pair types 0/1, the embedding LayerNorm and post-LN blocks
 * without a final LayerNorm, erf GELU; with padding. Every parameter's gradient is compared,
 * {@code type.w} and {@code emb.ln.*} included.
 */
class TransformerStackGradientTest {
    private static final int B = 2;
    private static final int T = 5;
    private static final int V = 9;

    @ParameterizedTest(name = "norm={0} types={1}")
    @CsvSource({"POST, 2", "POST, 0", "PRE, 3"})
    void stackGradientsMatchCentralDifferences(ModelConfig.Norm norm, int typeVocab) {
        Architecture arch = new Architecture(8, 2, 2, 12, false, false, 1e-5, 0.0, norm,
                ModelConfig.Activation.GELU_ERF, typeVocab);
        TransformerStack stack = new TransformerStack(arch, V, 6, false);
        List<String> names = stack.params().stream().map(ParamSpec::name).toList();
        assertEquals(norm == ModelConfig.Norm.POST, names.contains(TransformerStack.EMBEDDING_NORM_GAIN));
        assertEquals(norm == ModelConfig.Norm.PRE, names.contains(TransformerStack.FINAL_NORM_GAIN));
        assertEquals(typeVocab > 0, names.contains(TransformerStack.TYPE_EMBEDDING));

        Nd4j.getRandom().setSeed(17);
        Map<String, INDArray> p = new LinkedHashMap<>();
        Map<String, INDArray> g = new LinkedHashMap<>();
        for (ParamSpec s : stack.params()) {
            INDArray v = Nd4j.randn(DataType.DOUBLE, s.shape()).muli(0.5);
            if (s.name().endsWith(".g")) {
                v.addi(1.0);
            }
            p.put(s.name(), v);
            g.put(s.name(), Nd4j.zeros(DataType.DOUBLE, s.shape()));
        }
        int[] ids = {2, 5, 1, 7, 3, 4, 8, 6, 0, 0};
        // [CLS] a [SEP] b [SEP]-style types: the second part of each row is sentence b.
        int[] types = typeVocab == 0 ? null : new int[] {0, 0, 0, 1, 1, 0, 0, 1, 1, 1};
        INDArray pad = Nd4j.createFromArray(new double[][] {{1, 1, 1, 1, 1}, {1, 1, 1, 0, 0}});
        INDArray w = Nd4j.randn(DataType.DOUBLE, B * T, 8);

        TransformerStack.Pass pass = stack.forward(p, ids, types, B, pad, true);
        stack.backward(p, g, pass, w);
        if (typeVocab > 0) {
            assertTrue(g.get(TransformerStack.TYPE_EMBEDDING).getRow(1).norm2Number().doubleValue() > 0,
                    "type 1 receives a gradient");
        }
        List<String> bad = NumericGradient.mismatches(p, g, () -> stack.forward(p, ids, types, B, pad, false).out
                .mul(w).sumNumber().doubleValue(), 1e-6, 1e-5, 1e-8);
        assertEquals(List.of(), bad);
    }
}
