package io.sparkformer.export;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;

/**
 * Writes {@link Safetensors} byte for byte as the reference implementation's {@code serialize} does
 * for F32 tensors: compact JSON with {@code __metadata__} first, then the tensors sorted by name,
 * each as {@code {"dtype":"F32","shape":[..],"data_offsets":[begin,end]}}, laid out back to back in
 * that order; the header padded with spaces to a multiple of 8 bytes. Metadata entries are written
 * in key order (the reference writes its hash map's order, which no reader depends on).
 */
public final class SafetensorsWriter {
    private static final JsonFactory JSON = new JsonFactory();
    private static final int FLOATS_PER_CHUNK = 1 << 14;

    private SafetensorsWriter() {
    }

    /** Writes the whole file to {@code out} (which stays open); streams the data in chunks. */
    public static void write(Safetensors file, OutputStream out) throws IOException {
        byte[] header = header(file);
        ByteBuffer length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length);
        out.write(length.array());
        out.write(header);
        ByteBuffer chunk = ByteBuffer.allocate(4 * FLOATS_PER_CHUNK).order(ByteOrder.LITTLE_ENDIAN);
        for (FloatTensor t : file.tensors().values()) {
            float[] data = t.data();
            for (int from = 0; from < data.length; from += FLOATS_PER_CHUNK) {
                int n = Math.min(FLOATS_PER_CHUNK, data.length - from);
                chunk.clear();
                chunk.asFloatBuffer().put(data, from, n);
                out.write(chunk.array(), 0, 4 * n);
            }
        }
    }

    /** The whole file in memory: for tests and small files. */
    public static byte[] toBytes(Safetensors file) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            write(file, out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** The padded JSON header (without the 8-byte length in front). */
    static byte[] header(Safetensors file) {
        ByteArrayOutputStream json = new ByteArrayOutputStream();
        try (JsonGenerator g = JSON.createGenerator(json)) {
            g.writeStartObject();
            if (!file.metadata().isEmpty()) {
                g.writeObjectFieldStart(Safetensors.METADATA_KEY);
                for (Map.Entry<String, String> e : file.metadata().entrySet()) {
                    g.writeStringField(e.getKey(), e.getValue());
                }
                g.writeEndObject();
            }
            long offset = 0;
            for (Map.Entry<String, FloatTensor> e : file.tensors().entrySet()) {
                long bytes = 4L * e.getValue().data().length;
                g.writeObjectFieldStart(e.getKey());
                g.writeStringField("dtype", SafetensorsReader.Dtype.F32.name());
                g.writeArrayFieldStart("shape");
                for (long d : e.getValue().shape()) {
                    g.writeNumber(d);
                }
                g.writeEndArray();
                g.writeArrayFieldStart("data_offsets");
                g.writeNumber(offset);
                g.writeNumber(offset + bytes);
                g.writeEndArray();
                g.writeEndObject();
                offset += bytes;
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot render a safetensors header", e);
        }
        int padding = (8 - json.size() % 8) % 8;
        for (int i = 0; i < padding; i++) {
            json.write(' ');
        }
        return json.toByteArray();
    }
}
