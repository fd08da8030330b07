package io.sparkformer.job.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code metrics.jsonl}: one JSON object per line. Kept in memory and rewritten whole through a
 * temporary file and a rename (append is not portable across Hadoop file systems, and the file is
 * small). On resume, lines after the resumed step are dropped so the file tells one timeline.
 */
public final class MetricsLog {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path file;
    private final Configuration conf;
    private static final long WRITE_INTERVAL_NANOS = 10_000_000_000L;
    private final List<ObjectNode> lines = new ArrayList<>();
    private long lastWrite = System.nanoTime();
    private int written;

    public MetricsLog(Path file, Configuration conf) {
        this.file = file;
        this.conf = conf;
    }

    /** Loads the existing lines up to and including {@code step}. */
    public void resumeAt(long step) {
        try {
            FileSystem fs = file.getFileSystem(conf);
            if (!fs.exists(file)) {
                return;
            }
            String text;
            try (var in = fs.open(file)) {
                text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            for (String line : text.split("\n")) {
                if (line.isBlank()) {
                    continue;
                }
                JsonNode node = JSON.readTree(line);
                if (node.path("step").asLong() <= step) {
                    lines.add((ObjectNode) node);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** The value of {@code field} in the last line that has it (e.g. a resumed run's last validation loss), or null. */
    public Double lastValue(String field) {
        for (int i = lines.size() - 1; i >= 0; i--) {
            JsonNode v = lines.get(i).get(field);
            if (v != null && v.isNumber()) {
                return v.asDouble();
            }
        }
        return null;
    }

    public ObjectNode newLine() {
        return JSON.createObjectNode();
    }

    /** A line with the fields every training round reports (the run directory's contract). */
    public ObjectNode roundLine(long step, long tokens, long elapsedMillis, double lr, double trainLoss,
                                double tokensPerSecond) {
        ObjectNode line = newLine();
        line.put("step", step);
        line.put("tokens", tokens);
        line.put("elapsed_s", elapsedMillis / 1000.0);
        line.put("lr", lr);
        line.put("train_loss", trainLoss);
        line.put("tokens_per_s", tokensPerSecond);
        return line;
    }

    /**
     * Adds a line. The file is rewritten for evaluation lines, and otherwise at most every
     * {@link #WRITE_INTERVAL_NANOS}: rewriting it after every averaging round cost a Hadoop create
     * (a forked chmod on the local file system) per round and grows quadratically with the run.
     */
    public void append(ObjectNode line) {
        lines.add(line);
        if (line.has("val_loss") || System.nanoTime() - lastWrite >= WRITE_INTERVAL_NANOS) {
            write();
        }
    }

    /** Writes the lines not yet in the file (the training loops call this when they stop). */
    public void flush() {
        if (written < lines.size()) {
            write();
        }
    }

    public List<ObjectNode> lines() {
        return lines;
    }

    /**
     * Rewrites the file; a failure is reported once by {@link AuxiliaryWrites} and the lines stay in
     * memory, so the next write (the next evaluation, interval or flush) carries them all.
     */
    private void write() {
        StringBuilder sb = new StringBuilder();
        for (ObjectNode n : lines) {
            sb.append(n.toString()).append('\n');
        }
        int count = lines.size();
        lastWrite = System.nanoTime();   // after a failure too: the next try waits for the next write
        if (AuxiliaryWrites.attempt(file,
                () -> AuxiliaryWrites.replace(file, conf, sb.toString().getBytes(StandardCharsets.UTF_8)))) {
            written = count;
        }
    }
}
