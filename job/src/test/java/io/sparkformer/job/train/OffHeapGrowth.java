package io.sparkformer.job.train;

import io.sparkformer.config.ConfigLoader;
import io.sparkformer.config.SparkformerConfig;
import io.sparkformer.data.ArrayTokenSource;
import io.sparkformer.data.BatchPlan;
import io.sparkformer.job.spark.SparkContexts;
import io.sparkformer.model.gpt.GptGraphBuilder;
import io.sparkformer.data.Batches;
import io.sparkformer.train.LocalTrainer;
import io.sparkformer.train.LossEvaluator;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Run by {@link OffHeapGrowthTest} in a JVM whose garbage collector never collects (Epsilon): there an
 * ND4J array allocated outside a workspace and dropped stays allocated, so the bytes libnd4j holds
 * outside workspaces (its device counter) grow by exactly what a step or round leaves for a garbage
 * collection to free, and so does a validation pass. Prints one line per measurement: {@code <what> <bytes held after - before>}.
 * A workspace's memory is allocated once and reused, and is not in the counter.
 */
public final class OffHeapGrowth {
    static final int VOCAB = 65;
    /** Bytes the control leaves behind per step: a [256, 256] float array. */
    static final long CONTROL_BYTES = 256L * 256 * 4;
    static final int VALIDATION_BATCHES = 4;

    private OffHeapGrowth() {
    }

    public static void main(String[] args) {
        int warm = Integer.parseInt(args[0]);
        int measured = Integer.parseInt(args[1]);
        SparkformerConfig config = ConfigLoader.defaults(List.of("model.layers=2", "model.heads=2",
                "model.embedDim=32", "model.contextLength=32", "train.batchSize=8", "train.warmupSteps=5",
                "train.weightDecay=0.1", "train.gradClip=1.0", "spark.workers=2", "spark.averagingFrequency=2"));
        int[] tokens = new Random(7).ints(50_000, 0, VOCAB).toArray();

        ComputationGraph graph = GptGraphBuilder.build(config, VOCAB, DataType.FLOAT);
        BatchPlan plan = new BatchPlan(1, 32, 8, 1, tokens.length);
        LocalTrainer trainer = new LocalTrainer(graph, new ArrayTokenSource(tokens), plan);
        for (int s = 0; s < warm; s++) {
            trainer.step(s);
        }
        long before = held();
        for (int s = warm; s < warm + measured; s++) {
            trainer.step(s);
        }
        System.out.println("single " + (held() - before));

        // The control: the same loop plus one dropped array per step must show up in full.
        before = held();
        for (int s = warm + measured; s < warm + 2 * measured; s++) {
            trainer.step(s);
            try (MemoryWorkspace ignored = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
                Nd4j.create(DataType.FLOAT, 256, 256);
            }
        }
        System.out.println("control " + (held() - before));

        // Validation: scoring the same batches again must reuse the memory the first pass took.
        List<DataSet> batches = new ArrayList<>();
        for (int b = 0; b < VALIDATION_BATCHES; b++) {
            batches.add(Batches.of(new ArrayTokenSource(tokens), new long[] {100L * b, 100L * b + 40}, 32));
        }
        LossEvaluator.meanLoss(graph, batches);
        before = held();
        LossEvaluator.meanLoss(graph, batches);
        System.out.println("validation " + (held() - before));

        try (JavaSparkContext sc = SparkContexts.create("off-heap growth")) {
            ComputationGraph net = GptGraphBuilder.build(config, VOCAB, DataType.FLOAT);
            BatchPlan spark = new BatchPlan(1, 32, 8, 2, tokens.length);
            SparkRounds rounds = new SparkRounds(sc, net, config, spark, new ArrayTokenSource(tokens));
            int n = config.spark().averagingFrequency();
            long step = 0;
            for (int r = 0; r < warm; r++, step += n) {
                rounds.fit(step, n);
            }
            before = held();
            for (int r = 0; r < measured; r++, step += n) {
                rounds.fit(step, n);
            }
            System.out.println("spark " + (held() - before));
        }
    }

    /** Bytes libnd4j holds in arrays outside workspaces (host memory, CPU backend). */
    static long held() {
        Nd4j.getExecutioner().commit();
        return Nd4j.getEnvironment().getDeviceCouner(0);
    }
}
