package io.sparkformer.checkpoint;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code MANIFEST.json}: the byte length and SHA-256 of every other file of a checkpoint directory.
 * It is written last, so its presence marks a fully written directory, and its checksums let a
 * reader refuse a truncated or corrupted one.
 */
record Manifest(Map<String, Entry> files) {
    static final int FORMAT = 1;
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    record Entry(long bytes, String sha256) {
    }

    Manifest {
        files = Collections.unmodifiableMap(new LinkedHashMap<>(files));
    }

    String toJson() {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", FORMAT);
        ObjectNode entries = root.putObject("files");
        files.forEach((name, e) -> entries.putObject(name).put("bytes", e.bytes()).put("sha256", e.sha256()));
        try {
            return JSON.writeValueAsString(root) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot render a tree of strings and numbers as JSON", e);
        }
    }

    /** @throws IllegalArgumentException with a one-line message saying what is wrong */
    static Manifest fromJson(String json) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("expected a JSON object");
        }
        JsonNode format = root.get("format");
        if (format == null || !format.isInt() || format.intValue() != FORMAT) {
            throw new IllegalArgumentException("unsupported format " + format + " (this version reads " + FORMAT + ")");
        }
        JsonNode entries = root.get("files");
        if (entries == null || !entries.isObject()) {
            throw new IllegalArgumentException("missing object 'files'");
        }
        Map<String, Entry> files = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = entries.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode bytes = e.getValue().get("bytes");
            JsonNode sha = e.getValue().get("sha256");
            if (bytes == null || !bytes.canConvertToLong() || !bytes.isIntegralNumber() || bytes.longValue() < 0
                    || sha == null || !sha.isTextual() || !sha.textValue().matches("[0-9a-f]{64}")) {
                throw new IllegalArgumentException("entry '" + e.getKey() + "' needs \"bytes\" (>= 0) and \"sha256\""
                        + " (64 hex digits), got " + e.getValue());
            }
            files.put(e.getKey(), new Entry(bytes.longValue(), sha.textValue()));
        }
        return new Manifest(files);
    }
}
