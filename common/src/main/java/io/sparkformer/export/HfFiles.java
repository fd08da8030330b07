package io.sparkformer.export;

import io.sparkformer.InputException;
import io.sparkformer.UserPaths;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkformer.tokenize.Tokenizer;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;

import java.io.BufferedInputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/** The files of a Hugging Face model directory, and reading and writing them on any Hadoop file system. */
public final class HfFiles {
    public static final String MODEL = "model.safetensors";
    public static final String CONFIG = "config.json";
    public static final String TOKENIZER = "tokenizer.json";
    public static final String README = "README.md";

    private static final ObjectMapper JSON = new ObjectMapper();

    private HfFiles() {
    }

    /** A model directory opened for reading: its file system and qualified path. */
    public record Directory(FileSystem fs, Path path) {
        public Path file(String name) {
            return new Path(path, name);
        }

        public String readText(String name) throws IOException {
            return HfFiles.readText(fs, file(name));
        }

        /** config.json as a JSON object. */
        public JsonNode config() throws IOException {
            return parseJson(readText(CONFIG), file(CONFIG).toString());
        }

        /** model.safetensors, read whole. */
        public Safetensors model() throws IOException {
            Path modelFile = file(MODEL);
            try (InputStream in = new BufferedInputStream(fs.open(modelFile), 1 << 16)) {
                return SafetensorsReader.read(in, fs.getFileStatus(modelFile).getLen(), modelFile.toString());
            } catch (FileNotFoundException e) {
                throw new InputException(path + " has no " + MODEL);
            }
        }
    }

    /** A model directory; @throws InputException when {@code uri} does not exist */
    public static Directory directory(String uri, Configuration conf) throws IOException {
        return existing(uri, conf, "model directory ");
    }

    /**
     * {@code uri} qualified on its file system, file or directory.
     *
     * @param what says what it should be in the message ("" for nothing)
     * @throws InputException when it does not exist
     */
    public static Directory existing(String uri, Configuration conf, String what) throws IOException {
        Path path = UserPaths.of(uri, what.isEmpty() ? "model" : what.strip());
        FileSystem fs = fileSystem(path, conf);
        path = fs.makeQualified(path);
        if (!fs.exists(path)) {
            throw new InputException(what + path + " does not exist");
        }
        return new Directory(fs, path);
    }

    /** @throws InputException naming {@code file} when {@code text} is not a JSON object */
    public static JsonNode parseJson(String text, String file) {
        try {
            JsonNode node = JSON.readTree(text);
            if (node == null || !node.isObject()) {
                throw new InputException(file + " is not a JSON object");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new InputException(file + " is not valid JSON: " + e.getOriginalMessage().split("\n")[0]);
        }
    }

    /** A tokenizer.json's tokenizer; @throws InputException naming {@code file} when it cannot be read */
    public static Tokenizer tokenizer(String json, Object file) {
        try {
            return Tokenizer.fromJson(json);
        } catch (IllegalArgumentException e) {
            throw new InputException(file + ": " + e.getMessage(), e);
        }
    }

    /**
     * The file system of {@code path}; on local disks the raw one, so that no {@code .crc} side
     * files end up in a directory meant to be uploaded or loaded as is.
     */
    public static FileSystem fileSystem(Path path, Configuration conf) throws IOException {
        FileSystem fs = path.getFileSystem(conf);
        return fs instanceof LocalFileSystem local ? local.getRawFileSystem() : fs;
    }

    public static String readText(FileSystem fs, Path file) throws IOException {
        try (InputStream in = fs.open(file)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (FileNotFoundException e) {
            throw new InputException(file.getParent() + " has no " + file.getName());
        }
    }

    public static void writeText(FileSystem fs, Path file, String text) throws IOException {
        try (OutputStream out = fs.create(file, true)) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        }
    }
}
