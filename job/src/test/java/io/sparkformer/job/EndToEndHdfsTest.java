package io.sparkformer.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkformer.job.train.Progress;
import io.sparkformer.job.train.TensorBoardEvents;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The job as a user runs it: the command line, Spark local[2], corpus and run directory on a real
 * HDFS (MiniDFSCluster); then generate and evaluate from the HDFS checkpoint.
 */
class EndToEndHdfsTest {
    @TempDir
    static File base;
    private static MiniDFSCluster cluster;
    private static String hdfs;

    @BeforeAll
    static void startHdfs() throws Exception {
        Configuration conf = new Configuration();
        // Each file close otherwise waits 400 ms for the namenode; checkpoints close many files.
        conf.set("dfs.client.block.write.locateFollowingBlock.initial.delay.ms", "10");
        cluster = new MiniDFSCluster.Builder(conf, new File(base, "dfs")).numDataNodes(1).build();
        cluster.waitActive();
        hdfs = "hdfs://localhost:" + cluster.getNameNodePort();
        String text = TestCorpus.shakespeare(60000);
        FileSystem fs = cluster.getFileSystem();
        try (var out = fs.create(new Path("/corpus/shakespeare.txt"))) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        }
        System.setProperty("spark.master", "local[2]");
        System.setProperty("spark.ui.enabled", "false");
    }

    @AfterAll
    static void stopHdfs() {
        if (cluster != null) {
            cluster.shutdown();
        }
        System.clearProperty("spark.master");
    }

    static String conf() {
        return new File("../conf/gpt-tiny.conf").getAbsolutePath();
    }

    /** Runs the CLI, returning {exit code, stdout}. */
    static Object[] cli(String... args) {
        Cli.Result r = Cli.run(args);
        return new Object[] {r.code(), r.out()};
    }

    static List<JsonNode> metrics(String run) throws Exception {
        FileSystem fs = cluster.getFileSystem();
        List<JsonNode> lines = new ArrayList<>();
        try (var in = fs.open(new Path(run + "/metrics.jsonl"))) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                lines.add(new ObjectMapper().readTree(line));
            }
        }
        return lines;
    }

    @Test
    void trainsOnHdfsThenGeneratesAndEvaluatesFromTheHdfsCheckpoint() throws Exception {
        String run = hdfs + "/runs/e2e";
        Object[] train;
        List<String> logged;
        try (LogLines log = new LogLines("io.sparkformer.job.cli")) {
            train = cli("train", "--config", conf(), "--corpus", hdfs + "/corpus/shakespeare.txt", "--out", run,
                    "--set", "spark.workers=2", "--set", "train.batchSize=4");
            logged = log.lines();
        }
        assertEquals(0, train[0]);

        List<JsonNode> lines = metrics(run);
        List<Double> val = lines.stream().filter(n -> n.has("val_loss")).map(n -> n.get("val_loss").asDouble()).toList();
        assertEquals(4, val.size(), "evaluations at steps 50, 100, 150, 200");
        assertTrue(val.get(3) < val.get(0) - 0.2, "validation loss falls: " + val);
        JsonNode last = lines.get(lines.size() - 1);
        assertEquals(200, last.get("step").asLong());
        assertEquals(200L * 2 * 4 * 32, last.get("tokens").asLong());
        for (String key : List.of("elapsed_s", "lr", "train_loss", "tokens_per_s")) {
            assertTrue(last.has(key), "metrics line has " + key);
        }

        // The train command's last line, and what submit/demo.sh's grep takes from it.
        String finished = logged.get(logged.size() - 1);
        String lastVal = Progress.loss(val.get(3));
        assertTrue(finished.matches("INFO Finished at step 200: train loss \\d+\\.\\d{4}, validation loss "
                + Pattern.quote(lastVal) + " \\(unigram baseline \\d+\\.\\d{4}\\); run in \\S*/runs/e2e"), finished);
        assertEquals(finished.substring(finished.indexOf("validation loss "), finished.indexOf("); run in ") + 1),
                demoGrep(finished));

        FileSystem fs = cluster.getFileSystem();
        assertEquals("step-000200", new String(fs.open(new Path(run + "/checkpoints/LATEST")).readAllBytes(),
                StandardCharsets.UTF_8).trim());
        assertTrue(fs.exists(new Path(run + "/checkpoints/step-000100/model.zip")));
        for (String f : List.of("config.conf", "tokenizer.json", "loss.png", "data/manifest.json")) {
            assertTrue(fs.exists(new Path(run + "/" + f)), f + " is in the run directory");
        }

        // TensorBoard's event file on HDFS: the scalars of every metrics line.
        FileStatus[] eventFiles = fs.listStatus(new Path(run), p -> p.getName().startsWith("events.out.tfevents."));
        assertEquals(1, eventFiles.length, "one event file for one attempt");
        List<TensorBoardEvents.Event> events;
        try (var in = fs.open(eventFiles[0].getPath())) {
            events = TensorBoardEvents.read(in, eventFiles[0].getPath().toString());
        }
        assertEquals("brain.Event:2", events.get(0).fileVersion());
        assertEquals(TensorBoardEvents.expectedScalars(lines), TensorBoardEvents.scalarsByStep(List.of(events)));

        Object[] generated = cli("generate", "--checkpoint", run, "--prompt", "ROMEO:", "--max-tokens", "40",
                "--seed", "7");
        assertEquals(0, generated[0]);
        String text = ((String) generated[1]).strip();
        assertTrue(text.startsWith("ROMEO:") && text.length() >= "ROMEO:".length() + 30, "generated: " + text);

        Object[] evaluated = cli("evaluate", "--checkpoint", run + "/checkpoints/step-000200", "--corpus",
                run + "/data");
        assertEquals(0, evaluated[0]);
        JsonNode result = new ObjectMapper().readTree((String) evaluated[1]);
        assertEquals(Math.exp(result.get("loss").asDouble()), result.get("perplexity").asDouble(), 1e-3);
        assertTrue(result.get("loss").asDouble() < Math.log(65), "better than uniform: " + result);
        assertTrue(result.get("tokens").asLong() > 0);
    }

    @Test
    void resumedRunReproducesTheLossesOfAStraightRun() throws Exception {
        String straight = hdfs + "/runs/straight";
        String resumed = hdfs + "/runs/resumed";
        String corpus = hdfs + "/corpus/shakespeare.txt";
        List<String> common = List.of("--config", conf(), "--corpus", corpus, "--set", "train.decaySteps=40",
                "--set", "train.evalEvery=10", "--set", "train.checkpointEvery=10", "--set", "train.warmupSteps=5");
        assertEquals(0, cli(args(common, "--out", straight, "--set", "train.steps=40"))[0]);
        assertEquals(0, cli(args(common, "--out", resumed, "--set", "train.steps=20"))[0]);
        assertEquals(0, cli(args(common, "--out", resumed, "--set", "train.steps=40", "--resume"))[0]);

        List<JsonNode> a = metrics(straight);
        List<JsonNode> b = metrics(resumed);
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            assertEquals(a.get(i).get("step").asLong(), b.get(i).get("step").asLong());
            assertEquals(a.get(i).get("train_loss").asDouble(), b.get(i).get("train_loss").asDouble(), 1e-4,
                    "train loss at step " + a.get(i).get("step"));
            if (a.get(i).has("val_loss")) {
                assertEquals(a.get(i).get("val_loss").asDouble(), b.get(i).get("val_loss").asDouble(), 1e-4);
            }
        }
    }

    @Test
    void anOutputHoldingAnotherRunIsRefused() {
        String run = hdfs + "/runs/taken";
        String corpus = hdfs + "/corpus/shakespeare.txt";
        assertEquals(0, cli("train", "--config", conf(), "--corpus", corpus, "--out", run, "--set", "train.steps=5",
                "--set", "train.evalEvery=5", "--set", "train.checkpointEvery=5")[0]);
        assertEquals(2, cli("train", "--config", conf(), "--corpus", corpus, "--out", run, "--set", "train.steps=5")[0]);
    }

    /** What submit/demo.sh's {@code grep -o '...'} of the train log prints for {@code line}, run with the script's own pattern. */
    private static String demoGrep(String line) throws Exception {
        String script = Files.readString(new File("../submit/demo.sh").toPath());
        Matcher m = Pattern.compile("grep -o '([^']*)'").matcher(script);
        assertTrue(m.find(), "submit/demo.sh greps the train log");
        Process grep = new ProcessBuilder("grep", "-o", m.group(1)).redirectErrorStream(true).start();
        try (var in = grep.getOutputStream()) {
            in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        }
        String out = new String(grep.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertEquals(0, grep.waitFor(), "grep -o '" + m.group(1) + "' matches: " + line);
        return out;
    }

    private static String[] args(List<String> common, String... more) {
        List<String> all = new ArrayList<>(List.of("train"));
        all.addAll(common);
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }
}
