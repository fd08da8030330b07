package io.sparkformer.model.bert;

import io.sparkformer.config.FinetuneConfig;
import io.sparkformer.data.ExampleBatches;
import io.sparkformer.data.LabeledExamples;
import io.sparkformer.model.Architecture;
import io.sparkformer.model.layer.WholeModelGraph;
import io.sparkformer.model.nn.TransformerBlock.ParamSpec;
import io.sparkformer.model.optim.LoopAdam;
import io.sparkformer.train.WarmupCosineSchedule;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** finetune.headLearningRateFactor: the classifier head's own learning rate, kept with the network. */
class BertHeadLearningRateTest {
    private static final BertSpec SPEC = new BertSpec(11, 8, Architecture.preNorm(16, 4, 2, 32, false, false, 1e-5, 0.0));
    private static final double LR = 1e-3;

    /** The largest change of any parameter of the group in one step. */
    private static double largestStep(Layer before, Layer after, List<ParamSpec> group) {
        double max = 0;
        for (ParamSpec p : group) {
            max = Math.max(max, after.getParam(p.name()).sub(before.getParam(p.name())).amaxNumber().doubleValue());
        }
        return max;
    }

    /**
     * Adam's first step moves every parameter with a gradient by its learning rate (m/sqrt(v) = +-1),
     * so the largest head step over the largest encoder step is the factor.
     */
    @ParameterizedTest
    @ValueSource(doubles = {1.0, 10.0})
    void theHeadStepsAtItsFactorOfTheEncodersLearningRate(double factor) {
        WholeModelGraph.Optimizer adam = new WholeModelGraph.Optimizer(
                new LoopAdam(new WarmupCosineSchedule(LR, LR, 0, 100), 0.9, 0.999, 1e-8), List.of(), 0);
        ComputationGraph net = BertGraphBuilder.classifier(
                new BertClassifierLayer(SPEC, 3, FinetuneConfig.Pooling.MEAN, factor), adam, 4, DataType.FLOAT);
        ComputationGraph start = net.clone();
        LabeledExamples examples = new LabeledExamples(new int[][] {{1, 2, 3, 4}, {1, 5, 6}, {1, 7, 8, 9, 10}},
                new int[] {0, 1, 2}, 0);
        net.fit(ExampleBatches.of(examples, new int[] {0, 1, 2}, 0));
        BertModel model = BertModel.classifier(SPEC, 3, FinetuneConfig.Pooling.MEAN);
        Layer before = start.getLayer(BertGraphBuilder.LAYER);
        Layer after = net.getLayer(BertGraphBuilder.LAYER);
        double encoder = largestStep(before, after, model.encoderParams());
        double head = largestStep(before, after, model.headParams());
        assertEquals(LR, encoder, LR * 1e-3, "the encoder steps at train.learningRate");
        assertEquals(factor * LR, head, factor * LR * 1e-3, "the head steps at the factor times it");

        // The factor travels with the network's configuration (checkpoints, Spark workers).
        ComputationGraphConfiguration json = ComputationGraphConfiguration.fromJson(net.getConfiguration().toJson());
        Map<String, Double> factors = json.getVertices().values().stream()
                .filter(v -> v instanceof org.deeplearning4j.nn.conf.graph.LayerVertex)
                .map(v -> ((org.deeplearning4j.nn.conf.graph.LayerVertex) v).getLayerConf().getLayer())
                .filter(l -> l instanceof BertClassifierLayer)
                .collect(Collectors.toMap(l -> l.getLayerName(), l -> ((BertClassifierLayer) l).headLearningRateFactor()));
        assertEquals(Map.of(BertGraphBuilder.LAYER, factor), factors);
    }
}
