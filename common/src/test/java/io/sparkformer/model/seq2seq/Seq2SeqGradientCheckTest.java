package io.sparkformer.model.seq2seq;

import io.sparkformer.model.Architecture;
import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * DL4J's own gradient check (central differences, double precision) over every parameter of the
 * whole encoder-decoder layer, with padding on both sides: source rows of different lengths (the
 * cross-attention's key mask), target rows of different lengths (self-attention key mask and label
 * mask), shared/separate and tied/untied embeddings, label smoothing.
 */
class Seq2SeqGradientCheckTest {
    private static final int SOURCE_VOCAB = 7;
    private static final int TARGET_VOCAB = 9;
    private static DataType previous;

    @BeforeAll
    static void doublePrecision() {
        previous = Nd4j.dataType();
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
    }

    @AfterAll
    static void restore() {
        Nd4j.setDefaultDataTypes(previous, previous);
    }

    static ComputationGraph tiny(boolean shared, boolean tied, boolean sinusoidal, boolean scaled, double smoothing,
                                 long seed) {
        return tiny(2, shared, tied, sinusoidal, scaled, smoothing, seed);
    }

    static ComputationGraph tiny(int layers, boolean shared, boolean tied, boolean sinusoidal, boolean scaled,
                                 double smoothing, long seed) {
        int sourceVocab = shared ? TARGET_VOCAB : SOURCE_VOCAB;
        Seq2SeqSpec spec = new Seq2SeqSpec(sourceVocab, TARGET_VOCAB, 6, Architecture.preNorm(4, 2, layers, 6, sinusoidal, scaled, 1e-5, 0.0),
                shared, tied, smoothing);
        return Seq2SeqGraphBuilder.build(spec, new NoOp(), List.of(), 0, seed, DataType.DOUBLE);
    }

    @ParameterizedTest(name = "shared={0} tied={1} sinusoidal={2} scaled={3} smoothing={4}")
    @CsvSource({
            "true,  true,  false, false, 0.1",
            "false, false, false, false, 0.0",
            "false, true,  true,  true,  0.0",
            "true,  false, true,  false, 0.2",
    })
    void gradientsMatchCentralDifferencesWithPaddingOnBothSides(boolean shared, boolean tied, boolean sinusoidal,
                                                                boolean scaled, double smoothing) {
        ComputationGraph net = tiny(shared, tied, sinusoidal, scaled, smoothing, 42);
        assertTrue(check(net, shared), "gradient check failed");
    }

    /**
     * The decoder block with cross-attention on its own terms: one encoder block and one decoder
     * block (causal self-attention, then cross-attention over the encoder output with the source
     * padding masked), checked by DL4J in double precision; and the check is not vacuous: the
     * cross-attention parameters it compared carry clearly non-zero gradients.
     */
    @Test
    void decoderBlockWithCrossAttentionPassesTheGradientCheck() {
        ComputationGraph net = tiny(1, false, false, false, false, 0.0, 9);
        Seq2SeqLayerImpl layer = (Seq2SeqLayerImpl) net.getLayer(Seq2SeqGraphBuilder.LAYER);
        List<String> cross = List.of("dec.h0.cross.q.W", "dec.h0.cross.kv.W", "dec.h0.cross.proj.W",
                "dec.h0.cross.ln.g");
        assertTrue(layer.paramTable().keySet().containsAll(cross), layer.paramTable().keySet().toString());
        assertTrue(check(net, false), "gradient check failed");
        for (String name : cross) {
            double largest = gradientOf(layer, name);
            assertTrue(largest > 1e-4, name + ": largest gradient " + largest + " is too small to test anything");
        }
    }

    private static double gradientOf(Seq2SeqLayerImpl layer, String name) {
        return layer.gradient().getGradientFor(name).amaxNumber().doubleValue();
    }

    /** DL4J's check over a padded batch: 3 pairs of different source and target lengths. */
    private static boolean check(ComputationGraph net, boolean shared) {
        // Larger-than-init weights so that attention is far from uniform and every path matters.
        net.params().muli(10);
        int batch = 3;
        int length = 5;
        int[] sourceLengths = {5, 2, 4};
        int[] targetLengths = {3, 5, 1};
        Random r = new Random(7);
        int sourceVocab = shared ? TARGET_VOCAB : SOURCE_VOCAB;
        INDArray x = Nd4j.zeros(DataType.DOUBLE, batch, 2 * length);
        INDArray mask = Nd4j.zeros(DataType.DOUBLE, batch, 2 * length);
        INDArray y = Nd4j.zeros(DataType.DOUBLE, batch, length);
        INDArray labelMask = Nd4j.zeros(DataType.DOUBLE, batch, length);
        for (int b = 0; b < batch; b++) {
            for (int i = 0; i < length; i++) {
                x.putScalar(b, i, r.nextInt(sourceVocab));
                x.putScalar(b, length + i, r.nextInt(TARGET_VOCAB));
                y.putScalar(b, i, r.nextInt(TARGET_VOCAB));
                mask.putScalar(b, i, i < sourceLengths[b] ? 1 : 0);
                mask.putScalar(b, length + i, i < targetLengths[b] ? 1 : 0);
                labelMask.putScalar(b, i, i < targetLengths[b] ? 1 : 0);
            }
        }
        boolean ok = GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig()
                .net(net)
                .inputs(new INDArray[] {x})
                .labels(new INDArray[] {y})
                .inputMask(new INDArray[] {mask})
                .labelMask(new INDArray[] {labelMask})
                .epsilon(1e-6)
                .maxRelError(1e-5)
                .minAbsoluteError(1e-8)
                .print(GradientCheckUtil.PrintMode.FAILURES_ONLY)
                .exitOnFirstError(false));
        // Leave the analytic gradient of this batch in the layer for the caller to inspect.
        net.setLayerMaskArrays(new INDArray[] {mask}, new INDArray[] {labelMask});
        net.setInputs(x);
        net.setLabels(y);
        net.computeGradientAndScore();
        return ok;
    }
}
