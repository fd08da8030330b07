package io.sparkformer.model.gpt;

import io.sparkformer.model.Architecture;
import io.sparkformer.model.nn.GraphGradientCheck;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** DL4J's own gradient check (central differences, double precision) over every GPT parameter. */
@ExtendWith(GraphGradientCheck.DoublePrecision.class)
class GptGradientCheckTest {

    static ComputationGraph tinyGpt(boolean tied, boolean sinusoidal, boolean scaled, long seed) {
        GptSpec spec = new GptSpec(7, 6, Architecture.preNorm(8, 2, 2, 12, sinusoidal, scaled, 1e-5, 0.0), tied);
        return GptGraphBuilder.build(spec, new NoOp(), List.of(), 0, seed, DataType.DOUBLE);
    }

    @ParameterizedTest(name = "tied={0} sinusoidal={1} scaled={2} padding={3} labelMask={4}")
    @CsvSource({
            "true,  false, false, false, false",
            "false, false, false, false, false",
            "true,  true,  true,  false, false",
            "false, true,  false, true,  true",
            "true,  false, false, true,  true",
    })
    void gradientsMatchCentralDifferences(boolean tied, boolean sinusoidal, boolean scaled, boolean padding,
                                          boolean labelMask) {
        ComputationGraph net = tinyGpt(tied, sinusoidal, scaled, 42);
        // Larger-than-init weights so that attention is far from uniform and every path matters.
        net.params().muli(10);
        INDArray x = GraphGradientCheck.randomIds(3, 5, 7, 1);
        INDArray y = GraphGradientCheck.randomIds(3, 5, 7, 2);
        INDArray mask = null;
        if (padding || labelMask) {
            mask = Nd4j.ones(DataType.DOUBLE, 3, 5);
            mask.putScalar(0, 4, 0);
            mask.putScalar(0, 3, 0);
            mask.putScalar(2, 4, 0);
        }
        boolean ok = GraphGradientCheck.passes(net, x, y, padding ? mask : null, labelMask ? mask : null);
        assertTrue(ok, "gradient check failed");
    }
}
