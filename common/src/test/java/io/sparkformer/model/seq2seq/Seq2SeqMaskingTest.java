package io.sparkformer.model.seq2seq;

import io.sparkformer.model.Architecture;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.NoOp;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Target-side causality and the source padding mask, checked on the network's outputs. */
class Seq2SeqMaskingTest {
    private static final int VOCAB = 11;

    private static ComputationGraph net() {
        Seq2SeqSpec spec = new Seq2SeqSpec(VOCAB, VOCAB, 10, Architecture.preNorm(16, 4, 2, 32, false, true, 1e-5, 0.0),
                true, true, 0.1);
        ComputationGraph g = Seq2SeqGraphBuilder.build(spec, new NoOp(), List.of(), 0, 5, DataType.FLOAT);
        g.params().muli(5);   // sharper attention than at init, so leaks would show
        return g;
    }

    /** Packed features [1, 2L] of one source and one decoder input, both length L. */
    private static INDArray packed(float[] source, float[] target) {
        float[] row = new float[source.length + target.length];
        System.arraycopy(source, 0, row, 0, source.length);
        System.arraycopy(target, 0, row, source.length, target.length);
        return Nd4j.createFromArray(new float[][] {row});
    }

    private static INDArray logits(ComputationGraph net, INDArray features, INDArray mask) {
        return net.output(false, new INDArray[] {features}, mask == null ? null : new INDArray[] {mask})[0];
    }

    @Test
    void decoderOutputsIgnoreLaterTargetTokens() {
        ComputationGraph net = net();
        float[] source = {3, 4, 5, 6, 7, 8};
        float[] target = {1, 2, 3, 4, 5, 6};
        INDArray outA = logits(net, packed(source, target), null);                    // [1, 6, V]
        for (int t = 0; t < 5; t++) {
            float[] changed = target.clone();
            for (int u = t + 1; u < changed.length; u++) {
                changed[u] = (changed[u] + 3) % VOCAB;
            }
            INDArray outB = logits(net, packed(source, changed), null);
            INDArray pastA = outA.get(NDArrayIndex.all(), NDArrayIndex.interval(0, t + 1), NDArrayIndex.all());
            INDArray pastB = outB.get(NDArrayIndex.all(), NDArrayIndex.interval(0, t + 1), NDArrayIndex.all());
            assertTrue(pastA.equalsWithEps(pastB, 1e-5), "target positions <= " + t + " changed");
            // The future did change: the test would notice a model that ignores its input.
            assertTrue(outA.sub(outB).amaxNumber().doubleValue() > 1e-4, "changing the future changed nothing");
        }
    }

    @Test
    void sourcePaddingNeverChangesOutputs() {
        ComputationGraph net = net();
        // The real source is 3 tokens; the packed batch pads it to L = 6 (its target is 6 long).
        float[] target = {1, 2, 3, 4, 5, 6};
        INDArray mask = Nd4j.createFromArray(new float[][] {{1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1}});
        INDArray a = packed(new float[] {3, 4, 5, 0, 0, 0}, target);
        INDArray b = packed(new float[] {3, 4, 5, 9, 2, 7}, target);
        INDArray outA = logits(net, a, mask);
        INDArray outB = logits(net, b, mask);
        assertTrue(outA.equalsWithEps(outB, 1e-5), "source padding leaked into the decoder");
        // Without the mask the same change does leak, so the mask is what protects the outputs.
        assertTrue(logits(net, a, null).sub(logits(net, b, null)).amaxNumber().doubleValue() > 1e-4);
    }

    @Test
    void moreSourcePaddingGivesTheSameOutputs() {
        ComputationGraph net = net();
        // The same pair packed at L = 4 and at L = 8 (the batch's longest sentence decides L).
        INDArray shortMask = Nd4j.createFromArray(new float[][] {{1, 1, 1, 0, 1, 1, 1, 1}});
        INDArray shortPair = packed(new float[] {3, 4, 5, 0}, new float[] {1, 2, 3, 4});
        INDArray longMask = Nd4j.createFromArray(new float[][] {{1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0}});
        INDArray longPair = packed(new float[] {3, 4, 5, 0, 0, 0, 0, 0}, new float[] {1, 2, 3, 4, 0, 0, 0, 0});
        INDArray outShort = logits(net, shortPair, shortMask);                                     // [1, 4, V]
        INDArray outLong = logits(net, longPair, longMask)
                .get(NDArrayIndex.all(), NDArrayIndex.interval(0, 4), NDArrayIndex.all());
        assertTrue(outShort.equalsWithEps(outLong, 1e-5), "the amount of padding changed real outputs");
    }
}
