package io.sparkformer.export;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkformer.checkpoint.Checkpoint;
import io.sparkformer.checkpoint.CheckpointStore;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The last training and validation losses a run's {@code metrics.jsonl} recorded up to a step:
 * what a model card reports.
 *
 * @param train      the last {@code train_loss} at or before the step
 * @param validation the last {@code val_loss} at or before the step
 */
public record RunMetrics(Optional<LossAt> train, Optional<LossAt> validation) {
    public static final String FILE = "metrics.jsonl";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Logger LOG = LoggerFactory.getLogger(RunMetrics.class);

    /** A loss in nats per token and the step it was measured at. */
    public record LossAt(long step, double loss) {
    }

    /** Reads {@code metrics.jsonl} text, ignoring lines after {@code upToStep} and lines that are not JSON objects. */
    public static RunMetrics parse(String jsonl, long upToStep) {
        LossAt train = null;
        LossAt validation = null;
        for (String line : jsonl.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode node;
            try {
                node = JSON.readTree(line);
            } catch (IOException e) {
                LOG.warn("skipping a metrics line that is not JSON: {}", line);
                continue;
            }
            if (node == null || !node.path("step").canConvertToLong() || node.path("step").asLong() > upToStep) {
                continue;
            }
            long step = node.get("step").asLong();
            if (node.path("train_loss").isNumber()) {
                train = new LossAt(step, node.get("train_loss").asDouble());
            }
            if (node.path("val_loss").isNumber()) {
                validation = new LossAt(step, node.get("val_loss").asDouble());
            }
        }
        return new RunMetrics(Optional.ofNullable(train), Optional.ofNullable(validation));
    }

    /**
     * The metrics of the run a checkpoint URI points into (a run directory, its {@code checkpoints/},
     * or a {@code checkpoints/step-N} directory), up to {@code step}; empty when there is no
     * {@code metrics.jsonl} beside it.
     */
    public static Optional<RunMetrics> beside(String checkpointUri, long step, Configuration conf) {
        try {
            Path path = new Path(checkpointUri);
            FileSystem fs = HfFiles.fileSystem(path, conf);
            Path p = fs.makeQualified(path);
            List<Path> runs = new ArrayList<>(List.of(p));
            boolean stepDir = Checkpoint.stepOf(p.getName()).isPresent();
            if (stepDir && p.getParent() != null && p.getParent().getParent() != null) {
                runs.add(p.getParent().getParent());
            }
            if (p.getName().equals(CheckpointStore.CHECKPOINTS) && p.getParent() != null) {
                runs.add(p.getParent());
            }
            for (Path run : runs) {
                Path file = new Path(run, FILE);
                if (fs.exists(file)) {
                    return Optional.of(parse(HfFiles.readText(fs, file), step));
                }
            }
        } catch (IOException e) {
            LOG.warn("cannot read the metrics beside {}: {}", checkpointUri, e.toString());
        }
        return Optional.empty();
    }
}
