package io.sparkformer.job;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The Tiny Shakespeare text the job tests train on, read from ../shared/data (never copied into the
 * repository), and the local Spark the command-line tests run under.
 */
public final class TestCorpus {
    private TestCorpus() {
    }

    /** The first {@code chars} characters of Tiny Shakespeare. */
    public static String shakespeare(int chars) {
        Path file = Path.of(System.getProperty("sparkformer.shared", "../shared"), "data/tinyshakespeare/input.txt");
        try {
            return Files.readString(file).substring(0, chars);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the shared data set " + file, e);
        }
    }

    /** {@code dir/corpus.txt} holding the first {@code chars} characters of Tiny Shakespeare; its path. */
    public static String writeShakespeare(Path dir, int chars) throws IOException {
        Path corpus = dir.resolve("corpus.txt");
        Files.writeString(corpus, shakespeare(chars));
        return corpus.toString();
    }

    /** Commands run through {@code Main} use {@code local[2]} without a UI (undo with {@link #clearLocalSpark()}). */
    public static void useLocalSpark() {
        System.setProperty("spark.master", "local[2]");
        System.setProperty("spark.ui.enabled", "false");
    }

    public static void clearLocalSpark() {
        System.clearProperty("spark.master");
    }

    /**
     * The command line of a tiny {@code train} run (conf/gpt-tiny.conf, {@code steps} steps, an
     * evaluation and a checkpoint every 5), followed by {@code more}.
     */
    public static String[] tinyTrain(String corpus, String out, int steps, String... more) {
        java.util.List<String> a = new java.util.ArrayList<>(java.util.List.of("train", "--config",
                "../conf/gpt-tiny.conf", "--corpus", corpus, "--out", out, "--set", "train.steps=" + steps, "--set",
                "train.evalEvery=5", "--set", "train.checkpointEvery=5"));
        a.addAll(java.util.List.of(more));
        return a.toArray(String[]::new);
    }
}
