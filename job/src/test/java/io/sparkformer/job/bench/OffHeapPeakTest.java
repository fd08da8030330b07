package io.sparkformer.job.bench;

import io.sparkformer.config.ConfigLoader;
import io.sparkformer.config.SparkformerConfig;
import io.sparkformer.model.MemoryEstimate;
import io.sparkformer.model.MemoryEstimate.Task;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The off-heap estimate against a real measurement, per family, on the shipped tiny configs: one
 * replica trains a few steps and {@link OffHeapPeak} reads libnd4j's held bytes and the workspaces.
 * A change to a model's allocations that the estimate does not follow fails here (the bigger
 * configs' figures, from bench/memory-estimate.sh, are pinned in MemoryEstimateTest).
 */
class OffHeapPeakTest {

    @ParameterizedTest(name = "{0} ({1})")
    @CsvSource({"gpt-tiny.conf, train, 65", "bert-tiny.conf, train, 320", "bert-tiny.conf, finetune, 320",
            "seq2seq-tiny.conf, train, 300"})
    void theEstimateIsWithinAQuarterOfTheMeasuredPeak(String name, String task, int vocab) throws Exception {
        SparkformerConfig c = ConfigLoader.load(Files.readString(Path.of("..", "conf", name)), "conf/" + name,
                List.of());
        Task t = task.equals("finetune") ? Task.BERT_CLASSIFIER : Task.of(c.model());
        // A thread of its own: workspaces are per thread, and ones other tests grew would count here.
        AtomicReference<Object> out = new AtomicReference<>();
        Thread probe = new Thread(() -> {
            try {
                out.set(OffHeapPeak.measure(c, t, vocab, 2, 3, 2));
            } catch (RuntimeException | Error e) {
                out.set(e);
            }
        });
        probe.start();
        probe.join();
        if (out.get() instanceof Throwable e) {
            throw new AssertionError(e);
        }
        OffHeapPeak.Result r = (OffHeapPeak.Result) out.get();
        MemoryEstimate e = MemoryEstimate.of(c, t, vocab);
        // The activations are the workspaces' part: outside them a step allocates next to nothing.
        assertTrue(r.stepPeak() - r.live() < (1 << 20), "a step's allocations outside workspaces: " + r);
        double ratio = e.replicaBytes() / (double) r.peak();
        assertTrue(ratio >= 0.75 && ratio <= 1.25, name + " " + t + ": estimate " + e.replicaBytes() + " bytes, measured "
                + r + " (ratio " + ratio + ")");
    }
}
