import io.sparkformer.config.ConfigLoader;
import io.sparkformer.config.SparkformerConfig;
import io.sparkformer.data.ArrayTokenSource;
import io.sparkformer.data.BatchPlan;
import io.sparkformer.model.gpt.GptGraphBuilder;
import io.sparkformer.model.kernel.Gemm;
import io.sparkformer.model.layer.WholeModelGraph;
import io.sparkformer.tokenize.CharTokenizer;
import io.sparkformer.train.LocalTrainer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Two fp32 product splits (Gemm.Fp32Route) A/B'd inside one JVM on the same GPT training run:
 * blocks of steps alternate A B A B ..., so this VM's drifting speed hits both alike (separate runs
 * varied by +-20% here). Prints each block's median ms/step and the ratio of the medians B/A.
 * Run by bench/route-ab.sh.
 *   java -cp CLASSPATH RouteAB.java CORPUS CONF A B BLOCKS STEPS_PER_BLOCK [--set k=v]...
 */
public class RouteAB {
    public static void main(String[] args) throws Exception {
        String text = Files.readString(Path.of(args[0]));
        String confText = Files.readString(Path.of(args[1]));
        String a = args[2];
        String b = args[3];
        int blocks = Integer.parseInt(args[4]);
        int perBlock = Integer.parseInt(args[5]);
        List<String> overrides = new ArrayList<>();
        for (int i = 6; i + 1 < args.length; i += 2) {
            overrides.add(args[i + 1]);
        }
        SparkformerConfig c = ConfigLoader.load(confText, args[1], overrides);
        CharTokenizer tokenizer = CharTokenizer.fit(text);
        int[] tokens = tokenizer.encode(text);
        ComputationGraph graph = GptGraphBuilder.build(c, tokenizer.vocabSize(), DataType.FLOAT);
        WholeModelGraph.setPrecision(graph, c.train().precision());
        BatchPlan plan = new BatchPlan(c.train().seed(), c.model().contextLength(), c.train().batchSize(), 1, tokens.length);
        LocalTrainer trainer = new LocalTrainer(graph, new ArrayTokenSource(tokens), plan);
        long step = 0;
        for (String warm : new String[]{a, b, a, b}) {   // JIT and both libraries' first calls
            route(warm);
            for (int i = 0; i < Math.max(2, perBlock / 2); i++) {
                trainer.step(step++);
            }
        }
        List<Double> msA = new ArrayList<>();
        List<Double> msB = new ArrayList<>();
        for (int blk = 0; blk < 2 * blocks; blk++) {
            boolean isA = blk % 2 == 0;
            route(isA ? a : b);
            double[] t = new double[perBlock];
            for (int i = 0; i < perBlock; i++) {
                long s = System.nanoTime();
                trainer.step(step++);
                t[i] = (System.nanoTime() - s) / 1e6;
            }
            double median = median(t);
            (isA ? msA : msB).add(median);
            System.out.printf(Locale.ROOT, "block %d %s (%s): median %.1f ms/step%n", blk / 2 + 1, isA ? "A" : "B",
                    isA ? a : b, median);
        }
        double ma = median(msA.stream().mapToDouble(Double::doubleValue).toArray());
        double mb = median(msB.stream().mapToDouble(Double::doubleValue).toArray());
        System.out.printf(Locale.ROOT, "RESULT A %s %.1f ms/step, B %s %.1f ms/step, speed B/A %.3f (%d blocks of %d steps each)%n",
                a, ma, b, mb, ma / mb, blocks, perBlock);
    }

    /** nd4j, onednn, auto (the default split) or auto:E (oneDNN up to 2^E multiply-adds). */
    private static void route(String spec) {
        String[] p = spec.split(":");
        Gemm.fp32Route(Gemm.Fp32Route.valueOf(p[0].toUpperCase(Locale.ROOT)),
                p.length > 1 ? 1L << Integer.parseInt(p[1]) : Gemm.SMALL_FP32);
    }

    private static double median(double[] x) {
        double[] s = x.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
