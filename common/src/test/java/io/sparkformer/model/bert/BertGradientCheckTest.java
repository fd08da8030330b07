package io.sparkformer.model.bert;

import io.sparkformer.config.FinetuneConfig;
import io.sparkformer.config.ModelConfig;
import io.sparkformer.model.Architecture;
import io.sparkformer.model.layer.WholeModelGraph;
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

/**
 * DL4J's own gradient check (central differences, double precision) over every BERT parameter:
 * the bidirectional encoder with padding masks under both heads (masked-LM with a label mask, and
 * the pooled classifier).
 */
@ExtendWith(GraphGradientCheck.DoublePrecision.class)
class BertGradientCheckTest {
    private static final int VOCAB = 9;

    static BertSpec spec(boolean sinusoidal) {
        return new BertSpec(VOCAB, 6, Architecture.preNorm(8, 2, 2, 12, sinusoidal, false, 1e-5, 0.0));
    }

    /** Rows 0 and 2 end in padding. */
    static INDArray padding() {
        INDArray mask = Nd4j.ones(DataType.DOUBLE, 3, 5);
        mask.putScalar(0, 4, 0);
        mask.putScalar(0, 3, 0);
        mask.putScalar(2, 4, 0);
        return mask;
    }

    private static boolean check(ComputationGraph net, INDArray x, INDArray y, INDArray inputMask, INDArray labelMask) {
        // Larger-than-init weights so that attention is far from uniform and every path matters.
        net.params().muli(10);
        return GraphGradientCheck.passes(net, x, y, inputMask, labelMask);
    }

    @ParameterizedTest(name = "sinusoidal={0} padding={1} labelMask={2}")
    @CsvSource({"false, false, false", "false, true, true", "true, true, true"})
    void maskedLmGradientsMatchCentralDifferences(boolean sinusoidal, boolean padding, boolean labelMask) {
        ComputationGraph net = BertGraphBuilder.maskedLm(spec(sinusoidal), new WholeModelGraph.Optimizer(new NoOp(),
                List.of(), 0), 42, DataType.DOUBLE);
        INDArray selected = null;
        if (labelMask) {
            selected = Nd4j.zeros(DataType.DOUBLE, 3, 5);
            selected.putScalar(0, 1, 1);
            selected.putScalar(1, 0, 1);
            selected.putScalar(1, 4, 1);
            selected.putScalar(2, 2, 1);
        }
        assertTrue(check(net, GraphGradientCheck.randomIds(3, 5, VOCAB, 1), GraphGradientCheck.randomIds(3, 5, VOCAB, 2), padding ? padding() : null,
                selected), "gradient check failed");
    }

    @ParameterizedTest(name = "padding={0}, pooling={1}")
    @CsvSource({"false, FIRST", "true, FIRST", "true, MEAN"})
    void classifierGradientsMatchCentralDifferences(boolean padding, FinetuneConfig.Pooling pooling) {
        ComputationGraph net = BertGraphBuilder.classifier(spec(false), 3, pooling, new WholeModelGraph.Optimizer(new NoOp(),
                List.of(), 0), 42, DataType.DOUBLE);
        assertTrue(check(net, GraphGradientCheck.randomIds(3, 5, VOCAB, 1), GraphGradientCheck.randomIds(3, 1, 3, 2), padding ? padding() : null, null),
                "gradient check failed");
    }

    /**
     * BERT's own layout: post-LN blocks, embedding LayerNorm, erf GELU, a token-type table fed
     * sentence-pair types 0/1 through the packed input [B, 2T] (ids | types).
     */
    @ParameterizedTest(name = "classifier={0}")
    @CsvSource({"false", "true"})
    void postNormErfGeluEncoderWithTokenTypesGradientsMatchCentralDifferences(boolean classifier) {
        BertSpec spec = new BertSpec(VOCAB, 6, new Architecture(8, 2, 2, 12, false, false, 1e-12, 0.0,
                ModelConfig.Norm.POST, ModelConfig.Activation.GELU_ERF, 2));
        WholeModelGraph.Optimizer none = new WholeModelGraph.Optimizer(new NoOp(), List.of(), 0);
        ComputationGraph net = classifier
                ? BertGraphBuilder.classifier(spec, 3, FinetuneConfig.Pooling.FIRST, none, 42, DataType.DOUBLE)
                : BertGraphBuilder.maskedLm(spec, none, 42, DataType.DOUBLE);
        INDArray types = Nd4j.createFromArray(new double[][] {{0, 0, 1, 1, 1}, {0, 0, 0, 1, 1}, {0, 1, 1, 1, 1}});
        INDArray x = BertInputs.pack(GraphGradientCheck.randomIds(3, 5, VOCAB, 1), types);
        INDArray y = classifier ? GraphGradientCheck.randomIds(3, 1, 3, 2) : GraphGradientCheck.randomIds(3, 5, VOCAB, 2);
        assertTrue(check(net, x, y, padding(), null), "gradient check failed");
    }
}
