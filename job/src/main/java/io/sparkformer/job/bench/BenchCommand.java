package io.sparkformer.job.bench;

import io.sparkformer.InputException;
import io.sparkformer.config.SparkformerConfig;
import io.sparkformer.data.ArrayTokenSource;
import io.sparkformer.data.BatchPlan;
import io.sparkformer.data.Batches;
import io.sparkformer.data.CorpusFiles;
import io.sparkformer.data.DataManifest;
import io.sparkformer.data.HadoopConf;
import io.sparkformer.data.ShardedTokenSource;
import io.sparkformer.data.TokenSource;
import io.sparkformer.job.cli.ConfigOptions;
import io.sparkformer.job.cli.ExitCodes;
import io.sparkformer.job.prepare.PrepareJob;
import io.sparkformer.job.spark.SparkContexts;
import io.sparkformer.job.train.TrainingJob;
import io.sparkformer.model.gpt.GptGraphBuilder;
import io.sparkformer.model.layer.WholeModelGraph;
import io.sparkformer.tokenize.CharTokenizer;
import io.sparkformer.tokenize.Tokenizer;
import io.sparkformer.train.LocalTrainer;
import io.sparkformer.train.LossEvaluator;
import io.sparkformer.checkpoint.CheckpointStore;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code bench}: trains a config end to end in one mode and prints one row of the benchmark table
 * (tokens/s, ms/step, MFU against the measured GEMM peak, full validation loss, wall time, peak RSS).
 * Modes: {@code single} (the single-JVM loop, no Spark) and {@code spark} (the real job).
 */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmark one training mode; prints a table row.")
public final class BenchCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions config;

    @Option(names = "--corpus", required = true, paramLabel = "URI")
    String corpus;

    @Option(names = "--mode", required = true, description = "single or spark")
    String mode;

    @Option(names = "--out", paramLabel = "URI", description = "Run directory for spark mode")
    String out;

    // Speed-only runs (bench/vs-pytorch.sh) skip it: it costs a forward pass over the whole split at
    // batch 64, which would also set the peak RSS instead of training.
    @Option(names = "--skip-validation", description = "Do not compute the full validation loss (prints NaN)")
    boolean skipValidation;

    @Override
    public Integer call() throws Exception {
        long wallStart = System.nanoTime();
        Row row = switch (mode) {
            case "single" -> single(config.load(new Configuration()));
            case "spark" -> spark();
            default -> throw new InputException("--mode must be single or spark, got '" + mode + "'");
        };
        double wall = (System.nanoTime() - wallStart) / 1e9;
        double peak = GemmPeak.measure();
        SparkformerConfig c = row.config();
        double flopsPerToken = FlopCount.perToken(c.model(), row.vocab());
        double mfu = flopsPerToken * row.tokensPerSecond() / peak;
        System.out.println(String.format(Locale.ROOT,
                "| %-6s | workers %d x batch %d | %,8.0f tok/s | %7.1f ms/step | MFU %5.1f%% (%.1f MFLOP/token, peak %.0f GFLOP/s) | val %.4f | wall %.0f s | peak RSS %,d MB |",
                mode, c.spark().workers(), c.train().batchSize(), row.tokensPerSecond(),
                1000.0 * c.tokensPerStep() / row.tokensPerSecond(), 100 * mfu, flopsPerToken / 1e6, peak / 1e9,
                row.valLoss(), wall, PeakRss.megabytes()));
        return ExitCodes.OK;
    }

    private record Row(SparkformerConfig config, int vocab, double tokensPerSecond, double valLoss) {
    }

    /** The single-JVM loop on the corpus split as prepare splits it (last valFraction held out). */
    private Row single(SparkformerConfig c) throws Exception {
        Configuration conf = new Configuration();
        StringBuilder text = new StringBuilder();
        for (String file : CorpusFiles.list(corpus, conf)) {
            text.append(CorpusFiles.decode(file, CorpusFiles.read(file, conf)));
        }
        Tokenizer tokenizer = CharTokenizer.fit(text);
        int[] all = tokenizer.encode(text.toString());
        int val = (int) Math.floor(all.length * c.data().valFraction());
        int[] train = java.util.Arrays.copyOfRange(all, 0, all.length - val);
        int[] valTokens = java.util.Arrays.copyOfRange(all, all.length - val, all.length);
        ComputationGraph graph = GptGraphBuilder.build(c, tokenizer.vocabSize(), DataType.FLOAT);
        WholeModelGraph.setPrecision(graph, c.train().precision());
        BatchPlan plan = new BatchPlan(c.train().seed(), c.model().contextLength(), c.train().batchSize(), 1, train.length);
        LocalTrainer trainer = new LocalTrainer(graph, new ArrayTokenSource(train), plan);
        int warm = Math.min(5, c.train().steps());
        for (int s = 0; s < warm; s++) {
            trainer.step(s);
        }
        long t0 = System.nanoTime();
        for (int s = warm; s < c.train().steps(); s++) {
            trainer.step(s);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        double rate = (double) (c.train().steps() - warm) * c.tokensPerStep() / Math.max(seconds, 1e-9);
        double valLoss = skipValidation ? Double.NaN : fullValidation(graph, new ArrayTokenSource(valTokens), c);
        return new Row(c, tokenizer.vocabSize(), rate, valLoss);
    }

    private Row spark() {
        if (out == null) {
            throw new InputException("--out is required with --mode spark");
        }
        try (JavaSparkContext sc = SparkContexts.create("sparkformer bench")) {
            SparkformerConfig c = config.load(sc.hadoopConfiguration());
            TrainingJob.Result r = TrainingJob.run(sc, c, new TrainingJob.Options(corpus, out, false, true));
            String dataDir = r.runDir() + "/data";
            HadoopConf hconf = new HadoopConf(sc.hadoopConfiguration());
            DataManifest m = DataManifest.fromJson(PrepareJob.readString(new Path(dataDir, DataManifest.FILE),
                    hconf.get()), dataDir);
            if (skipValidation) {
                return new Row(c, m.vocabSize(), r.trainingTokensPerSecond(), Double.NaN);
            }
            ComputationGraph graph = CheckpointStore.open(r.runDir().toString(), hconf.get()).model();
            double val = fullValidation(graph, ShardedTokenSource.validation(dataDir, m, hconf), c);
            // Training rounds only, as the single-JVM row (evaluation and checkpoints are in the wall time).
            return new Row(c, m.vocabSize(), r.trainingTokensPerSecond(), val);
        }
    }

    /** Mean loss over every non-overlapping window of the validation split. */
    private static double fullValidation(ComputationGraph graph, TokenSource val, SparkformerConfig c) {
        int t = c.model().contextLength();
        return LossEvaluator.meanLoss(graph, val, Batches.nonOverlappingStarts(val.size(), t), t, 64);
    }

}
