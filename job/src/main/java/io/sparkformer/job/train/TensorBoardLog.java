package io.sparkformer.job.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkformer.data.StorageException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.StreamCapabilities;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * TensorBoard event file of one run attempt, {@code events.out.tfevents.<seconds>.<host>} in the run
 * directory (TensorBoard reads every such file of a directory as one timeline, so a resumed run
 * adds a file instead of editing the last one). Each metrics line becomes scalar events: train_x as
 * {@code train/x}, val_x as {@code validation/x}, lr as {@code learning_rate}, the other numbers
 * under their own names.
 * <p>
 * Format: TFRecord framing (little-endian uint64 length, masked CRC-32C of the length, the data,
 * masked CRC-32C of the data) around {@code Event} protobufs (tensorflow/core/util/event.proto:
 * wall_time = 1 double, step = 2 int64, file_version = 3 string, summary = 5) holding a
 * {@code Summary} (value = 1) of {@code Summary.Value}s (tag = 1 string, simple_value = 2 float),
 * hand-encoded. Where the stream can be flushed to readers (HDFS, local) the file is appended to and
 * flushed at evaluations and at most every 10 s; elsewhere (object stores) it is rewritten whole.
 * A failed write never stops training ({@link AuxiliaryWrites}): the file is written again, whole,
 * at the next flush. On resume, {@link #dropStepsAfter} takes the steps past the checkpoint out of
 * the earlier attempts' files, as {@link MetricsLog#resumeAt} does for metrics.jsonl.
 */
public final class TensorBoardLog implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TensorBoardLog.class);
    private static final String PREFIX = "events.out.tfevents.";
    private static final long FLUSH_INTERVAL_NANOS = 10_000_000_000L;
    private final Path file;
    private final Configuration conf;
    /** Every record of this attempt, for a rewrite after a failure or on a file system without flush. */
    private final ByteArrayOutputStream all = new ByteArrayOutputStream();
    private int flushedBytes;
    private FSDataOutputStream out;
    private boolean rewrite;
    private long lastFlush = System.nanoTime();

    TensorBoardLog(Path file, Configuration conf) {
        this.file = file;
        this.conf = conf;
        record(event(wallTime(), 0, fileVersion()));
    }

    /** A new event file for this run attempt in {@code runDir}. */
    public static TensorBoardLog open(Path runDir, Configuration conf) {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            host = "localhost";
        }
        long seconds = System.currentTimeMillis() / 1000;
        Path file = new Path(runDir, PREFIX + seconds + "." + host);
        try {
            FileSystem fs = runDir.getFileSystem(conf);
            while (fs.exists(file)) {   // two attempts within a second: the file of the first stays
                file = new Path(runDir, PREFIX + ++seconds + "." + host);
            }
        } catch (IOException e) {
            // the first write reports the file system's trouble
        }
        return new TensorBoardLog(file, conf);
    }

    /**
     * Rewrites the event files of earlier attempts in {@code runDir} without their events after
     * {@code step}, the step a run resumes from: those steps are trained again, and TensorBoard would
     * otherwise read the lost attempt's values beside the new ones. A record torn by a killed writer
     * goes too. A failure is a WARN: training goes on.
     */
    public static void dropStepsAfter(Path runDir, long step, Configuration conf) {
        FileStatus[] files;
        FileSystem fs;
        try {
            fs = runDir.getFileSystem(conf);
            if (!fs.exists(runDir)) {
                return;
            }
            files = fs.listStatus(runDir, p -> p.getName().startsWith(PREFIX));
        } catch (IOException e) {
            LOG.warn("cannot list the TensorBoard event files of {} ({}): steps after {} of an earlier attempt may"
                    + " show beside the resumed ones", runDir, StorageException.firstLine(e), step);
            return;
        }
        for (FileStatus f : files) {
            try {
                byte[] data;
                try (var in = fs.open(f.getPath())) {
                    data = in.readAllBytes();
                }
                byte[] kept = recordsUpTo(data, step);
                if (kept.length < data.length) {
                    AuxiliaryWrites.replace(f.getPath(), conf, kept);
                    LOG.info("Dropped the events after step {} from {} (an earlier attempt's, trained again now)",
                            step, f.getPath());
                }
            } catch (IOException | RuntimeException e) {
                LOG.warn("cannot drop the events after step {} from {} ({}): TensorBoard may show them beside the"
                        + " resumed run's", step, f.getPath(), StorageException.firstLine(e));
            }
        }
    }

    /** The intact records of event file {@code data} whose step is at most {@code step}, up to the first torn one. */
    static byte[] recordsUpTo(byte[] data, long step) {
        ByteBuffer in = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        ByteArrayOutputStream kept = new ByteArrayOutputStream();
        while (in.remaining() >= 16) {
            int start = in.position();
            long length = in.getLong();
            if (in.getInt() != maskedCrc(data, start, 8) || length < 0 || length > in.remaining() - 4) {
                break;
            }
            int body = in.position();
            in.position(body + (int) length);
            if (in.getInt() != maskedCrc(data, body, (int) length)) {
                break;
            }
            if (eventStep(data, body, (int) length) <= step) {
                kept.write(data, start, in.position() - start);
            }
        }
        return kept.toByteArray();
    }

    /** Event.step (field 2, varint) of an encoded Event; 0 when absent, as protobuf reads it. */
    private static long eventStep(byte[] data, int offset, int length) {
        ByteBuffer in = ByteBuffer.wrap(data, offset, length).order(ByteOrder.LITTLE_ENDIAN);
        while (in.hasRemaining()) {
            long key = readVarint(in);
            switch ((int) (key & 7)) {
                case 0 -> {
                    long value = readVarint(in);
                    if (key >>> 3 == 2) {
                        return value;
                    }
                }
                case 1 -> in.position(in.position() + 8);
                case 2 -> {
                    long n = readVarint(in);
                    in.position(in.position() + (int) n);
                }
                case 5 -> in.position(in.position() + 4);
                default -> throw new IllegalArgumentException("protobuf wire type " + (key & 7) + " in an Event");
            }
        }
        return 0;
    }

    private static long readVarint(ByteBuffer in) {
        long v = 0;
        for (int shift = 0; ; shift += 7) {
            byte b = in.get();
            v |= (long) (b & 0x7F) << shift;
            if (b >= 0) {
                return v;
            }
        }
    }

    public Path file() {
        return file;
    }

    /** The scalars of a metrics line, written at evaluation lines and at most every 10 s otherwise. */
    public void append(ObjectNode line) {
        long step = line.path("step").asLong();
        ByteArrayOutputStream values = new ByteArrayOutputStream();
        for (Iterator<Map.Entry<String, JsonNode>> it = line.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String tag = tag(e.getKey());
            if (tag != null && e.getValue().isNumber()) {
                bytes(values, 1, value(tag, (float) e.getValue().asDouble()));
            }
        }
        record(event(wallTime(), step, summary(values.toByteArray())));
        if (line.has("val_loss") || System.nanoTime() - lastFlush >= FLUSH_INTERVAL_NANOS) {
            flush();
        }
    }

    /** The TensorBoard tag of a metrics field, null for the fields that are not plotted. */
    static String tag(String field) {
        return switch (field) {
            case "step", "tokens", "elapsed_s" -> null;
            case "lr" -> "learning_rate";
            default -> field.startsWith("train_") ? "train/" + field.substring(6)
                    : field.startsWith("val_") ? "validation/" + field.substring(4) : field;
        };
    }

    /** Makes the records so far readable; a failure is reported once and the next flush writes the file whole. */
    public void flush() {
        lastFlush = System.nanoTime();
        if (flushedBytes == all.size()) {
            return;
        }
        int size = all.size();
        boolean ok = AuxiliaryWrites.attempt(file, () -> {
            if (out == null || rewrite) {
                writeWhole();
            } else {
                out.write(all.toByteArray(), flushedBytes, size - flushedBytes);
                out.hflush();
            }
        });
        if (ok) {
            flushedBytes = size;
        } else {
            closeQuietly();
        }
    }

    private void writeWhole() throws IOException {
        closeQuietly();
        FileSystem fs = file.getFileSystem(conf);
        FSDataOutputStream o = fs.create(file, true);
        o.write(all.toByteArray());
        if (o.hasCapability(StreamCapabilities.HFLUSH)) {
            o.hflush();
            out = o;
        } else {
            o.close();   // an object store shows the file once closed: written whole each time
            rewrite = true;
        }
    }

    private void closeQuietly() {
        if (out != null) {
            try {
                out.close();
            } catch (IOException | RuntimeException ignored) {
                // the stream is being given up; the next write starts over
            }
            out = null;
        }
    }

    @Override
    public void close() {
        flush();
        if (out != null) {
            FSDataOutputStream o = out;
            out = null;
            AuxiliaryWrites.attempt(file, o::close);
        }
    }

    private static double wallTime() {
        return System.currentTimeMillis() / 1000.0;
    }

    // --- TFRecord framing -------------------------------------------------------------------

    private void record(byte[] data) {
        ByteBuffer header = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        header.putLong(data.length);
        header.putInt(maskedCrc(header.array(), 0, 8));
        ByteBuffer footer = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        footer.putInt(maskedCrc(data, 0, data.length));
        all.writeBytes(header.array());
        all.writeBytes(data);
        all.writeBytes(footer.array());
    }

    /** TFRecord's masked CRC-32C: rotate right by 15 and add a constant. */
    static int maskedCrc(byte[] data, int offset, int length) {
        CRC32C crc = new CRC32C();
        crc.update(data, offset, length);
        int c = (int) crc.getValue();
        return ((c >>> 15) | (c << 17)) + 0xa282ead8;
    }

    // --- protobuf, the few fields of Event and Summary ----------------------------------------

    private static byte[] fileVersion() {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        bytes(b, 3, "brain.Event:2".getBytes(StandardCharsets.UTF_8));
        return b.toByteArray();
    }

    private static byte[] summary(byte[] values) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        bytes(b, 5, values);   // Event.summary: the Summary's repeated values are already encoded
        return b.toByteArray();
    }

    /** An Event: wall_time, step, then {@code rest} (file_version or summary, encoded). */
    private static byte[] event(double wallTime, long step, byte[] rest) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(1 << 3 | 1);   // wall_time, 64-bit
        b.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putDouble(wallTime).array());
        b.write(2 << 3);   // step, varint
        varint(b, step);
        b.writeBytes(rest);
        return b.toByteArray();
    }

    private static byte[] value(String tag, float simpleValue) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        bytes(b, 1, tag.getBytes(StandardCharsets.UTF_8));
        b.write(2 << 3 | 5);   // simple_value, 32-bit
        b.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(simpleValue).array());
        return b.toByteArray();
    }

    private static void bytes(ByteArrayOutputStream b, int field, byte[] data) {
        b.write(field << 3 | 2);   // length-delimited
        varint(b, data.length);
        b.writeBytes(data);
    }

    private static void varint(ByteArrayOutputStream b, long v) {
        while ((v & ~0x7FL) != 0) {
            b.write((int) (v & 0x7F) | 0x80);
            v >>>= 7;
        }
        b.write((int) v);
    }
}
