package io.sparkformer.model.bert;

import io.sparkformer.config.FinetuneConfig;
import io.sparkformer.config.ModelConfig;
import io.sparkformer.model.Architecture;
import io.sparkformer.model.layer.WholeModelGraph;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/** Token types reach a BERT through its one DL4J input: packed ids | types, or plain ids meaning type 0. */
class BertTokenTypesTest {
    private static final BertSpec SPEC = new BertSpec(11, 6, new Architecture(8, 2, 1, 12, false, false, 1e-12, 0.0,
            ModelConfig.Norm.POST, ModelConfig.Activation.GELU_ERF, 2));
    private static final INDArray IDS = Nd4j.createFromArray(new float[][] {{1, 4, 2, 5, 2, 0}, {1, 3, 2, 6, 7, 2}});
    private static final INDArray MASK = Nd4j.createFromArray(new float[][] {{1, 1, 1, 1, 1, 0}, {1, 1, 1, 1, 1, 1}});

    private static INDArray classify(INDArray input) {
        ComputationGraph net = BertGraphBuilder.classifier(SPEC, 3, FinetuneConfig.Pooling.MEAN,
                new WholeModelGraph.Optimizer(new NoOp(), List.of(), 0), 7, DataType.FLOAT);
        return net.output(false, new INDArray[] {input}, new INDArray[] {MASK})[0];
    }

    @Test
    void plainIdsMeanTypeZeroAndPairTypesChangeTheOutput() {
        INDArray zeros = Nd4j.zeros(DataType.FLOAT, 2, 6);
        INDArray pair = Nd4j.createFromArray(new float[][] {{0, 0, 0, 1, 1, 0}, {0, 0, 0, 1, 1, 1}});
        INDArray plain = classify(IDS);
        assertEquals(plain, classify(BertInputs.pack(IDS, zeros)));
        assertNotEquals(plain, classify(BertInputs.pack(IDS, pair)));
    }

    @Test
    void aTypeOutsideTheTableIsRefused() {
        INDArray bad = Nd4j.createFromArray(new float[][] {{0, 0, 0, 2, 2, 0}, {0, 0, 0, 1, 1, 1}});
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> classify(BertInputs.pack(IDS, bad)));
        assertEquals("token type id 2 at position 3 is outside the vocabulary of 2", e.getMessage());
    }
}
