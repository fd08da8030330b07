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
        GptSpec spec = new GptSpec(13, 8, Architecture.preNorm(16, 2, 2, 24, true, true, 1e-5, 0.0), false);
        // Clipping on, as every shipped config: DL4J clips in the updater's pre-apply step.
        return GptGraphBuilder.build(spec, new LoopAdam(new WarmupCosineSchedule(2e-2, 2e-3, 3, 20), 0.9, 0.99, 1e-8),
                List.of(new WeightDecay(0.1, true)), 0.5, 9, DataType.FLOAT);
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
    void trainsBitForBitAsDl4jsOwnUpdater() {
        ComputationGraph flat = gpt();
        ComputationGraph dl4j = gpt();
        dl4j.setUpdater(new ComputationGraphUpdater(dl4j, dl4j.getUpdater().getStateViewArray()));
        assertEquals(ComputationGraphUpdater.class, dl4j.getUpdater().getClass());
        assertEquals(dl4j.params(), flat.params());
        INDArray start = flat.params().dup();
        for (int i = 0; i < 8; i++) {
            flat.fit(BATCH);
            dl4j.fit(BATCH);
        }
        assertTrue(flat.params().sub(start).amaxNumber().doubleValue() > 1e-3, "the parameters moved");
        assertEquals(dl4j.params(), flat.params());
        assertEquals(dl4j.getUpdater().getStateViewArray(), flat.getUpdater().getStateViewArray());
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
