package io.sparkformer.export;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads a safetensors file (layout in {@link Safetensors}) and checks it as strictly as the
 * reference implementation: the header length must fit in the file, the header must be UTF-8 JSON
 * with well-formed entries, every tensor's byte range must match its shape and dtype, and the ranges
 * must tile the data region exactly (no overlap, no gap, nothing past the end, nothing left over).
 * Each violation is a {@link SafetensorsException} with a one-line message naming the file, the
 * tensor and the numbers involved. F32, F16, BF16 and F64 tensors are read as floats.
 */
public final class SafetensorsReader {
    /** The reference implementation refuses larger headers, as a guard against hostile files. */
    public static final long MAX_HEADER_BYTES = 100_000_000L;

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();
    private static final int CHUNK_BYTES = 1 << 16;
    /** Dtypes of the format that this reader does not convert (integers, booleans, 8-bit floats). */
    private static final Set<String> OTHER_DTYPES = Set.of("BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "F8_E8M0",
            "I16", "U16", "I32", "U32", "I64", "U64", "C64", "F4", "F6_E2M3", "F6_E3M2");

    /** The floating-point dtypes read here, with their element sizes in bytes. */
    public enum Dtype {
        F16(2), BF16(2), F32(4), F64(8);

        private final int size;

        Dtype(int size) {
            this.size = size;
        }

        public int size() {
            return size;
        }
    }

    private SafetensorsReader() {
    }

    /** Reads a file held in memory; {@code source} names it in error messages. */
    public static Safetensors read(byte[] file, String source) {
        try {
            return read(new ByteArrayInputStream(file), file.length, source);
        } catch (IOException e) {
            throw new IllegalStateException("reading an array cannot fail", e);
        }
    }

    /**
     * Reads a whole file from {@code in}, which must hold exactly {@code length} bytes (the file's
     * length as the file system reports it; the format is only valid relative to it).
     *
     * @throws SafetensorsException if the bytes are not a valid safetensors file of float tensors
     * @throws IOException          if reading fails
     */
    public static Safetensors read(InputStream in, long length, String source) throws IOException {
        if (length < 8) {
            throw bad(source, "truncated: the file has " + length + " bytes, fewer than the 8-byte header length");
        }
        long n = ByteBuffer.wrap(readFully(in, 8, source, 0, length)).order(ByteOrder.LITTLE_ENDIAN).getLong();
        if (n < 0 || n > MAX_HEADER_BYTES) {
            throw bad(source, "header length " + Long.toUnsignedString(n) + " is larger than the "
                    + MAX_HEADER_BYTES + " bytes the format allows");
        }
        if (n > length - 8) {
            throw bad(source, "header length " + n + " goes beyond the end of the file (" + length
                    + " bytes, so at most " + (length - 8) + " bytes of header): the file is truncated or not"
                    + " safetensors");
        }
        String header = utf8(readFully(in, (int) n, source, 8, length), source);
        long dataBytes = length - 8 - n;
        Header parsed = parseHeader(header, source);
        List<Entry> layout = validate(parsed.entries, dataBytes, source);

        Map<String, FloatTensor> tensors = new HashMap<>();
        long position = 8 + n;
        for (Entry e : layout) {
            tensors.put(e.name, readTensor(in, e, source, position, length));
            position += e.end - e.begin;
        }
        return Safetensors.of(tensors, parsed.metadata);
    }

    private record Entry(String name, Dtype dtype, long[] shape, long begin, long end) {
        String offsets() {
            return "[" + begin + ", " + end + "]";
        }
    }

    private record Header(List<Entry> entries, Map<String, String> metadata) {
    }

    private static Header parseHeader(String header, String source) {
        if (!header.startsWith("{")) {
            throw bad(source, "the header does not start with '{', so it is not a JSON object: the file is not"
                    + " safetensors");
        }
        JsonNode root;
        try {
            root = JSON.readTree(header);
        } catch (JsonProcessingException e) {
            throw bad(source, "the header is not valid JSON (" + e.getOriginalMessage().split("\n")[0]
                    + " at column " + e.getLocation().getColumnNr() + ")");
        }
        if (root == null || !root.isObject()) {
            throw bad(source, "the header is not a JSON object");
        }
        List<Entry> entries = new ArrayList<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            if (field.getKey().equals(Safetensors.METADATA_KEY)) {
                metadata.putAll(metadata(field.getValue(), source));
            } else {
                entries.add(entry(field.getKey(), field.getValue(), source));
            }
        }
        return new Header(entries, metadata);
    }

    private static Map<String, String> metadata(JsonNode node, String source) {
        if (!node.isObject()) {
            throw bad(source, Safetensors.METADATA_KEY + " must be an object of strings, got " + brief(node));
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isTextual()) {
                throw bad(source, Safetensors.METADATA_KEY + " entry \"" + e.getKey() + "\" must be a string, got "
                        + brief(e.getValue()));
            }
            out.put(e.getKey(), e.getValue().textValue());
        }
        return out;
    }

    private static Entry entry(String name, JsonNode node, String source) {
        String what = "tensor \"" + name + "\"";
        if (!node.isObject()) {
            throw bad(source, what + " must be an object with dtype, shape and data_offsets, got " + brief(node));
        }
        JsonNode dtypeNode = node.get("dtype");
        if (dtypeNode == null || !dtypeNode.isTextual()) {
            throw bad(source, what + " has no dtype string");
        }
        String dtypeName = dtypeNode.textValue();
        Dtype dtype;
        try {
            dtype = Dtype.valueOf(dtypeName);
        } catch (IllegalArgumentException e) {
            throw bad(source, what + (OTHER_DTYPES.contains(dtypeName)
                    ? " has dtype " + dtypeName + ", which cannot be read as floats"
                    : " has unknown dtype \"" + dtypeName + "\"")
                    + " (readable: " + Arrays.toString(Dtype.values()) + ")");
        }
        long[] shape = naturals(node.get("shape"), -1, what + " shape", source);
        long[] offsets = naturals(node.get("data_offsets"), 2, what + " data_offsets", source);
        return new Entry(name, dtype, shape, offsets[0], offsets[1]);
    }

    /** A JSON array of non-negative integers, of {@code size} elements unless it is -1. */
    private static long[] naturals(JsonNode node, int size, String what, String source) {
        String expected = size < 0 ? "an array of non-negative integers" : "an array of " + size
                + " non-negative integers";
        if (node == null || !node.isArray() || (size >= 0 && node.size() != size)) {
            throw bad(source, what + " must be " + expected + ", got " + brief(node));
        }
        long[] out = new long[node.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode v = node.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < 0) {
                throw bad(source, what + " must be " + expected + ", got " + brief(node));
            }
            out[i] = v.longValue();
        }
        return out;
    }

    /** Checks sizes and that the byte ranges tile {@code [0, dataBytes)}; returns the entries in data order. */
    private static List<Entry> validate(List<Entry> entries, long dataBytes, String source) {
        for (Entry e : entries) {
            if (e.end < e.begin) {
                throw bad(source, "tensor \"" + e.name + "\" has data_offsets " + e.offsets() + " that end before"
                        + " they begin");
            }
            long bytes;
            try {
                bytes = Math.multiplyExact(FloatTensor.elements(e.shape), e.dtype.size());
            } catch (ArithmeticException ex) {
                throw bad(source, "tensor \"" + e.name + "\" has shape " + Arrays.toString(e.shape)
                        + " whose size overflows");
            }
            if (e.end - e.begin != bytes) {
                throw bad(source, "tensor \"" + e.name + "\" has shape " + Arrays.toString(e.shape) + " of "
                        + e.dtype + ", which needs " + bytes + " bytes, but its data_offsets " + e.offsets()
                        + " span " + (e.end - e.begin));
            }
            if (e.end > dataBytes) {
                throw bad(source, "tensor \"" + e.name + "\" has data_offsets " + e.offsets() + " beyond the end of"
                        + " the data (" + dataBytes + " bytes after the header): the file is truncated or the offsets"
                        + " are wrong");
            }
            if (bytes / e.dtype.size() > Integer.MAX_VALUE - 8) {
                throw bad(source, "tensor \"" + e.name + "\" has " + bytes / e.dtype.size()
                        + " elements, more than one Java array holds");
            }
        }
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long cursor = 0;
        Entry previous = null;
        for (Entry e : sorted) {
            if (e.begin < cursor) {
                throw bad(source, "tensor \"" + e.name + "\" has data_offsets " + e.offsets() + ", overlapping tensor"
                        + " \"" + previous.name + "\" at " + previous.offsets());
            }
            if (e.begin > cursor) {
                throw bad(source, "bytes [" + cursor + ", " + e.begin + ") of the data belong to no tensor (the next"
                        + " tensor, \"" + e.name + "\", starts at " + e.begin + ")");
            }
            cursor = e.end;
            previous = e;
        }
        if (cursor != dataBytes) {
            throw bad(source, "the tensors cover " + cursor + " bytes of data but the file holds " + dataBytes
                    + " after the header");
        }
        return sorted;
    }

    private static FloatTensor readTensor(InputStream in, Entry e, String source, long position, long length)
            throws IOException {
        int size = e.dtype.size();
        float[] values = new float[(int) ((e.end - e.begin) / size)];
        byte[] chunk = new byte[CHUNK_BYTES];
        int done = 0;
        while (done < values.length) {
            int count = Math.min(values.length - done, CHUNK_BYTES / size);
            readFully(in, chunk, count * size, source, position + (long) done * size, length);
            ByteBuffer bytes = ByteBuffer.wrap(chunk, 0, count * size).order(ByteOrder.LITTLE_ENDIAN);
            switch (e.dtype) {
                case F32 -> bytes.asFloatBuffer().get(values, done, count);
                case F64 -> {
                    for (int i = 0; i < count; i++) {
                        values[done + i] = (float) bytes.getDouble();
                    }
                }
                case BF16 -> {
                    for (int i = 0; i < count; i++) {
                        values[done + i] = Float.intBitsToFloat((bytes.getShort() & 0xffff) << 16);
                    }
                }
                case F16 -> {
                    for (int i = 0; i < count; i++) {
                        values[done + i] = halfToFloat(bytes.getShort());
                    }
                }
                default -> throw new IllegalStateException("unhandled dtype " + e.dtype);
            }
            done += count;
        }
        return new FloatTensor(e.shape, values);
    }

    /** IEEE 754 binary16 to binary32, exactly (every half is a float). */
    static float halfToFloat(short half) {
        int bits = half & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exponent = (bits >>> 10) & 0x1f;
        int mantissa = bits & 0x3ff;
        if (exponent == 0x1f) {                                   // infinity or NaN
            return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
        }
        if (exponent == 0) {                                      // zero or subnormal: mantissa * 2^-24
            float magnitude = mantissa * 0x1p-24f;
            return sign == 0 ? magnitude : -magnitude;
        }
        return Float.intBitsToFloat(sign | ((exponent + 127 - 15) << 23) | (mantissa << 13));
    }

    private static byte[] readFully(InputStream in, int count, String source, long position, long length)
            throws IOException {
        byte[] out = new byte[count];
        readFully(in, out, count, source, position, length);
        return out;
    }

    private static void readFully(InputStream in, byte[] into, int count, String source, long position, long length)
            throws IOException {
        int read = 0;
        while (read < count) {
            int r = in.read(into, read, count - read);
            if (r < 0) {
                throw bad(source, "truncated: the stream ended at byte " + (position + read) + " though the file"
                        + " should have " + length, new EOFException());
            }
            read += r;
        }
    }

    private static String utf8(byte[] bytes, String source) {
        try {
            CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes));
            return chars.toString();
        } catch (CharacterCodingException e) {
            throw bad(source, "the header is not valid UTF-8");
        }
    }

    private static String brief(JsonNode node) {
        String text = String.valueOf(node);
        return text.length() > 60 ? text.substring(0, 57) + "..." : text;
    }

    private static SafetensorsException bad(String source, String detail) {
        return new SafetensorsException(source + ": " + detail);
    }

    private static SafetensorsException bad(String source, String detail, Throwable cause) {
        return new SafetensorsException(source + ": " + detail, cause);
    }
}
