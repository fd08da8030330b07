package io.sparkformer.job.train;

import io.sparkformer.job.cluster.ClusterProcesses;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Training steps and Spark averaging rounds leave no off-heap garbage behind: after warm-up, further
 * steps (single JVM) and rounds (local[2]) of a tiny GPT with weight decay and clipping end holding
 * no more libnd4j memory outside workspaces than they started with, in a JVM that never collects
 * garbage ({@link OffHeapGrowth}), so no collection can hide an allocation. A control loop that drops
 * one array per step shows the measurement sees such garbage in full.
 */
class OffHeapGrowthTest {
    private static final int WARM = 3;
    private static final int MEASURED = 6;
    /**
     * Per step: the minibatch (features and labels, 2 x 8 x 32 floats) DL4J is handed, built from the
     * token stream each step, and the loss/norm scalars of the hooks; 4 KiB a step is far below one
     * activation or gradient of the model (a [256, 32] float array alone is 32 KiB).
     */
    private static final long TOLERANCE_PER_STEP = 4096;

    @Test
    void stepsAndRoundsHoldNoNewOffHeapMemoryWithoutGarbageCollection() throws Exception {
        Map<String, Long> growth = run();
        assertTrue(growth.get("control") >= MEASURED * OffHeapGrowth.CONTROL_BYTES,
                "the control's dropped arrays must stay allocated without a collector: " + growth);
        assertTrue(growth.get("single") <= MEASURED * TOLERANCE_PER_STEP,
                MEASURED + " single-JVM steps left " + growth.get("single") + " bytes off-heap: " + growth);
        // A repeated validation pass reuses the evaluation workspace: until 2026-12-02 it ran outside
        // workspaces (a LayerWorkspaceMgr builder-order bug) and left ~2.1 MB per pass of 4 batches here.
        assertTrue(growth.get("validation") <= OffHeapGrowth.VALIDATION_BATCHES * TOLERANCE_PER_STEP,
                "a repeated validation pass left " + growth.get("validation") + " bytes off-heap: " + growth);
        // Each measured round is 2 workers x 2 steps, plus the driver's averaging.
        assertTrue(growth.get("spark") <= MEASURED * 2 * 2 * TOLERANCE_PER_STEP,
                MEASURED + " local[2] rounds left " + growth.get("spark") + " bytes off-heap: " + growth);
    }

    private static Map<String, Long> run() throws Exception {
        Path log = Files.createTempFile("offheap-growth", ".log");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(List.of(ClusterProcesses.java17Options().split("\\s+")));
        cmd.addAll(List.of("-XX:+UnlockExperimentalVMOptions", "-XX:+UseEpsilonGC", "-Xms2g", "-Xmx2g",
                "-Dspark.master=local[2]", "-Dspark.ui.enabled=false", "-Dspark.kryoserializer.buffer=1m",
                "-cp", ClusterProcesses.classpathString(), OffHeapGrowth.class.getName(), String.valueOf(WARM), String.valueOf(MEASURED)));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("OMP_NUM_THREADS", "1");
        Process p = pb.start();
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
        }
        String out = Files.readString(log, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), "the measuring JVM failed:\n" + out);
        Map<String, Long> growth = new HashMap<>();
        for (String line : out.split("\n")) {
            String[] f = line.trim().split(" ");
            if (f.length == 2 && List.of("single", "control", "validation", "spark").contains(f[0])) {
                growth.put(f[0], Long.parseLong(f[1]));
            }
        }
        assertEquals(4, growth.size(), "measurements missing from:\n" + out);
        return growth;
    }
}
