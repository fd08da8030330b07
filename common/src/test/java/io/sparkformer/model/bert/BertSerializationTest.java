package io.sparkformer.model.bert;

import io.sparkformer.config.FinetuneConfig;
import io.sparkformer.model.Architecture;
import io.sparkformer.model.layer.WholeModelGraph;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;

import java.io.File;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

class BertSerializationTest {
    private static final BertSpec SPEC = new BertSpec(13, 8, Architecture.preNorm(16, 2, 2, 24, false, false, 1e-5, 0.1));
    private static final WholeModelGraph.Optimizer ADAM = new WholeModelGraph.Optimizer(new Adam(1e-3), List.of(), 1.0);
    private static final INDArray X = Nd4j.createFromArray(new float[][] {{1, 2, 3, 4, 5, 6}, {6, 5, 4, 3, 2, 1}});

    @Test
    void jsonRoundTripKeepsTheClassifierSpecAndOutputs() {
        ComputationGraph a = BertGraphBuilder.classifier(SPEC, 3, FinetuneConfig.Pooling.MEAN, ADAM, 9, DataType.FLOAT);
        String json = a.getConfiguration().toJson();
        ComputationGraph b = new ComputationGraph(ComputationGraphConfiguration.fromJson(json));
        b.init(a.params().dup(), false);
        assertEquals(json, b.getConfiguration().toJson());
        BertClassifierLayer layer = BertGraphBuilder.layer(b, BertClassifierLayer.class, "restored");
        assertEquals(SPEC, layer.spec());
        assertEquals(3, layer.classes());
        assertEquals(FinetuneConfig.Pooling.MEAN, layer.pooling());
        assertEquals(a.outputSingle(X), b.outputSingle(X));
    }

    @Test
    void modelSerializerRestoresTheMaskedLmWithItsUpdaterState(@TempDir File dir) throws Exception {
        ComputationGraph a = BertGraphBuilder.maskedLm(SPEC, ADAM, 9, DataType.FLOAT);
        DataSet batch = new DataSet(X, X.dup());
        batch.setLabelsMaskArray(Nd4j.createFromArray(new float[][] {{0, 1, 0, 0, 1, 0}, {1, 0, 0, 0, 0, 0}}));
        a.fit(batch);   // non-trivial updater state
        File file = new File(dir, "model.zip");
        ModelSerializer.writeModel(a, file, true);
        ComputationGraph b = ModelSerializer.restoreComputationGraph(file, true);
        assertEquals(a.params(), b.params());
        assertEquals(a.getUpdater().getStateViewArray(), b.getUpdater().getStateViewArray());
        assertEquals(a.outputSingle(X), b.outputSingle(X));
    }

    @Test
    void aClassifierStartsFromThePretrainedEncoderWithAFreshHead() {
        ComputationGraph pretrained = BertGraphBuilder.maskedLm(SPEC, ADAM, 1, DataType.FLOAT);
        ComputationGraph classifier = BertGraphBuilder.classifier(SPEC, 2, FinetuneConfig.Pooling.FIRST, ADAM, 2, DataType.FLOAT);
        INDArray poolerBefore = classifier.getLayer(BertGraphBuilder.LAYER).getParam(ClassifierHead.POOLER_WEIGHT).dup();
        long copied = BertGraphBuilder.copyEncoder(pretrained, classifier);
        long encoder = BertModel.maskedLm(SPEC).encoderParams().stream()
                .mapToLong(p -> java.util.Arrays.stream(p.shape()).reduce(1, (x, y) -> x * y)).sum();
        assertEquals(encoder, copied);
        for (String name : List.of("wte", "wpe", "h0.attn.qkv.W", "h1.mlp.proj.b", "lnf.g")) {
            assertEquals(pretrained.getLayer(BertGraphBuilder.LAYER).getParam(name),
                    classifier.getLayer(BertGraphBuilder.LAYER).getParam(name), name);
        }
        assertEquals(poolerBefore, classifier.getLayer(BertGraphBuilder.LAYER).getParam(ClassifierHead.POOLER_WEIGHT));
        assertNotEquals(pretrained.getLayer(BertGraphBuilder.LAYER).getParam("wte"),
                BertGraphBuilder.classifier(SPEC, 2, FinetuneConfig.Pooling.FIRST, ADAM, 2, DataType.FLOAT).getLayer(BertGraphBuilder.LAYER).getParam("wte"));
    }
}
