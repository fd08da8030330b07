package io.sparkformer.job.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkformer.job.Cli;
import io.sparkformer.job.TestCorpus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every family's end-to-end training path (GPT, BERT masked LM, a fine-tuned classifier, translation)
 * trains 6 steps of its tiny config with a fixed seed through the command line and the one
 * {@link RoundEngine}, and must log the losses recorded here: a change to the engine, a family, the
 * batch plan or the optimiser that changes what is trained shows up as a changed loss.
 *
 * <p>{@link #TOLERANCE} allows for the GEMM kernels of another CPU, nothing more. Measured on the
 * AVX-512 Xeon the values were recorded on (OpenBLAS SKYLAKEX kernels), which also runs the HASWELL
 * kernels of an AVX2-only CI machine: the two kernel families gave logged losses at most 3.8e-8 apart
 * (relative); a JVM limited to one processor (one ND4J thread, not two) at most 1.6e-8. A change of what is trained moves some
 * logged loss of each family by far more: the learning rate 10% lower by 3.2e-3 to 1.0e-1, another
 * seed by 7.0e-3 to 1.8e-1, GPT's batch 8 -> 7 by 8.8e-3. To record new values after an intended
 * change, run the test and copy the "logged" trace of its failure message.
 */
class GoldenLossTest {
    /** Relative: 260x the kernels' difference, 300x below a 10% change of the learning rate. */
    static final double TOLERANCE = 1e-5;
    /** Short enough for seconds per family; warm-up off so that the learning rate acts from step 1. */
    private static final String[] STEPS = {"--set", "train.steps=6", "--set", "train.evalEvery=6", "--set",
            "train.checkpointEvery=6", "--set", "spark.averagingFrequency=2", "--set", "train.warmupSteps=0"};

    @TempDir
    static Path dir;
    private static String corpus;
    private static Path bertRun;

    @BeforeAll
    static void setUp() throws Exception {
        TestCorpus.useLocalSpark();
        corpus = TestCorpus.writeShakespeare(dir, 20000);
    }

    @AfterAll
    static void tearDown() {
        TestCorpus.clearLocalSpark();
    }

    @Test
    void gptLogsItsGoldenLosses() throws Exception {
        assertGolden("train_loss@2=3.941283868 train_loss@4=3.811761562 train_loss@6=3.752044894"
                + " val_loss@6=3.789481361",
                train("gpt", "train", "--config", "../conf/gpt-tiny.conf", "--corpus", corpus));
    }

    @Test
    void bertMaskedLmLogsItsGoldenLosses() throws Exception {
        assertGolden("train_loss@2=5.735040759 train_loss@4=5.620422512 train_loss@6=5.63832523"
                + " val_loss@6=5.568738323", bert());
    }

    @Test
    void finetunedClassifierLogsItsGoldenLosses() throws Exception {
        List<String> rows = new ArrayList<>(List.of("sentence\tlabel"));
        for (String line : TestCorpus.shakespeare(20000).split("\n")) {
            if (!line.isBlank() && !line.contains("\t")) {
                rows.add(line + "\t" + (line.strip().endsWith(":") ? 1 : 0));   // speaker lines vs the rest
            }
        }
        Path table = dir.resolve("labeled.tsv");
        Files.write(table, rows);
        assertGolden("train_loss@2=0.6474425892 train_loss@4=0.7778304964 train_loss@6=0.6115072568"
                + " val_loss@6=0.6647301665",
                train("finetune", "finetune", "--checkpoint", bert().toString(), "--train", table.toString()));
    }

    @Test
    void translationLogsItsGoldenLosses() throws Exception {
        StringBuilder source = new StringBuilder();
        StringBuilder target = new StringBuilder();
        for (String line : TestCorpus.shakespeare(8000).split("\n")) {
            if (!line.isBlank()) {
                List<String> all = List.of(line.strip().split(" +"));
                List<String> words = new ArrayList<>(all.subList(0, Math.min(3, all.size())));   // fits 16 tokens
                source.append(String.join(" ", words)).append('\n');
                java.util.Collections.reverse(words);   // the "translation": the words in reverse order
                target.append(String.join(" ", words)).append('\n');
            }
        }
        Path src = Files.writeString(dir.resolve("pairs.src"), source);
        Path tgt = Files.writeString(dir.resolve("pairs.tgt"), target);
        assertGolden("train_loss@2=5.679664593 train_loss@4=5.568040573 train_loss@6=5.479228352"
                + " val_loss@6=5.42470547",
                train("translation", "train", "--config", "../conf/seq2seq-tiny.conf", "--source", src.toString(),
                        "--target", tgt.toString()));
    }

    /** The BERT run, trained once: the fine-tune starts from its checkpoint. */
    private static synchronized Path bert() throws Exception {
        if (bertRun == null) {
            bertRun = train("bert", "train", "--config", "../conf/bert-tiny.conf", "--corpus", corpus);
        }
        return bertRun;
    }

    /** Runs {@code args} with {@link #STEPS} (and {@code --out dir/name}); the run directory. */
    static Path train(String name, String... args) {
        Path out = dir.resolve(name);
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--out", out.toString()));
        all.addAll(List.of(STEPS));
        Cli.Result r = Cli.run(all.toArray(String[]::new));
        assertEquals(0, r.code(), name + " failed: " + r.err());
        return out;
    }

    /** {@code train_loss@2=3.8941 ... val_loss@6=3.3350}: every loss metrics.jsonl logs, by step. */
    static Map<String, Double> losses(Path run) throws Exception {
        Map<String, Double> trace = new LinkedHashMap<>();
        List<String> vals = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) {
            JsonNode m = new ObjectMapper().readTree(line);
            trace.put("train_loss@" + m.get("step").asLong(), m.get("train_loss").asDouble());
            if (m.has("val_loss")) {
                vals.add("val_loss@" + m.get("step").asLong() + "=" + m.get("val_loss").asDouble());
            }
        }
        for (String v : vals) {
            trace.put(v.substring(0, v.indexOf('=')), Double.parseDouble(v.substring(v.indexOf('=') + 1)));
        }
        return trace;
    }

    static String format(Map<String, Double> trace) {
        return trace.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining(" "));
    }

    private static void assertGolden(String golden, Path run) throws Exception {
        Map<String, Double> logged = losses(run);
        String message = "logged: " + format(logged);
        Map<String, Double> expected = new LinkedHashMap<>();
        for (String kv : golden.split(" ")) {
            if (!kv.isEmpty()) {
                expected.put(kv.substring(0, kv.indexOf('=')), Double.parseDouble(kv.substring(kv.indexOf('=') + 1)));
            }
        }
        assertEquals(expected.keySet(), logged.keySet(), message);
        for (Map.Entry<String, Double> e : expected.entrySet()) {
            double got = logged.get(e.getKey());
            assertTrue(Math.abs(got - e.getValue()) <= TOLERANCE * Math.abs(e.getValue()),
                    e.getKey() + ": expected " + e.getValue() + ", got " + got + "; " + message);
        }
    }
}
