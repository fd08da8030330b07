package io.sparkformer.checkpoint;

import io.sparkformer.config.ConfigLoader;
import io.sparkformer.model.Architecture;
import io.sparkformer.model.gpt.GptGraphBuilder;
import io.sparkformer.model.gpt.GptSpec;
import io.sparkformer.testing.LogCapture;
import io.sparkformer.tokenize.CharTokenizer;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a {@link CheckpointStore} guarantees, run against each file system in a subclass. Models are
 * tiny GPTs fitted a step or two so that parameters and Adam's moments are non-trivial.
 */
abstract class CheckpointStoreContract {
    private static final GptSpec SPEC = new GptSpec(13, 8, Architecture.preNorm(16, 2, 2, 24, true, true, 1e-5, 0.1), false);
    private static final long SEED = 9;
    private static final String CONFIG = ConfigLoader.render(ConfigLoader.defaults(List.of()));
    private static final String TOKENIZER = CharTokenizer.fit("hello, checkpoint world\n").toJson();
    private static final Set<String> FILES = Set.of("model.zip", "state.json", "config.conf", "tokenizer.json",
            "MANIFEST.json");

    /** The file system under test, as a store uses it. */
    abstract FileSystem fileSystem();

    /** The Hadoop configuration a user's run would pass. */
    abstract Configuration conf();

    /** A fresh run directory (not yet created) as a user would pass it to {@code --out}. */
    abstract String newRunDir();

    private CheckpointStore store(String runDir, int keep) {
        return new CheckpointStore(runDir, conf(), keep);
    }

    /** What a checkpoint held when it was saved; the model trains on afterwards. */
    private record Saved(TrainingState state, INDArray params, INDArray updaterState) {
        static Saved of(Checkpoint c) {
            return new Saved(c.state(), c.model().params().dup(), c.model().getUpdater().getStateViewArray().dup());
        }
    }

    static ComputationGraph trainedNet() {
        ComputationGraph net = GptGraphBuilder.build(SPEC, new Adam(1e-3), List.of(), 1.0, SEED, DataType.FLOAT);
        fitOneStep(net, 1);
        return net;
    }

    private static void fitOneStep(ComputationGraph net, long dataSeed) {
        Random random = new Random(dataSeed);
        float[][] tokens = new float[2][7];   // (B, T+1) token ids
        for (float[] row : tokens) {
            for (int t = 0; t < row.length; t++) {
                row[t] = random.nextInt(SPEC.vocabSize());
            }
        }
        float[][] x = new float[2][];
        float[][] y = new float[2][];
        for (int b = 0; b < 2; b++) {
            x[b] = Arrays.copyOfRange(tokens[b], 0, 6);
            y[b] = Arrays.copyOfRange(tokens[b], 1, 7);
        }
        net.fit(new DataSet(Nd4j.createFromArray(x), Nd4j.createFromArray(y)));
    }

    static Checkpoint checkpointAt(long step, ComputationGraph net) {
        TrainingState state = new TrainingState(step, step * 96, step * 2 + 1, SEED, 4.0 - step / 1000.0, step * 50);
        return Checkpoint.of(state, CONFIG, TOKENIZER, net);
    }

    private static void assertRestored(Saved expected, Checkpoint actual) {
        assertEquals(Checkpoint.nameFor(expected.state().step()), actual.name());
        assertEquals(expected.state(), actual.state());
        assertEquals(CONFIG, actual.configText());
        assertEquals(TOKENIZER, actual.tokenizerJson());
        assertEquals(expected.params(), actual.model().params());
        assertEquals(expected.updaterState(), actual.model().getUpdater().getStateViewArray());
    }

    private String latestFile(CheckpointStore store) throws IOException {
        try (InputStream in = fileSystem().open(new Path(store.directory(), CheckpointStore.LATEST))) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private boolean latestExists(CheckpointStore store) throws IOException {
        return fileSystem().exists(new Path(store.directory(), CheckpointStore.LATEST));
    }

    private Set<String> entries(Path dir) throws IOException {
        Set<String> names = new TreeSet<>();
        for (FileStatus status : fileSystem().listStatus(dir)) {
            names.add(status.getPath().getName());
        }
        return names;
    }

    private byte[] readBytes(Path file) throws IOException {
        try (InputStream in = fileSystem().open(file)) {
            return in.readAllBytes();
        }
    }

    private void writeBytes(Path file, byte[] bytes) throws IOException {
        try (FSDataOutputStream out = fileSystem().create(file, true)) {
            out.write(bytes);
        }
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    @Test
    void checkpointRoundTripRestoresParamsUpdaterStateAndTrainingState() throws Exception {
        String run = newRunDir();
        ComputationGraph net = trainedNet();
        assertTrue(net.getUpdater().getStateViewArray().amaxNumber().doubleValue() > 0, "Adam moments are non-zero");
        Checkpoint saved = checkpointAt(500, net);
        Saved expected = Saved.of(saved);
        store(run, 3).save(saved);

        CheckpointStore reopened = store(run, 3);   // as a resumed run would
        Checkpoint back = reopened.loadLatest().orElseThrow();

        assertRestored(expected, back);
        INDArray x = Nd4j.createFromArray(new float[][] {{1, 2, 3, 4, 5, 6}});
        assertEquals(net.outputSingle(x), back.model().outputSingle(x));
        assertEquals(ConfigLoader.defaults(List.of()), back.config());
        assertEquals(TOKENIZER, back.tokenizer().toJson());
        assertEquals(List.of("step-000500"), reopened.list());
        assertEquals("step-000500\n", latestFile(reopened));
        assertEquals(Set.of("LATEST", "step-000500"), entries(reopened.directory()));
        assertEquals(FILES, entries(new Path(reopened.directory(), "step-000500")));
    }

    @Test
    void keepsOnlyTheNewestCheckpoints() throws Exception {
        CheckpointStore store = store(newRunDir(), 2);
        ComputationGraph net = trainedNet();
        for (long step : new long[] {100, 200, 300, 400}) {
            store.save(checkpointAt(step, net));
        }
        assertEquals(List.of("step-000300", "step-000400"), store.list());
        assertEquals("step-000400\n", latestFile(store));
        assertEquals(Set.of("LATEST", "step-000300", "step-000400"), entries(store.directory()));
        assertEquals("step-000400", store.loadLatest().orElseThrow().name());
    }

    @Test
    void savingTheSameStepAgainReplacesIt() throws Exception {
        CheckpointStore store = store(newRunDir(), 3);
        ComputationGraph net = trainedNet();
        store.save(checkpointAt(500, net));
        fitOneStep(net, 2);
        Checkpoint again = checkpointAt(500, net);
        Saved expected = Saved.of(again);
        store.save(again);

        assertRestored(expected, store.loadLatest().orElseThrow());
        assertEquals(List.of("step-000500"), store.list());
        assertEquals(Set.of("LATEST", "step-000500"), entries(store.directory()));
    }

    @Test
    void aKilledWriteNeverLeavesLatestPointingAtAnIncompleteCheckpoint() throws Exception {
        String run = newRunDir();
        CheckpointStore store = store(run, 3);
        ComputationGraph net = trainedNet();
        Checkpoint previous = checkpointAt(500, net);
        Saved expected = Saved.of(previous);
        store.save(previous);
        fitOneStep(net, 2);

        CrashingFileSystem dying = CrashingFileSystem.afterBytes(fileSystem(), "model.zip", 1000);
        CheckpointStore crashing = new CheckpointStore(dying, new Path(run), conf(), 3);
        io.sparkformer.data.StorageException e = assertThrows(io.sparkformer.data.StorageException.class,
                () -> crashing.save(checkpointAt(600, net)));

        assertTrue(dying.crashed());
        assertEquals(CrashingFileSystem.CRASH + " after 1000 bytes of model.zip", e.getCause().getMessage());
        assertEquals("step-000500\n", latestFile(store));
        assertEquals(List.of("step-000500"), store.list());
        Set<String> entries = entries(store.directory());
        assertTrue(entries.stream().anyMatch(n -> n.startsWith(".tmp-step-000600-")), "partial save left " + entries);
        assertRestored(expected, store.loadLatest().orElseThrow());

        store.save(checkpointAt(700, net));   // the next save clears the leftover
        assertEquals(Set.of("LATEST", "step-000500", "step-000700"), entries(store.directory()));
    }

    @Test
    void aKillAtAnyFileSystemOperationLeavesALoadableCheckpoint() throws Exception {
        ComputationGraph net = trainedNet();
        Map<String, Saved> saved = new HashMap<>();
        for (long step : new long[] {500, 600, 700}) {
            saved.put(Checkpoint.nameFor(step), Saved.of(checkpointAt(step, net)));
        }
        // With 500 and 600 saved and keep = 2: save a new step 700 (pruning 500), or step 600 again.
        for (long step : new long[] {700, 600}) {
            String name = Checkpoint.nameFor(step);
            CrashingFileSystem counting = CrashingFileSystem.atOperation(fileSystem(), Long.MAX_VALUE);
            String dryRun = newRunDir();
            store(dryRun, 2).save(checkpointAt(500, net));
            store(dryRun, 2).save(checkpointAt(600, net));
            new CheckpointStore(counting, new Path(dryRun), conf(), 2).save(checkpointAt(step, net));
            int operations = counting.operations();
            assertTrue(operations >= 9, "saving " + name + " takes " + operations + " operations");

            for (int k = 1; k <= operations; k++) {
                String run = newRunDir();
                CheckpointStore store = store(run, 2);
                store.save(checkpointAt(500, net));
                store.save(checkpointAt(600, net));
                CrashingFileSystem dying = CrashingFileSystem.atOperation(fileSystem(), k);
                boolean threw = false;
                try {
                    new CheckpointStore(dying, new Path(run), conf(), 2).save(checkpointAt(step, net));
                } catch (io.sparkformer.data.StorageException e) {
                    threw = true;
                }
                String where = "saving " + name + ", crash at operation " + k + " of " + operations;
                assertTrue(dying.crashed(), where);
                List<String> listed = store.list();
                assertTrue(saved.keySet().containsAll(listed), where + ": " + listed);
                assertTrue(step == 600 || listed.contains("step-000600"), where + ": " + listed);
                if (latestExists(store)) {
                    String latest = latestFile(store).strip();
                    if (step == 700 && !listed.contains(name)) {
                        assertEquals("step-000600", latest, where);
                    }
                    if (listed.contains(latest)) {
                        store.load(latest);   // whatever LATEST names is complete and verifies
                    } else {
                        // Only while a re-save has the old copy moved aside: loadLatest falls back below.
                        assertEquals(600, step, where + ": LATEST names " + latest + " but " + listed + " exist");
                    }
                }
                Checkpoint loaded = store.loadLatest().orElseThrow();
                assertRestored(saved.get(loaded.name()), loaded);
                assertTrue(loaded.state().step() >= (step == 700 ? 600 : 500), where + ": loaded " + loaded.name());
                if (!threw) {
                    assertEquals(name + "\n", latestFile(store), where);
                }
            }
        }
    }

    @Test
    void corruptCheckpointIsSkippedWithAWarningAndThePreviousOneIsUsed() throws Exception {
        CheckpointStore store = store(newRunDir(), 3);
        ComputationGraph net = trainedNet();
        Checkpoint previous = checkpointAt(500, net);
        Saved expected = Saved.of(previous);
        store.save(previous);
        fitOneStep(net, 2);
        store.save(checkpointAt(600, net));
        Path model = new Path(store.directory(), "step-000600/model.zip");
        byte[] bytes = readBytes(model);
        String recorded = sha256(bytes);
        bytes[bytes.length / 2] ^= 0x5a;
        writeBytes(model, bytes);

        List<String> warnings;
        Checkpoint loaded;
        try (LogCapture log = new LogCapture(CheckpointStore.class)) {
            loaded = store.loadLatest().orElseThrow();
            warnings = log.warnings();
        }
        assertRestored(expected, loaded);
        String corrupt = "checkpoint " + store.directory() + "/step-000600 is corrupt: model.zip has SHA-256 "
                + sha256(bytes) + " but MANIFEST.json records " + recorded;
        assertEquals(List.of("skipping checkpoint step-000600: " + corrupt + "; trying step-000500"), warnings);
        CheckpointException e = assertThrows(CheckpointException.class, () -> store.load("step-000600"));
        assertEquals(corrupt, e.getMessage());
    }

    @Test
    void truncatedCheckpointGivesAClearError() throws Exception {
        CheckpointStore store = store(newRunDir(), 3);
        store.save(checkpointAt(500, trainedNet()));
        Path model = new Path(store.directory(), "step-000500/model.zip");
        byte[] bytes = readBytes(model);
        writeBytes(model, Arrays.copyOf(bytes, 100));

        CheckpointException e = assertThrows(CheckpointException.class, () -> store.load("step-000500"));
        assertEquals("checkpoint " + store.directory() + "/step-000500 is corrupt: model.zip has 100 bytes but"
                + " MANIFEST.json records " + bytes.length, e.getMessage());
        CheckpointException none = assertThrows(CheckpointException.class, store::loadLatest);
        assertEquals("no usable checkpoint in " + store.directory() + " (tried step-000500; see the warnings above)",
                none.getMessage());
    }

    @Test
    void missingCheckpointGivesAClearError() {
        String run = newRunDir();
        CheckpointStore store = store(run, 3);
        store.save(checkpointAt(500, trainedNet()));

        CheckpointException byName = assertThrows(CheckpointException.class, () -> store.load("step-000700"));
        assertEquals("checkpoint " + store.directory() + "/step-000700 does not exist", byName.getMessage());
        Path nowhere = new Path(store.directory().getParent().getParent(), "no-such-run");
        CheckpointException byUri = assertThrows(CheckpointException.class,
                () -> CheckpointStore.open(nowhere.toString(), conf()));
        assertEquals("checkpoint " + nowhere + " does not exist", byUri.getMessage());
    }

    @Test
    void missingLatestFallsBackToTheNewestCheckpointThatVerifies() throws Exception {
        CheckpointStore store = store(newRunDir(), 3);
        ComputationGraph net = trainedNet();
        store.save(checkpointAt(500, net));
        fitOneStep(net, 2);
        Checkpoint newest = checkpointAt(600, net);
        Saved expected = Saved.of(newest);
        store.save(newest);
        assertTrue(fileSystem().delete(new Path(store.directory(), CheckpointStore.LATEST), false));

        try (LogCapture log = new LogCapture(CheckpointStore.class)) {
            assertRestored(expected, store.loadLatest().orElseThrow());
            assertEquals(List.of(store.directory() + "/LATEST is missing; using the newest checkpoint that verifies"),
                    log.warnings());
        }
        assertEquals("step-000600", store.latest().orElseThrow());
    }

    @Test
    void openAcceptsARunDirectoryItsCheckpointsDirectoryOrAStepDirectory() {
        String run = newRunDir();
        CheckpointStore store = store(run, 3);
        ComputationGraph net = trainedNet();
        Checkpoint first = checkpointAt(500, net);
        Saved expectedFirst = Saved.of(first);
        store.save(first);
        fitOneStep(net, 2);
        Checkpoint second = checkpointAt(600, net);
        Saved expectedSecond = Saved.of(second);
        store.save(second);

        assertRestored(expectedSecond, CheckpointStore.open(run, conf()));
        assertRestored(expectedSecond, CheckpointStore.open(store.directory().toString(), conf()));
        String stepDir = store.directory() + "/step-000500";
        assertRestored(expectedFirst, CheckpointStore.open(stepDir, conf()));
        assertRestored(expectedFirst, store.load(stepDir));
        assertNotEquals(expectedFirst.params(), expectedSecond.params());
    }

    @Test
    void aRunWithoutCheckpointsHasNoLatest() {
        CheckpointStore store = store(newRunDir(), 3);
        assertEquals(List.of(), store.list());
        assertFalse(store.loadLatest().isPresent());
        assertFalse(store.latest().isPresent());
    }

    @Test
    void temporaryDirectoriesAreNeverLoadedByName() {
        CheckpointStore store = store(newRunDir(), 3);
        CheckpointException e = assertThrows(CheckpointException.class, () -> store.load(".tmp-step-000500-1234abcd"));
        assertEquals("'.tmp-step-000500-1234abcd' is not a checkpoint name (step-NNNNNN) in " + store.directory(),
                e.getMessage());
    }
}
