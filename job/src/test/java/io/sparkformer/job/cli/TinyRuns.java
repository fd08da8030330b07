package io.sparkformer.job.cli;

import io.sparkformer.checkpoint.Checkpoint;
import io.sparkformer.checkpoint.CheckpointStore;
import io.sparkformer.checkpoint.TrainingState;
import io.sparkformer.config.ConfigLoader;
import io.sparkformer.config.SparkformerConfig;
import io.sparkformer.job.Main;
import io.sparkformer.model.gpt.GptGraphBuilder;
import io.sparkformer.tokenize.CharTokenizer;
import io.sparkformer.tokenize.Tokenizer;
import org.apache.hadoop.conf.Configuration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Tiny trained runs on local disk, and the command line run as a user runs it. */
final class TinyRuns {
    static final String TEXT = "to be, or not to be: that is the question.\n";
    static final String METRICS = "{\"step\":5,\"tokens\":320,\"train_loss\":3.1,\"val_loss\":3.2}\n"
            + "{\"step\":10,\"tokens\":640,\"train_loss\":2.7,\"val_loss\":2.9}\n";

    private TinyRuns() {
    }

    /** A run directory with one checkpoint at step 10 of a GPT fitted 10 steps, and a metrics.jsonl. */
    static Checkpoint trainedRun(File run, String... sets) throws IOException {
        List<String> all = new ArrayList<>(List.of("model.layers=2", "model.heads=2", "model.embedDim=16",
                "model.contextLength=8", "train.learningRate=1e-2", "train.warmupSteps=0", "train.seed=5"));
        all.addAll(List.of(sets));
        SparkformerConfig config = ConfigLoader.defaults(all);
        Tokenizer tokenizer = CharTokenizer.fit(TEXT);
        ComputationGraph graph = GptGraphBuilder.build(config, tokenizer.vocabSize(), DataType.FLOAT);
        int[] ids = tokenizer.encode(TEXT.repeat(4));
        Random random = new Random(5);
        for (int step = 0; step < 10; step++) {
            float[][] x = new float[4][8];
            float[][] y = new float[4][8];
            for (int b = 0; b < 4; b++) {
                int start = random.nextInt(ids.length - 9);
                for (int t = 0; t < 8; t++) {
                    x[b][t] = ids[start + t];
                    y[b][t] = ids[start + t + 1];
                }
            }
            graph.fit(new DataSet(Nd4j.createFromArray(x), Nd4j.createFromArray(y)));
        }
        Checkpoint c = Checkpoint.of(new TrainingState(10, 640, 10, 5, 2.9, 1000), config, tokenizer, graph);
        new CheckpointStore(run.getAbsolutePath(), new Configuration(), 2).save(c);
        Files.writeString(new File(run, "metrics.jsonl").toPath(), METRICS);
        return c;
    }

    /** Runs the command line: {exit code, stdout, stderr}. */
    static Object[] cli(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        System.setOut(new PrintStream(stdout, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(stderr, true, StandardCharsets.UTF_8));
        try {
            int code = Main.execute(args);
            return new Object[] {code, stdout.toString(StandardCharsets.UTF_8), stderr.toString(StandardCharsets.UTF_8)};
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }
}
