package io.sparkformer.job.train;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * A reader of TensorBoard event files for tests, written from the format's description and not from
 * {@link TensorBoardLog}: TFRecord framing with both CRCs checked, then a generic protobuf decoding
 * of Event {wall_time = 1, step = 2, file_version = 3, summary = 5}, Summary {value = 1} and
 * Summary.Value {tag = 1, simple_value = 2}.
 */
public final class TensorBoardEvents {
    /** One decoded Event: {@code fileVersion} or {@code scalars} (tag to value). */
    public record Event(double wallTime, long step, String fileVersion, Map<String, Float> scalars) {
    }

    private TensorBoardEvents() {
    }

    public static List<Event> read(Path file) throws IOException {
        return read(Files.readAllBytes(file), file.toString());
    }

    /** The events of a file read from {@code in} (e.g. on HDFS); {@code name} is for messages. */
    public static List<Event> read(InputStream in, String name) throws IOException {
        return read(in.readAllBytes(), name);
    }

    private static List<Event> read(byte[] bytes, String file) {
        ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        List<Event> events = new ArrayList<>();
        while (in.hasRemaining()) {
            byte[] lengthBytes = new byte[8];
            in.get(lengthBytes);
            long length = ByteBuffer.wrap(lengthBytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
            check(lengthBytes, in.getInt(), file + ": length CRC of record " + events.size());
            byte[] data = new byte[Math.toIntExact(length)];
            in.get(data);
            check(data, in.getInt(), file + ": data CRC of record " + events.size());
            events.add(event(data));
        }
        return events;
    }

    /** "step tag" to value over the scalars of {@code files} (each one file's events); a (step, tag) found twice fails. */
    public static Map<String, Float> scalarsByStep(List<List<Event>> files) {
        Map<String, Float> scalars = new LinkedHashMap<>();
        for (List<Event> events : files) {
            for (Event e : events) {
                e.scalars().forEach((tag, v) -> {
                    if (scalars.put(e.step() + " " + tag, v) != null) {
                        throw new AssertionError("step " + e.step() + " " + tag + " is in the event files twice");
                    }
                });
            }
        }
        return scalars;
    }

    /** What the scalars of metrics.jsonl {@code lines} are in TensorBoard, as {@link #scalarsByStep}. */
    public static Map<String, Float> expectedScalars(List<JsonNode> lines) {
        Map<String, Float> expected = new LinkedHashMap<>();
        for (JsonNode line : lines) {
            long step = line.get("step").asLong();
            expected.put(step + " train/loss", (float) line.get("train_loss").asDouble());
            expected.put(step + " learning_rate", (float) line.get("lr").asDouble());
            expected.put(step + " tokens_per_s", (float) line.get("tokens_per_s").asDouble());
            if (line.has("val_loss")) {
                expected.put(step + " validation/loss", (float) line.get("val_loss").asDouble());
            }
        }
        return expected;
    }

    private static void check(byte[] bytes, int stored, String what) {
        CRC32C crc = new CRC32C();
        crc.update(bytes);
        long c = crc.getValue();
        long masked = (((c >> 15) | (c << 17)) + 0xa282ead8L) & 0xffffffffL;
        if (masked != (stored & 0xffffffffL)) {
            throw new AssertionError(what + " does not match");
        }
    }

    private static Event event(byte[] data) {
        Map<Integer, List<Object>> f = fields(data);
        double wall = f.containsKey(1) ? Double.longBitsToDouble((Long) f.get(1).get(0)) : 0;
        long step = f.containsKey(2) ? (Long) f.get(2).get(0) : 0;
        String version = f.containsKey(3) ? new String((byte[]) f.get(3).get(0), StandardCharsets.UTF_8) : null;
        Map<String, Float> scalars = new LinkedHashMap<>();
        if (f.containsKey(5)) {
            for (Object value : fields((byte[]) f.get(5).get(0)).getOrDefault(1, List.of())) {
                Map<Integer, List<Object>> v = fields((byte[]) value);
                scalars.put(new String((byte[]) v.get(1).get(0), StandardCharsets.UTF_8),
                        Float.intBitsToFloat((Integer) v.get(2).get(0)));
            }
        }
        return new Event(wall, step, version, scalars);
    }

    /** Field number to its values: Long (varint, 64-bit), Integer (32-bit) or byte[] (length-delimited). */
    private static Map<Integer, List<Object>> fields(byte[] data) {
        ByteBuffer in = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        Map<Integer, List<Object>> fields = new LinkedHashMap<>();
        while (in.hasRemaining()) {
            long key = varint(in);
            int number = (int) (key >>> 3);
            Object value = switch ((int) (key & 7)) {
                case 0 -> varint(in);
                case 1 -> in.getLong();
                case 2 -> {
                    byte[] b = new byte[(int) varint(in)];
                    in.get(b);
                    yield b;
                }
                case 5 -> in.getInt();
                default -> throw new AssertionError("wire type " + (key & 7));
            };
            fields.computeIfAbsent(number, k -> new ArrayList<>()).add(value);
        }
        return fields;
    }

    private static long varint(ByteBuffer in) {
        long v = 0;
        for (int shift = 0; ; shift += 7) {
            byte b = in.get();
            v |= (long) (b & 0x7f) << shift;
            if (b >= 0) {
                return v;
            }
        }
    }
}
