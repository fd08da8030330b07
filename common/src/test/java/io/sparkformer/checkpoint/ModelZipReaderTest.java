package io.sparkformer.checkpoint;

import org.apache.hadoop.conf.Configuration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Enumeration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A {@code model.zip} is read without Java deserialization: an attacker who can write a run
 * directory (and so its manifest) cannot make a job that loads it run code, claim more memory than
 * the model needs, or smuggle in classes through the configuration's type ids.
 */
class ModelZipReaderTest {
    @TempDir
    Path temp;
    private final Configuration conf = new Configuration();

    /** Stands for any gadget: its deserialization is the attacker's code running. */
    static final class Payload implements Serializable {
        private static final long serialVersionUID = 1L;
        static volatile boolean ran;

        private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
            in.defaultReadObject();
            ran = true;
        }
    }

    @Test
    void serializedObjectInModelZipIsRefusedBeforeItsCodeRuns() throws Exception {
        Path stepDir = savedCheckpoint();
        byte[] payload = serialize(new Payload());
        rewriteModelZip(stepDir, entries -> entries.put("preprocessor.bin", payload));
        Payload.ran = false;

        CheckpointException e = assertThrows(CheckpointException.class, this::load);

        assertEquals("model.zip of checkpoint file:" + stepDir + " is refused: it holds an entry Sparkformer never "
                + "writes: preprocessor.bin", e.getMessage());
        assertFalse(Payload.ran, "the payload's readObject ran");
        // The same file through DL4J's own loader runs the payload: the threat is real.
        try {
            ModelSerializer.restoreComputationGraph(stepDir.resolve("model.zip").toFile(), true);
        } catch (RuntimeException expected) {
            // DL4J casts the object to a DataSetPreProcessor only after readObject has run
        }
        assertTrue(Payload.ran);
    }

    @Test
    void configurationNamingAClassOutsideTheAllowListIsRefused() throws Exception {
        assertClassRefused("javax.script.ScriptEngineManager");
    }

    @Test
    void configurationNamingAClassOfALibraryNd4jShadesIsRefused() throws Exception {
        // org.nd4j.shade.* is Jackson, Guava, Protobuf... under ND4J's prefix: the prefix alone would admit them.
        assertClassRefused("org.nd4j.shade.jackson.databind.ObjectMapper");
    }

    private void assertClassRefused(String className) throws Exception {
        Path stepDir = savedCheckpoint();
        rewriteModelZip(stepDir, entries -> {
            String json = new String(entries.get("configuration.json"), StandardCharsets.UTF_8);
            String edited = json.replaceFirst("\"@class\"\\s*:\\s*\"[^\"]+\"", "\"@class\" : \"" + className + "\"");
            assertFalse(edited.equals(json), "the configuration has no @class to replace");
            entries.put("configuration.json", edited.getBytes(StandardCharsets.UTF_8));
        });

        CheckpointException e = assertThrows(CheckpointException.class, this::load);

        assertEquals("model.zip of checkpoint file:" + stepDir + " is refused: its configuration names class "
                + className + ", which is not part of DL4J, ND4J or Sparkformer", e.getMessage());
    }

    @Test
    void coefficientsOfTheWrongLengthAreRefusedBeforeTheyAreAllocated() throws Exception {
        Path stepDir = savedCheckpoint();
        long params = CheckpointStoreContract.trainedNet().numParams();
        rewriteModelZip(stepDir, entries -> entries.put("coefficients.bin",
                ndArrayBytes(Nd4j.zeros(DataType.FLOAT, 1, params + 1))));

        CheckpointException e = assertThrows(CheckpointException.class, this::load);

        assertEquals("model.zip of checkpoint file:" + stepDir + " is refused: coefficients.bin holds " + (params + 1)
                + " values but the configuration needs " + params, e.getMessage());
    }

    @Test
    void oversizedUpdaterStateIsRefusedByItsSizeAlone() throws Exception {
        Path stepDir = savedCheckpoint();
        byte[] huge = new byte[64 << 20];   // zeros deflate to almost nothing: a small file, a large claim
        rewriteModelZip(stepDir, entries -> entries.put("updaterState.bin", huge));

        CheckpointException e = assertThrows(CheckpointException.class, this::load);

        assertTrue(e.getMessage().startsWith("model.zip of checkpoint file:" + stepDir
                + " is refused: updaterState.bin has " + huge.length + " bytes, more than "), e.getMessage());
    }

    @Test
    void untouchedCheckpointLoadsTheSameParametersAndUpdaterState() {
        ComputationGraph net = CheckpointStoreContract.trainedNet();
        new CheckpointStore(runDir().toString(), conf, 3).save(CheckpointStoreContract.checkpointAt(10, net));

        ComputationGraph loaded = load().model();

        assertEquals(net.params(), loaded.params());
        assertEquals(net.getUpdater().getStateViewArray(), loaded.getUpdater().getStateViewArray());
        assertEquals(net.getConfiguration().toJson(), loaded.getConfiguration().toJson());
    }

    private Path runDir() {
        return temp.resolve("run");
    }

    private Checkpoint load() {
        return new CheckpointStore(runDir().toString(), conf, 3).load("step-000010");
    }

    private Path savedCheckpoint() {
        new CheckpointStore(runDir().toString(), conf, 3)
                .save(CheckpointStoreContract.checkpointAt(10, CheckpointStoreContract.trainedNet()));
        return runDir().resolve("checkpoints").resolve("step-000010");
    }

    /** Edits model.zip's entries and re-signs the manifest, as someone with write access to the run could. */
    private static void rewriteModelZip(Path stepDir, Consumer<Map<String, byte[]>> edit) throws Exception {
        Path zip = stepDir.resolve("model.zip");
        Map<String, byte[]> entries = new LinkedHashMap<>();
        try (ZipFile file = new ZipFile(zip.toFile())) {
            for (Enumeration<? extends ZipEntry> e = file.entries(); e.hasMoreElements(); ) {
                ZipEntry entry = e.nextElement();
                entries.put(entry.getName(), file.getInputStream(entry).readAllBytes());
            }
        }
        edit.accept(entries);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream out = new ZipOutputStream(bytes)) {
            for (Map.Entry<String, byte[]> entry : entries.entrySet()) {
                out.putNextEntry(new ZipEntry(entry.getKey()));
                out.write(entry.getValue());
                out.closeEntry();
            }
        }
        Files.write(zip, bytes.toByteArray());

        Path manifestPath = stepDir.resolve("MANIFEST.json");
        Manifest manifest = Manifest.fromJson(Files.readString(manifestPath));
        Map<String, Manifest.Entry> files = new LinkedHashMap<>(manifest.files());
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes.toByteArray()));
        files.put("model.zip", new Manifest.Entry(bytes.size(), sha));
        Files.writeString(manifestPath, new Manifest(files).toJson());
    }

    private static byte[] serialize(Object o) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(o);
        }
        return bytes.toByteArray();
    }

    private static byte[] ndArrayBytes(org.nd4j.linalg.api.ndarray.INDArray array) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            Nd4j.write(array, out);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return bytes.toByteArray();
    }
}
