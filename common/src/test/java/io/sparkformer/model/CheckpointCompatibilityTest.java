package io.sparkformer.model;

import io.sparkformer.config.ModelConfig;
import io.sparkformer.model.bert.BertClassifierLayer;
import io.sparkformer.model.bert.BertGraphBuilder;
import io.sparkformer.model.bert.BertSpec;
import io.sparkformer.model.gpt.GptGraphBuilder;
import io.sparkformer.model.gpt.GptLayer;
import io.sparkformer.model.gpt.GptSpec;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.regularization.WeightDecay;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.RecordComponent;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * GPT and BERT checkpoints written before the architecture became one record (commit 452e3cb) must
 * still load and behave the same. Each fixture in {@code <family>/checkpoint-v1/} is a tiny model
 * (2 layers, 16 wide, learned positions; GPT tied, BERT a 3-class mean-pooled classifier) after one
 * AdamW step, written by that code with its configuration JSON, parameter layout, output on
 * {@link #batch} and parameters after one more step, compared within float rounding. A change to how
 * the bean's JSON reads, the parameter names or order, the updater-state layout or the math shows up
 * here. Those checkpoints hold the architecture as flat fields of the layer bean; today's beans hold
 * it as one {@code "arch"} object and still read the flat form.
 */
class CheckpointCompatibilityTest {
    private static final float ROUNDING = 1e-6f;

    private static DataSet batch(String family) {
        INDArray x = Nd4j.createFromArray(new float[][] {{1, 2, 3, 4, 5, 6}, {6, 5, 4, 3, 2, 1}});
        INDArray y = family.equals("gpt")
                ? Nd4j.createFromArray(new float[][] {{2, 3, 4, 5, 6, 7}, {5, 4, 3, 2, 1, 0}})
                : Nd4j.createFromArray(new float[][] {{2}, {1}});
        return new DataSet(x, y);
    }

    private static File fixture(String family, String name) throws URISyntaxException {
        String path = "/" + family + "/checkpoint-v1/" + name;
        return new File(Objects.requireNonNull(CheckpointCompatibilityTest.class.getResource(path), path).toURI());
    }

    private static String text(String family, String name) throws IOException {
        String path = "/" + family + "/checkpoint-v1/" + name;
        try (InputStream in = CheckpointCompatibilityTest.class.getResourceAsStream(path)) {
            return new String(Objects.requireNonNull(in, path).readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static final Architecture ARCH = Architecture.preNorm(16, 2, 2, 24, false, false, 1e-5, 0.0);

    /** An earlier checkpoint's configuration JSON as today's code writes it once it has read it. */
    private static String rewritten(String json) {
        return ComputationGraphConfiguration.fromJson(json).toJson();
    }

    @Test
    void anEarlierGptCheckpointHoldsTheSameSpecAndANewGraphWritesWhatItsJsonReadsAs() throws Exception {
        ComputationGraph old = ModelSerializer.restoreComputationGraph(fixture("gpt", "model.zip"), false);
        GptSpec spec = ((GptLayer) old.getLayer(GptGraphBuilder.LAYER).conf().getLayer()).spec();
        assertEquals(new GptSpec(13, 8, ARCH, true), spec);
        ComputationGraph fresh = GptGraphBuilder.build(spec, new Adam(1e-2), List.of(new WeightDecay(0.01, true)), 1.0,
                11, DataType.FLOAT);
        fresh.getConfiguration().setIterationCount(1);   // the fixture was written after one step
        assertEquals(rewritten(text("gpt", "configuration.json")), fresh.getConfiguration().toJson());
    }

    /**
     * The earlier flat fields ({@code "embedDim"}, {@code "heads"}, ...) become one {@code "arch"}
     * object with every component of the record, and no flat field is written again.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"gpt", "bert", "seq2seq"})
    void anEarlierConfigurationIsWrittenAgainWithTheArchitectureAsOneObject(String family) throws Exception {
        JsonNode layer = new ObjectMapper().readTree(rewritten(text(family, "configuration.json")))
                .path("vertices").path(family).path("layerConf").path("layer");
        List<String> components = Arrays.stream(Architecture.class.getRecordComponents())
                .map(RecordComponent::getName).sorted().toList();
        List<String> written = new ArrayList<>();
        layer.path("arch").fieldNames().forEachRemaining(written::add);
        assertEquals(components, written);
        for (String flat : components) {
            assertFalse(layer.has(flat), flat + " is still a field of the layer");
        }
        assertEquals(family.equals("seq2seq") ? 4 : 16, layer.path("arch").path("embedDim").asInt());
    }

    @Test
    void anEarlierBertCheckpointReadsAsPreNormTanhGeluWithoutTokenTypes() throws Exception {
        ComputationGraph old = ModelSerializer.restoreComputationGraph(fixture("bert", "model.zip"), false);
        BertClassifierLayer layer = BertGraphBuilder.layer(old, BertClassifierLayer.class, "fixture");
        assertEquals(new BertSpec(13, 8, ARCH), layer.spec());
        assertEquals(ModelConfig.Norm.PRE, layer.spec().arch().norm());
        assertEquals(ModelConfig.Activation.GELU_TANH, layer.spec().arch().activation());
        assertEquals(0, layer.spec().arch().typeVocabSize());
    }

    /** BERT checkpoints written between the BERT options (post-LN, erf GELU, token types) and 2026-12-02 hold them flat too. */
    @Test
    void aFlatBertConfigurationWithTheBertOptionsReadsThem() throws Exception {
        String json = text("bert", "configuration.json").replace("\"pooling\" : \"MEAN\",",
                "\"pooling\" : \"MEAN\", \"norm\" : \"POST\", \"activation\" : \"GELU_ERF\", \"typeVocabSize\" : 2,");
        BertClassifierLayer layer = (BertClassifierLayer) ((LayerVertex) ComputationGraphConfiguration.fromJson(json)
                .getVertices().get(BertGraphBuilder.LAYER)).getLayerConf().getLayer();
        assertEquals(new BertSpec(13, 8, new Architecture(16, 2, 2, 24, false, false, 1e-5, 0.0, ModelConfig.Norm.POST,
                ModelConfig.Activation.GELU_ERF, 2)), layer.spec());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"gpt, " + GptGraphBuilder.LAYER, "bert, " + BertGraphBuilder.LAYER})
    void anEarlierCheckpointLoadsWithItsParameterLayoutOutputsAndUpdaterState(String family, String layer)
            throws Exception {
        ComputationGraph g = ModelSerializer.restoreComputationGraph(fixture(family, "model.zip"), true);

        List<String> layout = new ArrayList<>();
        g.getLayer(layer).paramTable().forEach((name, view) -> layout.add(name + " " + Arrays.toString(view.shape())));
        assertEquals(text(family, "param-order.txt").lines().toList(), layout);

        DataSet b = batch(family);
        // Within float rounding (1e-6), far inside INDArray.equals' 1e-5: the fused kernels sum in
        // another order than the ND4J ops that wrote the fixtures, so the last bit may differ.
        assertArrayEquals(Nd4j.readBinary(fixture(family, "output.bin")).data().asFloat(),
                g.outputSingle(false, b.getFeatures()).data().asFloat(), ROUNDING);

        // One more step: parameters, gradients and the restored Adam moments must line up as before.
        g.fit(b);
        assertArrayEquals(Nd4j.readBinary(fixture(family, "params-after-step.bin")).data().asFloat(),
                g.params().data().asFloat(), ROUNDING);
    }
}
