package io.sparkformer.job.train;

import io.sparkformer.config.ConfigLoader;
import io.sparkformer.config.SparkformerConfig;
import io.sparkformer.data.ArrayTokenSource;
import io.sparkformer.data.BatchPlan;
import io.sparkformer.data.Batches;
import io.sparkformer.model.gpt.GptGraphBuilder;
import io.sparkformer.train.LocalTrainer;
import io.sparkformer.tokenize.CharTokenizer;
import io.sparkformer.job.TestCorpus;
import io.sparkformer.job.spark.SparkContexts;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Parameter averaging against plain training, on real Spark (local mode). */
class SparkEquivalenceTest {
    private static JavaSparkContext sc;
    private static int[] tokens;
    private static int vocab;

    @BeforeAll
    static void start() throws Exception {
        // The job's own Spark settings (Kryo with bulk array copies): equivalence covers them too.
        sc = new JavaSparkContext(SparkContexts.withJobDefaults(new SparkConf().setMaster("local[2]")
                .setAppName("equivalence").set("spark.ui.enabled", "false")));
        String text = TestCorpus.shakespeare(20000);
        CharTokenizer tokenizer = CharTokenizer.fit(text);
        tokens = tokenizer.encode(text);
        vocab = tokenizer.vocabSize();
    }

    @AfterAll
    static void stop() {
        sc.stop();
    }

    private static SparkformerConfig config(int workers, int frequency) {
        return ConfigLoader.defaults(List.of("model.layers=2", "model.heads=2", "model.embedDim=32",
                "model.contextLength=16", "train.batchSize=4", "train.steps=6", "train.warmupSteps=2",
                "spark.workers=" + workers, "spark.averagingFrequency=" + frequency));
    }

    private static void assertClose(INDArray expected, INDArray actual) {
        double scale = expected.norm2Number().doubleValue();
        double diff = expected.sub(actual).norm2Number().doubleValue();
        assertTrue(diff <= 1e-5 * scale, "parameters differ: |diff| = " + diff + " vs |params| = " + scale);
    }

    @Test
    void oneWorkerAveragingEveryStepEqualsPlainTraining() {
        SparkformerConfig config = config(1, 1);
        ComputationGraph plain = GptGraphBuilder.build(config, vocab, DataType.FLOAT);
        ComputationGraph spark = GptGraphBuilder.build(config, vocab, DataType.FLOAT);
        assertEquals(plain.params(), spark.params(), "same seed, same initial parameters");
        BatchPlan plan = new BatchPlan(config.train().seed(), 16, 4, 1, tokens.length);
        LocalTrainer local = new LocalTrainer(plain, new ArrayTokenSource(tokens), plan);
        SparkRounds rounds = new SparkRounds(sc, spark, config, plan, new ArrayTokenSource(tokens));
        for (int step = 0; step < 6; step++) {
            double a = local.step(step);
            double b = rounds.fit(step, 1);
            assertEquals(a, b, 1e-5 * Math.abs(a), "loss at step " + step);
        }
        assertClose(plain.params(), spark.params());
        assertClose(plain.getUpdater().getStateViewArray(), spark.getUpdater().getStateViewArray());
        assertEquals(6, spark.getConfiguration().getIterationCount(), "the schedule advanced one step per step");
    }

    @Test
    void twoWorkersAverageTheirIndependentlyTrainedParameters() {
        SparkformerConfig config = config(2, 3);
        BatchPlan plan = new BatchPlan(config.train().seed(), 16, 4, 2, tokens.length);
        ArrayTokenSource source = new ArrayTokenSource(tokens);
        INDArray sum = null;
        INDArray updaterSum = null;
        for (int worker = 0; worker < 2; worker++) {
            ComputationGraph replica = GptGraphBuilder.build(config, vocab, DataType.FLOAT);
            for (int step = 0; step < 3; step++) {
                replica.fit(Batches.of(source, plan.starts(step, worker), 16));
            }
            sum = sum == null ? replica.params().dup() : sum.addi(replica.params());
            INDArray u = replica.getUpdater().getStateViewArray();
            updaterSum = updaterSum == null ? u.dup() : updaterSum.addi(u);
        }
        ComputationGraph spark = GptGraphBuilder.build(config, vocab, DataType.FLOAT);
        new SparkRounds(sc, spark, config, plan, source).fit(0, 3);
        assertClose(sum.divi(2), spark.params());
        assertClose(updaterSum.divi(2), spark.getUpdater().getStateViewArray());
    }
}
