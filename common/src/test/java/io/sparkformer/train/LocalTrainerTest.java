package io.sparkformer.train;

import io.sparkformer.config.ConfigLoader;
import io.sparkformer.config.SparkformerConfig;
import io.sparkformer.data.ArrayTokenSource;
import io.sparkformer.data.BatchPlan;
import io.sparkformer.model.gpt.GptGraphBuilder;
import io.sparkformer.testing.SharedData;
import io.sparkformer.tokenize.CharTokenizer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

import java.nio.file.Files;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

class LocalTrainerTest {

    /** Entropy (nats) of the text's character distribution: what a model without context can reach. */
    static double unigramEntropy(int[] tokens, int vocab) {
        double[] counts = new double[vocab];
        for (int t : tokens) {
            counts[t]++;
        }
        double h = 0;
        for (double c : counts) {
            if (c > 0) {
                double p = c / tokens.length;
                h -= p * Math.log(p);
            }
        }
        return h;
    }

    @Test
    void tinyGptLearnsWellBelowTheUnigramEntropy() throws Exception {
        String text = Files.readString(SharedData.tinyShakespeare()).substring(0, 6000);
        CharTokenizer tokenizer = CharTokenizer.fit(text);
        int[] tokens = tokenizer.encode(text);
        SparkformerConfig config = ConfigLoader.defaults(List.of(
                "model.layers=2", "model.heads=2", "model.embedDim=32", "model.contextLength=32",
                "train.batchSize=8", "train.steps=500", "train.learningRate=3e-3", "train.minLearningRate=3e-4",
                "train.warmupSteps=20", "train.weightDecay=0.01"));
        ComputationGraph graph = GptGraphBuilder.build(config, tokenizer.vocabSize(), DataType.FLOAT);
        BatchPlan plan = new BatchPlan(1, 32, 8, 1, tokens.length);
        LocalTrainer trainer = new LocalTrainer(graph, new ArrayTokenSource(tokens), plan);
        double first = trainer.step(0);
        double tail = 0;
        for (int step = 1; step < 500; step++) {
            double loss = trainer.step(step);
            if (step >= 480) {
                tail += loss / 20;
            }
        }
        double entropy = unigramEntropy(tokens, tokenizer.vocabSize());
        assertTrue(first > entropy, "an untrained model should not beat the unigram entropy: " + first);
        assertTrue(tail < 0.75 * entropy, "mean loss of the last 20 steps " + tail
                + " is not well below the unigram entropy " + entropy);
    }
}
