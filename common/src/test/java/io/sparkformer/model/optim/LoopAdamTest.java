package io.sparkformer.model.optim;

import io.sparkformer.model.Architecture;
import io.sparkformer.model.gpt.GptGraphBuilder;
import io.sparkformer.model.gpt.GptSpec;
import io.sparkformer.train.WarmupCosineSchedule;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.GradientUpdater;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.regularization.WeightDecay;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LoopAdamTest {
    private static final WarmupCosineSchedule SCHEDULE = new WarmupCosineSchedule(2e-3, 2e-4, 3, 20);

    /** The largest |a - b| over the largest |b|: float rounding is ~1e-7. */
    private static double relativeDifference(INDArray a, INDArray b) {
        return a.sub(b).amaxNumber().doubleValue() / b.amaxNumber().doubleValue();
    }

    @Test
    void updatesAndStateMatchNd4jsAdamOnViewsInsideLargerBuffers() {
        int n = 1000;
        // As DL4J lays them out: the state and the gradient are views at an offset in larger buffers.
        INDArray loopStateAll = Nd4j.zeros(DataType.FLOAT, 1, 2 * n + 37);
        INDArray nd4jStateAll = loopStateAll.dup();
        GradientUpdater<?> loop = new LoopAdam(SCHEDULE, 0.9, 0.99, 1e-8)
                .instantiate(loopStateAll.get(NDArrayIndex.point(0), NDArrayIndex.interval(37, 37 + 2 * n)), true);
        GradientUpdater<?> nd4j = Adam.builder().learningRateSchedule(SCHEDULE).beta1(0.9).beta2(0.99).epsilon(1e-8)
                .build().instantiate(nd4jStateAll.get(NDArrayIndex.point(0), NDArrayIndex.interval(37, 37 + 2 * n)), true);
        assertInstanceOf(LoopAdamUpdater.class, loop);
        Nd4j.getRandom().setSeed(5);
        for (int step = 0; step < 6; step++) {
            INDArray gradients = Nd4j.randn(DataType.FLOAT, 1, n + 11).muli(step + 1);
            INDArray a = gradients.dup().get(NDArrayIndex.point(0), NDArrayIndex.interval(11, 11 + n));
            INDArray b = gradients.dup().get(NDArrayIndex.point(0), NDArrayIndex.interval(11, 11 + n));
            assertTrue(((LoopAdamUpdater) loop).loops(a), "dense floats on the CPU take the Java loop");
            loop.applyUpdater(a, step, 0);
            nd4j.applyUpdater(b, step, 0);
            assertTrue(relativeDifference(a, b) < 1e-5, "update at step " + step + ": " + relativeDifference(a, b));
            assertTrue(relativeDifference(loopStateAll, nd4jStateAll) < 1e-5, "state at step " + step);
        }
        assertEquals(0.0, loopStateAll.get(NDArrayIndex.point(0), NDArrayIndex.interval(0, 37)).amaxNumber().doubleValue(),
                "nothing written before the view");
    }

    @Test
    void doublePrecisionGoesThroughNd4jsOp() {
        INDArray loopState = Nd4j.zeros(DataType.DOUBLE, 1, 20);
        INDArray nd4jState = loopState.dup();
        GradientUpdater<?> loop = new LoopAdam(SCHEDULE, 0.9, 0.99, 1e-8).instantiate(loopState, true);
        GradientUpdater<?> nd4j = Adam.builder().learningRateSchedule(SCHEDULE).beta1(0.9).beta2(0.99).epsilon(1e-8)
                .build().instantiate(nd4jState, true);
        INDArray a = Nd4j.createFromArray(new double[][] {{-1, -0.5, -0.1, 0, 0.2, 0.4, 0.6, 0.8, 1, 3}});
        INDArray b = a.dup();
        assertFalse(((LoopAdamUpdater) loop).loops(a), "doubles take ND4J's op");
        loop.applyUpdater(a, 0, 0);
        nd4j.applyUpdater(b, 0, 0);
        assertEquals(b, a);
        assertEquals(nd4jState, loopState);
    }

    private static ComputationGraph gpt(IUpdater updater) {
        GptSpec spec = new GptSpec(13, 8, Architecture.preNorm(16, 2, 2, 24, true, true, 1e-5, 0.0), false);
        return GptGraphBuilder.build(spec, updater, List.of(new WeightDecay(0.1, true)), 1.0, 9, DataType.FLOAT);
    }

    @Test
    void aModelTrainsAsWithNd4jsAdamAndItsConfigurationRoundTrips() {
        ComputationGraph loop = gpt(new LoopAdam(SCHEDULE, 0.9, 0.99, 1e-8));
        ComputationGraph nd4j = gpt(Adam.builder().learningRateSchedule(SCHEDULE).beta1(0.9).beta2(0.99).epsilon(1e-8).build());
        nd4j.setParams(loop.params().dup());
        INDArray x = Nd4j.createFromArray(new float[][] {{1, 2, 3, 4, 5, 6}, {6, 5, 4, 3, 2, 1}});
        INDArray y = Nd4j.createFromArray(new float[][] {{2, 3, 4, 5, 6, 7}, {5, 4, 3, 2, 1, 0}});
        INDArray start = loop.params().dup();
        for (int i = 0; i < 10; i++) {
            loop.fit(new DataSet(x, y));
            nd4j.fit(new DataSet(x, y));
        }
        double moved = loop.params().sub(start).amaxNumber().doubleValue();
        assertTrue(moved > 1e-3, "the parameters moved: " + moved);
        double difference = loop.params().sub(nd4j.params()).amaxNumber().doubleValue();
        assertTrue(difference < 1e-3 * moved, "same trajectory: " + difference + " against a move of " + moved);
        assertTrue(relativeDifference(loop.getUpdater().getStateViewArray(), nd4j.getUpdater().getStateViewArray()) < 1e-3);

        String json = loop.getConfiguration().toJson();
        ComputationGraph restored = new ComputationGraph(ComputationGraphConfiguration.fromJson(json));
        restored.init();
        IUpdater updater = restored.getLayer(GptGraphBuilder.LAYER).conf().getLayer().getUpdaterByParam("wte");
        assertInstanceOf(LoopAdam.class, updater);
        assertEquals(json, restored.getConfiguration().toJson());
        assertInstanceOf(LoopAdam.class, updater.clone());
        assertEquals(SCHEDULE.valueAt(7, 0), updater.getLearningRate(7, 0), 1e-12);
    }
}
