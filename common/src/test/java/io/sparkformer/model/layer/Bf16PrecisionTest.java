package io.sparkformer.model.layer;

import io.sparkformer.config.TrainConfig.Precision;
import io.sparkformer.model.Architecture;
import io.sparkformer.model.gpt.GptGraphBuilder;
import io.sparkformer.model.gpt.GptLayer;
import io.sparkformer.model.gpt.GptSpec;
import io.sparkformer.model.kernel.Gemm;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.nd4j.shade.jackson.databind.node.ObjectNode;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code train.precision = bf16} against fp32 on the same model and data: loss, gradient, training. */
class Bf16PrecisionTest {
    private static final int VOCAB = 23;
    private static final int CONTEXT = 16;

    private static ComputationGraph gpt(Precision precision) {
        GptSpec spec = new GptSpec(VOCAB, CONTEXT, Architecture.preNorm(64, 4, 2, 256, false, false, 1e-5, 0.0), true);
        ComputationGraph graph = GptGraphBuilder.build(spec, new Adam(3e-3), List.of(), 1.0, 7, DataType.FLOAT);
        WholeModelGraph.setPrecision(graph, precision);
        return graph;
    }

    private static DataSet batch(int seed) {
        Random r = new Random(seed);
        float[][] x = new float[8][CONTEXT];
        float[][] y = new float[8][CONTEXT];
        for (int b = 0; b < 8; b++) {
            int start = r.nextInt(VOCAB);
            for (int t = 0; t < CONTEXT; t++) {
                x[b][t] = (start + t * 3) % VOCAB;    // a learnable sequence: next = this + 3
                y[b][t] = (start + (t + 1) * 3) % VOCAB;
            }
        }
        return new DataSet(Nd4j.createFromArray(x), Nd4j.createFromArray(y));
    }

    @Test
    void lossAndGradientAreWithinBf16RoundingOfFp32() {
        ComputationGraph fp32 = gpt(Precision.FP32);
        ComputationGraph bf16 = gpt(Precision.BF16);
        assertEquals(fp32.params(), bf16.params());
        DataSet data = batch(1);
        fp32.setInputs(data.getFeatures());
        fp32.setLabels(data.getLabels());
        fp32.computeGradientAndScore();
        bf16.setInputs(data.getFeatures());
        bf16.setLabels(data.getLabels());
        bf16.computeGradientAndScore();
        INDArray g32 = fp32.gradient().gradient().dup();
        INDArray g16 = bf16.gradient().gradient().dup();
        double cosine = g32.mul(g16).sumNumber().doubleValue() / (g32.norm2Number().doubleValue() * g16.norm2Number().doubleValue());
        double relative = g32.sub(g16).norm2Number().doubleValue() / g32.norm2Number().doubleValue();
        assertEquals(fp32.score(), bf16.score(), 0.01 * fp32.score(), "loss");
        assertTrue(cosine > 0.999 && relative < 0.03, "gradient cosine " + cosine + ", relative difference " + relative);
        if (Gemm.amx()) {
            assertNotEquals(fp32.score(), bf16.score(), "bf16 products ran (the layer's precision reached them)");
        }
    }

    @Test
    void trainingInBf16FollowsFp32() {
        ComputationGraph fp32 = gpt(Precision.FP32);
        ComputationGraph bf16 = gpt(Precision.BF16);
        double first = 0;
        for (int step = 0; step < 60; step++) {
            DataSet data = batch(100 + step);
            fp32.fit(data);
            bf16.fit(data);
            if (step == 0) {
                first = fp32.score();
            }
        }
        DataSet held = batch(999);
        double loss32 = fp32.score(held);
        double loss16 = bf16.score(held);
        assertTrue(loss32 < 0.5 * first, "fp32 learns: " + first + " -> " + loss32);
        assertEquals(loss32, loss16, 0.05 * first, "held-out loss after 60 steps, fp32 vs bf16");
    }

    @Test
    void twoModelsTrainingAtOnceOnTwoThreadsComputeWhatEachComputesAlone() throws Exception {
        // Spark local[N]: N tasks in one JVM each run their replica's forward and backward at once.
        ComputationGraph[] graphs = {gpt(Precision.BF16), gpt(Precision.BF16)};
        DataSet[] data = {batch(21), batch(22)};
        INDArray[] alone = new INDArray[2];
        for (int i = 0; i < 2; i++) {
            alone[i] = gradient(graphs[i], data[i]);
        }
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            List<java.util.concurrent.Future<Integer>> wrong = new java.util.ArrayList<>();
            for (int i = 0; i < 2; i++) {
                int task = i;
                wrong.add(pool.submit(() -> {
                    int differing = 0;
                    for (int rep = 0; rep < 30; rep++) {
                        if (!alone[task].equals(gradient(graphs[task], data[task]))) {
                            differing++;
                        }
                    }
                    return differing;
                }));
            }
            assertEquals(0, wrong.get(0).get() + wrong.get(1).get(), "gradients that differ from the same computation alone");
        } finally {
            pool.shutdownNow();
        }
    }

    private static INDArray gradient(ComputationGraph graph, DataSet data) {
        graph.setInputs(data.getFeatures());
        graph.setLabels(data.getLabels());
        graph.computeGradientAndScore();
        return graph.gradient().gradient().dup();
    }

    @Test
    void theConfigurationCarriesThePrecisionAndOlderOnesReadAsFp32() throws Exception {
        String json = gpt(Precision.BF16).getConfiguration().toJson();
        assertEquals(Precision.BF16, layer(json).getPrecision());
        ObjectNode tree = (ObjectNode) new ObjectMapper().readTree(json);
        assertEquals(1, removePrecision(tree), "one layer carries a precision");
        assertEquals(Precision.FP32, layer(tree.toString()).getPrecision());
    }

    /** Removes every "precision" field under {@code node}, as a configuration written before it had one. */
    private static int removePrecision(JsonNode node) {
        int removed = 0;
        if (node instanceof ObjectNode o && o.remove("precision") != null) {
            removed++;
        }
        for (JsonNode child : node) {
            removed += removePrecision(child);
        }
        return removed;
    }

    private static GptLayer layer(String json) {
        ComputationGraph graph = new ComputationGraph(ComputationGraphConfiguration.fromJson(json));
        graph.init();
        return (GptLayer) graph.getLayer(GptGraphBuilder.LAYER).conf().getLayer();
    }
}
