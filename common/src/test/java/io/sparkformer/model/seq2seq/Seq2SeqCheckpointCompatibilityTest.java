package io.sparkformer.model.seq2seq;

import io.sparkformer.model.Architecture;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.regularization.WeightDecay;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/**
 * Translation checkpoints written before the seq2seq layer moved onto the shared whole-model layer
 * classes must still load and behave the same. The fixture in {@code seq2seq/checkpoint-v1/} was
 * written by that earlier code: a tiny model (separate, untied, learned-position embeddings, so every
 * optional parameter exists) after one AdamW step, its configuration JSON, its parameter layout, its
 * output on {@link #batch()} and its parameters after one more step. A change to the JSON, to the
 * parameter names or order, to the updater-state layout (which follows the weight/bias split) or to
 * the math shows up here.
 */
class Seq2SeqCheckpointCompatibilityTest {
    private static final String FIXTURE = "/seq2seq/checkpoint-v1/";
    private static final Seq2SeqSpec SPEC = new Seq2SeqSpec(7, 9, 6, Architecture.preNorm(4, 2, 1, 6, false, true, 1e-5, 0.0),
                false, false, 0.1);

    /** Two padded pairs: features [2, 2L], features mask, labels [2, L], labels mask; L = 4. */
    private static MultiDataSet batch() {
        INDArray x = Nd4j.createFromArray(new float[][] {{1, 2, 3, 4, 1, 5, 6, 7}, {4, 3, 0, 0, 1, 2, 0, 0}});
        INDArray mask = Nd4j.createFromArray(new float[][] {{1, 1, 1, 1, 1, 1, 1, 1}, {1, 1, 0, 0, 1, 1, 0, 0}});
        INDArray y = Nd4j.createFromArray(new float[][] {{5, 6, 7, 2}, {2, 2, 0, 0}});
        INDArray labelMask = Nd4j.createFromArray(new float[][] {{1, 1, 1, 1}, {1, 1, 0, 0}});
        return new MultiDataSet(new INDArray[] {x}, new INDArray[] {y}, new INDArray[] {mask},
                new INDArray[] {labelMask});
    }

    private static File fixture(String name) throws URISyntaxException {
        return new File(Objects.requireNonNull(Seq2SeqCheckpointCompatibilityTest.class.getResource(FIXTURE + name),
                name).toURI());
    }

    private static String text(String name) throws IOException {
        try (InputStream in = Seq2SeqCheckpointCompatibilityTest.class.getResourceAsStream(FIXTURE + name)) {
            return new String(Objects.requireNonNull(in, name).readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** The earlier JSON holds the architecture as flat fields, today's as one object: both read alike. */
    @Test
    void aNewlyBuiltGraphSerialisesAsTheEarlierConfigurationJsonReads() throws IOException {
        ComputationGraph g = Seq2SeqGraphBuilder.build(SPEC, new Adam(1e-2), List.of(new WeightDecay(0.01, true)),
                1.0, 11, DataType.FLOAT);
        assertEquals(ComputationGraphConfiguration.fromJson(text("configuration.json")).toJson(),
                g.getConfiguration().toJson());
    }

    @Test
    void anEarlierCheckpointLoadsWithItsParameterLayoutOutputsAndUpdaterState() throws Exception {
        ComputationGraph g = ModelSerializer.restoreComputationGraph(fixture("model.zip"), true);
        Seq2SeqLayer layer = assertInstanceOf(Seq2SeqLayer.class,
                g.getLayer(Seq2SeqGraphBuilder.LAYER).conf().getLayer());
        assertEquals(SPEC, layer.spec());

        List<String> layout = new ArrayList<>();
        g.getLayer(Seq2SeqGraphBuilder.LAYER).paramTable()
                .forEach((name, view) -> layout.add(name + " " + Arrays.toString(view.shape())));
        assertEquals(text("param-order.txt").lines().toList(), layout);

        MultiDataSet b = batch();
        INDArray out = g.output(false, b.getFeatures(), b.getFeaturesMaskArrays())[0];
        assertEquals(Nd4j.readBinary(fixture("output.bin")), out);

        // One more step: parameters, gradients and the restored Adam moments must line up as before.
        g.fit(b);
        assertEquals(Nd4j.readBinary(fixture("params-after-step.bin")), g.params());
    }
}
