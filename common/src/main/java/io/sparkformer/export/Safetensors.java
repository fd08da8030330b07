package io.sparkformer.export;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The content of a safetensors file (https://github.com/huggingface/safetensors, "Format"):
 * <pre>
 *   8 bytes    N, unsigned 64-bit little-endian: the header length
 *   N bytes    UTF-8 JSON {"__metadata__": {string: string},
 *                          name: {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, ...}
 *              padded with spaces to a multiple of 8
 *   the rest   raw little-endian tensor data; offsets are relative to its start and cover it exactly
 * </pre>
 * Tensors are held as floats whatever their stored dtype ({@link SafetensorsReader} widens F16 and
 * BF16 and narrows F64); {@link SafetensorsWriter} writes F32.
 *
 * @param tensors  by name, in the order the reference implementation writes equal-dtype tensors
 *                 (UTF-8 byte order of the names)
 * @param metadata the {@code __metadata__} strings (empty when the file has none)
 */
public record Safetensors(SortedMap<String, FloatTensor> tensors, Map<String, String> metadata) {
    /** The key of the free-form string map in the header. */
    public static final String METADATA_KEY = "__metadata__";

    /** Names compared as the reference implementation (Rust strings) does: by their UTF-8 bytes. */
    public static final Comparator<String> NAME_ORDER = (a, b) -> Arrays.compareUnsigned(
            a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));

    public Safetensors {
        if (tensors.containsKey(METADATA_KEY)) {
            throw new IllegalArgumentException(METADATA_KEY + " is reserved and cannot name a tensor");
        }
        TreeMap<String, FloatTensor> sorted = new TreeMap<>(NAME_ORDER);
        sorted.putAll(tensors);
        tensors = Collections.unmodifiableSortedMap(sorted);
        metadata = Collections.unmodifiableMap(new TreeMap<>(metadata));
    }

    /** Tensors in any map; they are kept sorted by name. */
    public static Safetensors of(Map<String, FloatTensor> tensors, Map<String, String> metadata) {
        TreeMap<String, FloatTensor> sorted = new TreeMap<>(NAME_ORDER);
        sorted.putAll(tensors);
        return new Safetensors(sorted, metadata);
    }

    /** The named tensor. */
    public FloatTensor tensor(String name) {
        FloatTensor t = tensors.get(name);
        if (t == null) {
            throw new IllegalArgumentException("no tensor '" + name + "'");
        }
        return t;
    }
}
