package io.sparkformer.model.nn;

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

/**
 * Central-difference checks of one block in double precision, in the variants the model families
 * use: causal decoder, padded encoder, and decoder with cross-attention over a padded memory. The
 * input and memory gradients are checked too (treated as parameters), since blocks are stacked.
 */
class TransformerBlockGradientTest {
    private static final int B = 2;
    private static final int T = 4;
    private static final int S = 3;
    private static final int C = 8;
    private static final int H = 2;

    @ParameterizedTest(name = "causal={0} padding={1} cross={2}")
    @CsvSource({"true, false, false", "false, true, false", "true, true, true", "false, false, true"})
    void blockGradientsMatchCentralDifferences(boolean causal, boolean padding, boolean cross) {
        TransformerBlock block = new TransformerBlock("b.", C, H, 12, cross, 1e-5, 0.0);
        Nd4j.getRandom().setSeed(11);
        Map<String, INDArray> p = new LinkedHashMap<>();
        Map<String, INDArray> g = new LinkedHashMap<>();
        for (ParamSpec s : block.params()) {
            p.put(s.name(), Nd4j.randn(DataType.DOUBLE, s.shape()).muli(0.3));
            g.put(s.name(), Nd4j.zeros(DataType.DOUBLE, s.shape()));
        }
        p.put("x", Nd4j.randn(DataType.DOUBLE, B * T, C));
        g.put("x", Nd4j.zeros(DataType.DOUBLE, B * T, C));
        if (cross) {
            p.put("memory", Nd4j.randn(DataType.DOUBLE, B * S, C));
            g.put("memory", Nd4j.zeros(DataType.DOUBLE, B * S, C));
        }
        INDArray selfPad = padding ? Nd4j.createFromArray(new double[][] {{1, 1, 1, 1}, {1, 1, 0, 0}}) : null;
        INDArray memPad = Nd4j.createFromArray(new double[][] {{1, 1, 1}, {1, 0, 0}});
        INDArray selfBias = AttentionMask.bias(B, H, T, T, causal, selfPad, DataType.DOUBLE);
        INDArray crossBias = cross ? AttentionMask.bias(B, H, T, S, false, memPad, DataType.DOUBLE) : null;
        // A fixed random projection of the output makes a scalar loss that touches every output.
        INDArray w = Nd4j.randn(DataType.DOUBLE, B * T, C);

        TransformerBlock.Cache cache = new TransformerBlock.Cache();
        INDArray y = block.forward(p, p.get("x"), B, selfBias, p.get("memory"), crossBias, true, cache);
        assertEquals(B * T, y.size(0));
        INDArray dMemory = cross ? g.get("memory") : null;
        g.get("x").addi(block.backward(p, g, cache, w, B, dMemory));

        List<String> bad = NumericGradient.mismatches(p, g, () -> block.forward(p, p.get("x"), B, selfBias,
                p.get("memory"), crossBias, false, new TransformerBlock.Cache()).mul(w).sumNumber().doubleValue(),
                1e-6, 1e-5, 1e-8);
        assertEquals(List.of(), bad);
    }
}
