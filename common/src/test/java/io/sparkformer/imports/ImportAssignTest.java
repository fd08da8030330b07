package io.sparkformer.imports;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.sparkformer.InputException;
import io.sparkformer.config.ModelConfig;
import io.sparkformer.model.Architecture;
import io.sparkformer.model.bert.BertGraphBuilder;
import io.sparkformer.model.bert.BertSpec;
import io.sparkformer.model.layer.TransformerStack;
import io.sparkformer.model.layer.WholeModelGraph;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;

/** A BERT import copies tensors by name into a real BERT layer, refusing unknown names and shapes in one line. */
class ImportAssignTest {
    private static Layer layer() {
        Architecture arch = new Architecture(16, 2, 1, 32, false, false, 1e-12, 0.0, ModelConfig.Norm.POST,
                ModelConfig.Activation.GELU_ERF, 2);
        return BertGraphBuilder.maskedLm(new BertSpec(50, 8, arch), new WholeModelGraph.Optimizer(new NoOp(), List.of(), 0),
                1, DataType.FLOAT).getLayer(BertGraphBuilder.LAYER);
    }

    @Test
    void copiesByNameAndRefusesUnknownNamesAndShapes() {
        Layer layer = layer();
        BertCheckpoints.assign(Map.of(TransformerStack.TOKEN_EMBEDDING, Nd4j.ones(DataType.FLOAT, 50, 16)), layer, "m.onnx");
        assertEquals(50 * 16, layer.getParam(TransformerStack.TOKEN_EMBEDDING).sumNumber().doubleValue(), 1e-6);

        InputException unknown = assertThrows(InputException.class, () -> BertCheckpoints.assign(
                Map.of("nope.W", Nd4j.ones(DataType.FLOAT, 2, 2)), layer, "m.onnx"));
        assertEquals("m.onnx: imported tensor nope.W has no parameter of that name in our BERT", unknown.getMessage());
        InputException shape = assertThrows(InputException.class, () -> BertCheckpoints.assign(
                Map.of(TransformerStack.TOKEN_EMBEDDING, Nd4j.ones(DataType.FLOAT, 49, 16)), layer, "m.onnx"));
        assertEquals("m.onnx: imported tensor wte has shape [49, 16] but our BERT's is [50, 16]", shape.getMessage());
    }
}
