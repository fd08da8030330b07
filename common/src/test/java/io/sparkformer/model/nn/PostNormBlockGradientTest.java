package io.sparkformer.model.nn;

import io.sparkformer.config.ModelConfig;
import io.sparkformer.model.Architecture;
import io.sparkformer.model.nn.TransformerBlock.ParamSpec;
import org.apache.commons.math3.special.Erf;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Central-difference checks in double precision of BERT's block variants: post-LayerNorm order and
 * exact erf GELU, alone and together, on a padded bidirectional batch; the input gradient is checked
 * too (treated as a parameter), since blocks are stacked. And erf GELU's values against Commons Math.
 */
class PostNormBlockGradientTest {
    private static final int B = 2;
    private static final int T = 4;
    private static final int C = 8;
    private static final int H = 2;

    @ParameterizedTest(name = "norm={0} activation={1}")
    @CsvSource({"POST, GELU_TANH", "POST, GELU_ERF", "PRE, GELU_ERF"})
    void blockGradientsMatchCentralDifferences(ModelConfig.Norm norm, ModelConfig.Activation activation) {
        Architecture arch = new Architecture(C, H, 1, 12, false, false, 1e-5, 0.0, norm, activation, 0);
        TransformerBlock block = new TransformerBlock("b.", arch, false);
        Nd4j.getRandom().setSeed(13);
        Map<String, INDArray> p = new LinkedHashMap<>();
        Map<String, INDArray> g = new LinkedHashMap<>();
        for (ParamSpec s : block.params()) {
            p.put(s.name(), Nd4j.randn(DataType.DOUBLE, s.shape()).muli(0.3));
            g.put(s.name(), Nd4j.zeros(DataType.DOUBLE, s.shape()));
        }
        // Gains away from 1 and biases away from 0, so a LayerNorm applied in the wrong place shows.
        for (String n : List.of("b.ln1.g", "b.ln2.g")) {
            p.get(n).addi(1.0);
        }
        p.put("x", Nd4j.randn(DataType.DOUBLE, B * T, C));
        g.put("x", Nd4j.zeros(DataType.DOUBLE, B * T, C));
        INDArray pad = Nd4j.createFromArray(new double[][] {{1, 1, 1, 1}, {1, 1, 0, 0}});
        INDArray bias = AttentionMask.bias(B, H, T, T, false, pad, DataType.DOUBLE);
        INDArray w = Nd4j.randn(DataType.DOUBLE, B * T, C);

        TransformerBlock.Cache cache = new TransformerBlock.Cache();
        block.forward(p, p.get("x"), B, bias, null, null, true, cache);
        g.get("x").addi(block.backward(p, g, cache, w, B, null));

        List<String> bad = NumericGradient.mismatches(p, g, () -> block.forward(p, p.get("x"), B, bias, null, null,
                false, new TransformerBlock.Cache()).mul(w).sumNumber().doubleValue(), 1e-6, 1e-5, 1e-8);
        assertEquals(List.of(), bad);
    }

    @Test
    void postNormOutputRowsAreLayerNormalised() {
        Architecture arch = new Architecture(C, H, 1, 12, false, false, 1e-5, 0.0, ModelConfig.Norm.POST,
                ModelConfig.Activation.GELU_ERF, 0);
        TransformerBlock block = new TransformerBlock("b.", arch, false);
        Nd4j.getRandom().setSeed(5);
        Map<String, INDArray> p = new LinkedHashMap<>();
        for (ParamSpec s : block.params()) {
            p.put(s.name(), s.isMatrix() ? Nd4j.randn(DataType.DOUBLE, s.shape()) : s.name().endsWith(".g")
                    ? Nd4j.ones(DataType.DOUBLE, s.shape()) : Nd4j.zeros(DataType.DOUBLE, s.shape()));
        }
        INDArray y = block.forward(p, Nd4j.randn(DataType.DOUBLE, B * T, C).muli(3), B, null, null, null, false,
                new TransformerBlock.Cache());
        // With unit gains and zero biases the last op is LN2: every row has mean 0 and variance ~1.
        assertEquals(0.0, y.mean(1).amaxNumber().doubleValue(), 1e-12);
        assertEquals(1.0, y.var(false, 1).minNumber().doubleValue(), 1e-3);
    }

    @Test
    void erfGeluMatchesItsDefinition() {
        double[] xs = {-6, -3, -1.5, -0.5, 0, 0.3, 1, 2.5, 7};
        INDArray x = Nd4j.createFromArray(xs);
        INDArray y = ErfGelu.forward(x, new INDArray[1]);
        for (int i = 0; i < xs.length; i++) {
            double expected = 0.5 * xs[i] * (1 + Erf.erf(xs[i] / Math.sqrt(2)));
            assertEquals(expected, y.getDouble(i), 1e-12, "gelu(" + xs[i] + ")");
        }
    }
}
