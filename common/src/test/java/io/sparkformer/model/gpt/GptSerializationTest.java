package io.sparkformer.model.gpt;

import io.sparkformer.model.Architecture;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;

import java.io.File;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class GptSerializationTest {
    private static ComputationGraph net() {
        GptSpec spec = new GptSpec(13, 8, Architecture.preNorm(16, 2, 2, 24, true, true, 1e-5, 0.1), false);
        return GptGraphBuilder.build(spec, new Adam(1e-3), List.of(), 1.0, 9, DataType.FLOAT);
    }

    @Test
    void jsonRoundTripOfTheGraphConfigurationGivesIdenticalOutputs() {
        ComputationGraph a = net();
        String json = a.getConfiguration().toJson();
        ComputationGraph b = new ComputationGraph(ComputationGraphConfiguration.fromJson(json));
        b.init(a.params().dup(), false);
        assertEquals(json, b.getConfiguration().toJson());
        INDArray x = Nd4j.createFromArray(new float[][] {{1, 2, 3, 4, 5, 6}});
        assertEquals(a.outputSingle(x), b.outputSingle(x));
        GptLayer layer = (GptLayer) b.getLayer(GptGraphBuilder.LAYER).conf().getLayer();
        assertEquals(((GptLayer) a.getLayer(GptGraphBuilder.LAYER).conf().getLayer()).spec(), layer.spec());
    }

    @Test
    void modelSerializerSaveRestoreGivesIdenticalOutputsAndUpdaterState(@TempDir File dir) throws Exception {
        ComputationGraph a = net();
        INDArray x = Nd4j.createFromArray(new float[][] {{1, 2, 3, 4, 5, 6}, {6, 5, 4, 3, 2, 1}});
        INDArray y = Nd4j.createFromArray(new float[][] {{2, 3, 4, 5, 6, 7}, {5, 4, 3, 2, 1, 0}});
        a.fit(new org.nd4j.linalg.dataset.DataSet(x, y));   // non-trivial updater state
        File file = new File(dir, "model.zip");
        ModelSerializer.writeModel(a, file, true);
        ComputationGraph b = ModelSerializer.restoreComputationGraph(file, true);
        assertEquals(a.params(), b.params());
        assertEquals(a.getUpdater().getStateViewArray(), b.getUpdater().getStateViewArray());
        assertEquals(a.outputSingle(x), b.outputSingle(x));
    }
}
