package io.sparkformer.model.optim;

import io.sparkformer.model.Architecture;
import io.sparkformer.model.gpt.GptGraphBuilder;
import io.sparkformer.model.gpt.GptSpec;
import io.sparkformer.train.WarmupCosineSchedule;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.updater.graph.ComputationGraphUpdater;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.regularization.WeightDecay;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FlatGradientUpdaterTest {
    private static final DataSet BATCH = new DataSet(
            Nd4j.createFromArray(new float[][] {{1, 2, 3, 4, 5, 6}, {6, 5, 4, 3, 2, 1}}),
            Nd4j.createFromArray(new float[][] {{2, 3, 4, 5, 6, 7}, {5, 4, 3, 2, 1, 0}}));

    private static ComputationGraph gpt() {
        // Clipping on, as every shipped config: DL4J clips in the updater's pre-apply step.
        return gpt(0.5, new LoopWeightDecay(0.1, true));
    }

    private static ComputationGraph gpt(double gradClip, WeightDecay decay) {
        GptSpec spec = new GptSpec(13, 8, Architecture.preNorm(16, 2, 2, 24, true, true, 1e-5, 0.0), false);
        return GptGraphBuilder.build(spec, new LoopAdam(new WarmupCosineSchedule(2e-2, 2e-3, 3, 20), 0.9, 0.99, 1e-8),
                List.of(decay), gradClip, 9, DataType.FLOAT);
    }

    /** Trains both graphs 8 steps on the same batch; returns the first's parameters before. */
    private static INDArray trainBoth(ComputationGraph a, ComputationGraph b) {
        assertEquals(b.params(), a.params());
        INDArray start = a.params().dup();
        for (int i = 0; i < 8; i++) {
            a.fit(BATCH);
            b.fit(BATCH);
        }
        assertTrue(a.params().sub(start).amaxNumber().doubleValue() > 1e-3, "the parameters moved");
        return start;
    }

    private static ComputationGraph withDl4jsUpdater(ComputationGraph graph) {
        graph.setUpdater(new ComputationGraphUpdater(graph, graph.getUpdater().getStateViewArray()));
        assertEquals(ComputationGraphUpdater.class, graph.getUpdater().getClass());
        return graph;
    }

    @Test
    void aBuiltModelUpdatesItsOwnFlatGradientInPlace() {
        ComputationGraph graph = gpt();
        FlatGradientUpdater updater = assertInstanceOf(FlatGradientUpdater.class, graph.getUpdater());
        graph.fit(BATCH);
        INDArray handed = graph.gradient().gradient();
        assertTrue(handed != graph.getFlattenedGradients(), "DL4J hands a new reshape each call (why this class exists)");
        assertTrue(updater.owns(handed), "recognised as the network's own gradient: DL4J's cached views are used");
        assertFalse(updater.owns(handed.dup()), "a copy is an external gradient");
    }

    @Test
    void withoutClippingTrainsBitForBitAsDl4jsOwnUpdaterAndWeightDecay() {
        // The same update path (flat gradient, cached views) and the decay's kernel the same
        // arithmetic as libnd4j's Axpy.
        ComputationGraph flat = gpt(0, new LoopWeightDecay(0.1, true));
        ComputationGraph dl4j = withDl4jsUpdater(gpt(0, new WeightDecay(0.1, true)));
        trainBoth(flat, dl4j);
        assertEquals(dl4j.params(), flat.params());
        assertEquals(dl4j.getUpdater().getStateViewArray(), flat.getUpdater().getStateViewArray());
    }

    @Test
    void clipsAsDl4jToFloatRounding() {
        // The norm is summed in another order than libnd4j's float norm2, which is the less exact of the
        // two (3.5e-5 off on 300,007 random floats, FusedKernelsTest; the kernel 1e-8): the runs agree
        // to that rounding (measured 1.6e-4 of the distance moved), not bit for bit.
        ComputationGraph flat = gpt();
        ComputationGraph dl4j = withDl4jsUpdater(gpt(0.5, new WeightDecay(0.1, true)));
        ComputationGraph unclipped = gpt(0, new LoopWeightDecay(0.1, true));
        INDArray start = trainBoth(flat, dl4j);
        double moved = flat.params().sub(start).amaxNumber().doubleValue();
        double apart = flat.params().sub(dl4j.params()).amaxNumber().doubleValue();
        assertTrue(apart <= 1e-3 * moved, "within rounding of DL4J's clipping: " + apart + " (moved " + moved + ")");
        for (int i = 0; i < 8; i++) {
            unclipped.fit(BATCH);
        }
        assertTrue(unclipped.params().sub(flat.params()).amaxNumber().doubleValue() > 100 * apart,
                "and clipping changed the run (the test's gradients exceed the 0.5 norm)");
    }

    @Test
    void theOnePassStepTrainsBitForBitAsTheSeparatePasses() {
        // Clipping that scales (the test's gradients exceed 0.5), Adam, decay on weights only.
        ComputationGraph onePass = gpt();
        ComputationGraph passes = FlatGradientUpdater.install(gpt(), false);
        assertTrue(((FlatGradientUpdater) onePass.getUpdater()).runsInOnePass());
        assertFalse(((FlatGradientUpdater) passes.getUpdater()).runsInOnePass());
        trainBoth(onePass, passes);
        assertArrayEquals(passes.params().toFloatVector(), onePass.params().toFloatVector());
        assertArrayEquals(passes.getUpdater().getStateViewArray().toFloatVector(),
                onePass.getUpdater().getStateViewArray().toFloatVector());
    }

    @Test
    void stepsItDoesNotKnowAreLeftToDl4j() {
        ComputationGraph ndDecay = gpt(0.5, new WeightDecay(0.1, true));
        assertFalse(((FlatGradientUpdater) ndDecay.getUpdater()).runsInOnePass(), "ND4J's own WeightDecay");
        GptSpec spec = new GptSpec(13, 8, Architecture.preNorm(16, 2, 2, 24, true, true, 1e-5, 0.0), false);
        ComputationGraph doubles = GptGraphBuilder.build(spec, new LoopAdam(new WarmupCosineSchedule(2e-2, 2e-3, 3, 20), 0.9, 0.99, 1e-8),
                List.of(new LoopWeightDecay(0.1, true)), 0.5, 9, DataType.DOUBLE);
        assertFalse(((FlatGradientUpdater) doubles.getUpdater()).runsInOnePass(), "double precision");
        INDArray start = doubles.params().dup();
        doubles.fit(new DataSet(BATCH.getFeatures().castTo(DataType.DOUBLE), BATCH.getLabels().castTo(DataType.DOUBLE)));
        assertTrue(doubles.params().sub(start).amaxNumber().doubleValue() > 0, "and DL4J's path still trains");
    }

    @Test
    void weightDecayKeepsItsKernelThroughJsonAndClone() {
        ComputationGraph graph = gpt();
        String json = graph.getConfiguration().toJson();
        assertTrue(json.contains(LoopWeightDecay.class.getName()), "stored as LoopWeightDecay");
        ComputationGraph restored = new ComputationGraph(
                org.deeplearning4j.nn.conf.ComputationGraphConfiguration.fromJson(json));
        restored.init();
        assertEquals(json, restored.getConfiguration().toJson());
        assertInstanceOf(LoopWeightDecay.class, new LoopWeightDecay(0.1, true).clone());
        assertEquals(new WeightDecay(0.1, true), new LoopWeightDecay(0.1, true), "compares as a WeightDecay");
    }

    @Test
    void installingKeepsTheUpdaterStateAndIsIdempotent() {
        ComputationGraph graph = gpt();
        graph.fit(BATCH);
        graph.setUpdater(new ComputationGraphUpdater(graph, graph.getUpdater().getStateViewArray()));
        INDArray state = graph.getUpdater().getStateViewArray();
        INDArray values = state.dup();
        FlatGradientUpdater.install(graph);
        FlatGradientUpdater installed = assertInstanceOf(FlatGradientUpdater.class, graph.getUpdater());
        assertSame(state.data(), installed.getStateViewArray().data(), "the same state memory, not a copy");
        assertEquals(values, installed.getStateViewArray());
        FlatGradientUpdater.install(graph);
        assertSame(installed, graph.getUpdater());
    }
}
