package io.sparkformer.checkpoint;

import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.StreamCapabilities;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.FileNotFoundException;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.sparkformer.checkpoint.CheckpointException.firstLine;

/**
 * The files of one checkpoint directory and how they are written and verified. Knows nothing of
 * temporary names, {@code LATEST} or pruning: that is {@link CheckpointStore}'s business.
 */
final class CheckpointFiles {
    static final String MODEL = "model.zip";
    static final String STATE = "state.json";
    static final String CONFIG = "config.conf";
    static final String TOKENIZER = "tokenizer.json";
    static final String MANIFEST = "MANIFEST.json";
    /** Only in translation checkpoints with separate vocabularies; verified when the manifest lists it. */
    static final String SOURCE_TOKENIZER = "source-tokenizer.json";
    /** Every file the manifest must vouch for, in the order they are written. */
    static final List<String> CONTENT = List.of(MODEL, STATE, CONFIG, TOKENIZER);

    private static final long MAX_MANIFEST_BYTES = 1 << 20;
    private static final int BUFFER = 1 << 16;

    private CheckpointFiles() {
    }

    /** Writes the content files into {@code dir} (which must exist), then the manifest; returns the bytes written. */
    static long write(FileSystem fs, Path dir, Checkpoint c) throws IOException {
        Map<String, Manifest.Entry> files = new LinkedHashMap<>();
        files.put(MODEL, writeFile(fs, new Path(dir, MODEL), out -> ModelSerializer.writeModel(c.model(), out, true)));
        CheckpointWriteHold.afterModel(c.name(), dir);   // test-only; off unless its system property is set
        files.put(STATE, writeText(fs, new Path(dir, STATE), c.state().toJson()));
        files.put(CONFIG, writeText(fs, new Path(dir, CONFIG), c.configText()));
        files.put(TOKENIZER, writeText(fs, new Path(dir, TOKENIZER), c.tokenizerJson()));
        if (c.sourceTokenizerJson() != null) {
            files.put(SOURCE_TOKENIZER, writeText(fs, new Path(dir, SOURCE_TOKENIZER), c.sourceTokenizerJson()));
        }
        Manifest.Entry manifest = writeText(fs, new Path(dir, MANIFEST), new Manifest(files).toJson());
        return manifest.bytes() + files.values().stream().mapToLong(Manifest.Entry::bytes).sum();
    }

    /** Loads the checkpoint in {@code dir} after checking every file against the manifest. */
    static Checkpoint read(FileSystem fs, Path dir) {
        String name = requireCheckpointName(dir);
        java.nio.file.Path modelCopy = null;
        try {
            Manifest manifest = readManifest(fs, dir);
            String stateJson = readText(fs, dir, STATE, manifest);
            String configText = readText(fs, dir, CONFIG, manifest);
            String tokenizerJson = readText(fs, dir, TOKENIZER, manifest);
            String sourceTokenizerJson = manifest.files().containsKey(SOURCE_TOKENIZER)
                    ? readText(fs, dir, SOURCE_TOKENIZER, manifest) : null;
            // A local copy made while hashing: the zip is read by entry, and the file is read once.
            modelCopy = Files.createTempFile("sparkformer-" + name + "-", ".zip");
            try (OutputStream out = Files.newOutputStream(modelCopy)) {
                readVerified(fs, dir, MODEL, manifest, out);
            }
            TrainingState state = parseState(dir, name, stateJson);
            ComputationGraph model;
            try {
                model = ModelZipReader.read(modelCopy, MODEL + " of checkpoint " + dir);
            } catch (CheckpointException e) {
                throw e;
            } catch (java.util.zip.ZipException | RuntimeException e) {
                // Bytes that match the manifest but do not restore: a checkpoint we cannot use (exit 2).
                throw new CheckpointException("cannot restore the model of checkpoint " + dir + ": " + firstLine(e), e);
            }
            return new Checkpoint(name, state, configText, tokenizerJson, model, sourceTokenizerJson);
        } catch (IOException e) {
            throw unreadable(dir, e);
        } finally {
            if (modelCopy != null) {
                modelCopy.toFile().delete();
            }
        }
    }

    /** Checks every file of the checkpoint in {@code dir} against its manifest without loading the model. */
    static void verify(FileSystem fs, Path dir) {
        String name = requireCheckpointName(dir);
        try {
            Manifest manifest = readManifest(fs, dir);
            for (String file : CONTENT) {
                if (file.equals(STATE)) {
                    parseState(dir, name, readText(fs, dir, STATE, manifest));
                } else {
                    readVerified(fs, dir, file, manifest, OutputStream.nullOutputStream());
                }
            }
            if (manifest.files().containsKey(SOURCE_TOKENIZER)) {
                readVerified(fs, dir, SOURCE_TOKENIZER, manifest, OutputStream.nullOutputStream());
            }
        } catch (IOException e) {
            throw unreadable(dir, e);
        }
    }

    /**
     * An I/O failure while reading a checkpoint. A checksum mismatch reported by the file system is
     * damage, like a wrong SHA-256 (readers fall back to an older checkpoint); anything else
     * (permission, an unreachable datanode, an expired token) says nothing about the checkpoint
     * and may pass: a {@link io.sparkformer.data.StorageException}, so that a resume stops instead
     * of silently going back to an older checkpoint.
     */
    static RuntimeException unreadable(Path dir, IOException e) {
        if (e instanceof org.apache.hadoop.fs.ChecksumException) {
            return corrupt(dir, firstLine(e));
        }
        return new io.sparkformer.data.StorageException("cannot read checkpoint " + dir + ": " + firstLine(e), e);
    }

    static CheckpointException corrupt(Path dir, String detail) {
        return new CheckpointException("checkpoint " + dir + " is corrupt: " + detail);
    }

    private static String requireCheckpointName(Path dir) {
        String name = dir.getName();
        if (Checkpoint.stepOf(name).isEmpty()) {
            throw new CheckpointException(dir + " is not a checkpoint directory (its name is not step-NNNNNN)");
        }
        return name;
    }

    private static Manifest readManifest(FileSystem fs, Path dir) throws IOException {
        if (!fs.exists(dir)) {
            throw new CheckpointException("checkpoint " + dir + " does not exist");
        }
        Path path = new Path(dir, MANIFEST);
        FileStatus status;
        try {
            status = fs.getFileStatus(path);
        } catch (FileNotFoundException e) {
            throw new CheckpointException("checkpoint " + dir + " is incomplete: " + MANIFEST + " is missing");
        }
        if (status.getLen() > MAX_MANIFEST_BYTES) {
            throw corrupt(dir, MANIFEST + " has " + status.getLen() + " bytes, more than a manifest can have");
        }
        byte[] bytes;
        try (InputStream in = fs.open(path)) {
            bytes = in.readAllBytes();
        }
        try {
            return Manifest.fromJson(new String(bytes, StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            throw corrupt(dir, MANIFEST + " cannot be read: " + e.getMessage());
        }
    }

    private static TrainingState parseState(Path dir, String name, String json) {
        TrainingState state;
        try {
            state = TrainingState.fromJson(json);
        } catch (IllegalArgumentException e) {
            throw corrupt(dir, STATE + ": " + e.getMessage());
        }
        if (!Checkpoint.nameFor(state.step()).equals(name)) {
            throw corrupt(dir, STATE + " records step " + state.step() + " but the directory is named " + name);
        }
        return state;
    }

    private static String readText(FileSystem fs, Path dir, String file, Manifest manifest) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        readVerified(fs, dir, file, manifest, bytes);
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** Streams {@code file} into {@code sink}, then checks its length and SHA-256 against the manifest. */
    private static void readVerified(FileSystem fs, Path dir, String file, Manifest manifest, OutputStream sink)
            throws IOException {
        Manifest.Entry expected = manifest.files().get(file);
        if (expected == null) {
            throw corrupt(dir, MANIFEST + " has no entry for " + file);
        }
        Path path = new Path(dir, file);
        FileStatus status;
        try {
            status = fs.getFileStatus(path);
        } catch (FileNotFoundException e) {
            throw corrupt(dir, file + " is missing");
        }
        if (status.getLen() != expected.bytes()) {
            throw corrupt(dir, wrongLength(file, status.getLen(), expected));
        }
        MessageDigest sha = sha256();
        long length = 0;
        try (InputStream in = fs.open(path)) {
            byte[] buffer = new byte[BUFFER];
            for (int n; (n = in.read(buffer)) >= 0; ) {
                sha.update(buffer, 0, n);
                sink.write(buffer, 0, n);
                length += n;
            }
        }
        if (length != expected.bytes()) {
            throw corrupt(dir, wrongLength(file, length, expected));
        }
        String actual = HexFormat.of().formatHex(sha.digest());
        if (!actual.equals(expected.sha256())) {
            throw corrupt(dir, file + " has SHA-256 " + actual + " but " + MANIFEST + " records " + expected.sha256());
        }
    }

    private static String wrongLength(String file, long actual, Manifest.Entry expected) {
        return file + " has " + actual + " bytes but " + MANIFEST + " records " + expected.bytes();
    }

    private static Manifest.Entry writeText(FileSystem fs, Path path, String text) throws IOException {
        return writeFile(fs, path, out -> out.write(text.getBytes(StandardCharsets.UTF_8)));
    }

    private static Manifest.Entry writeFile(FileSystem fs, Path path, Body body) throws IOException {
        try (FSDataOutputStream file = fs.create(path, false)) {
            HashingOutputStream out = new HashingOutputStream(new BufferedOutputStream(file, BUFFER));
            body.writeTo(out);
            out.flush();
            // Durable before the directory is renamed into place (where the file system can sync at all).
            if (file.hasCapability(StreamCapabilities.HSYNC)) {
                file.hsync();
            }
            return new Manifest.Entry(out.bytes, HexFormat.of().formatHex(out.sha.digest()));
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform must provide SHA-256", e);
        }
    }

    @FunctionalInterface
    private interface Body {
        void writeTo(OutputStream out) throws IOException;
    }

    /** Counts and hashes what passes through; {@code close()} only flushes, the caller closes the file. */
    private static final class HashingOutputStream extends FilterOutputStream {
        private final MessageDigest sha = sha256();
        private long bytes;

        HashingOutputStream(OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            sha.update((byte) b);
            bytes++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            sha.update(b, off, len);
            bytes += len;
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }
}
