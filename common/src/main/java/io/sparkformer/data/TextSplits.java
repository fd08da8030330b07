package io.sparkformer.data;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.Path;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Corpus files cut into pieces a Spark task each can read, so that no file has to fit one Java
 * array (~2 GB) or one task. Pieces end at line ends: a newline byte never occurs inside a UTF-8
 * character, so every piece decodes on its own, and a piece's text is exactly the file's bytes in
 * its range. A plain file is cut by byte ranges as Hadoop's line reader does (a piece owns the lines
 * that start inside its range); a compressed file cannot be sought into, so one task decompresses
 * it and cuts the stream into chunks of about the same size.
 */
public final class TextSplits {
    /**
     * The Hadoop key for the largest input split, which Spark users already set for text input; its
     * default here is 128 MB (Hadoop's own default, an HDFS block).
     */
    public static final String MAX_SPLIT_KEY = "mapreduce.input.fileinputformat.split.maxsize";
    static final long DEFAULT_SPLIT_BYTES = 128L << 20;

    private TextSplits() {
    }

    /** Bytes {@code [start, start + length)} of {@code file}; {@code length < 0}: the whole (compressed) file. */
    public record Split(String file, long start, long length) implements Serializable {
        boolean whole() {
            return length < 0;
        }
    }

    /** One decoded-to-be piece of text: its name in the data manifest, its bytes and where they start. */
    public record Chunk(String name, byte[] bytes, long offset) {
        public String decode(String file) {
            return CorpusFiles.decode(file, bytes, offset);
        }
    }

    public static long splitBytes(Configuration conf) {
        long bytes = conf.getLong(MAX_SPLIT_KEY, DEFAULT_SPLIT_BYTES);
        if (bytes <= 0 || bytes == Long.MAX_VALUE) {
            return DEFAULT_SPLIT_BYTES;
        }
        return bytes;
    }

    /** The pieces of the files, in file order then offset order (the order of the token stream). */
    public static List<Split> of(List<String> files, Configuration conf) {
        long max = splitBytes(conf);
        List<Split> out = new ArrayList<>();
        for (String file : files) {
            if (CorpusFiles.isCompressed(file, conf)) {
                out.add(new Split(file, 0, -1));
                continue;
            }
            long size = length(file, conf);
            // A short tail is read with the piece before it, as Hadoop's SPLIT_SLOP does.
            long start = 0;
            while (size - start > max * 1.1) {
                out.add(new Split(file, start, max));
                start += max;
            }
            out.add(new Split(file, start, size - start));
        }
        return out;
    }

    /** Reads one piece: one chunk for a plain range, chunks of about the split size for a compressed file. */
    public static List<Chunk> read(Split split, Configuration conf) {
        try {
            if (split.whole()) {
                try (InputStream in = CorpusFiles.open(split.file(), conf)) {
                    return chunks(split.file(), new BufferedInputStream(in, 1 << 16), splitBytes(conf));
                }
            }
            Path p = new Path(split.file());
            try (FSDataInputStream raw = p.getFileSystem(conf).open(p)) {
                return List.of(range(split, raw));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read corpus file " + split.file() + ": " + e.getMessage(), e);
        }
    }

    /** The lines that start in {@code [start, start + length)}, each with its newline. */
    private static Chunk range(Split split, FSDataInputStream raw) throws IOException {
        long end = split.start() + split.length();
        long pos = split.start();
        if (pos > 0) {
            // The line starting before our range belongs to the piece before: skip to the next line start.
            raw.seek(pos - 1);
        }
        InputStream in = new BufferedInputStream(raw, 1 << 16);
        if (pos > 0) {
            pos--;
            int b;
            while ((b = in.read()) >= 0) {
                pos++;
                if (b == '\n') {
                    break;
                }
            }
        }
        long first = pos;
        ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.min(Integer.MAX_VALUE - 8,
                Math.max(0, split.length() + 1024)));
        int b = 0;
        while (pos < end && b >= 0) {
            // One whole line: a line that starts in range is read to its end, wherever that is.
            while ((b = in.read()) >= 0) {
                out.write(b);
                pos++;
                if (b == '\n') {
                    break;
                }
            }
        }
        String name = split.start() == 0 ? split.file() : split.file() + "@" + split.start();
        return new Chunk(name, out.toByteArray(), first);
    }

    /** A decompressed stream cut after the first newline past every {@code max} bytes. */
    static List<Chunk> chunks(String file, InputStream in, long max) throws IOException {
        List<Chunk> out = new ArrayList<>();
        ByteArrayOutputStream chunk = new ByteArrayOutputStream();
        long offset = 0;
        int b;
        while ((b = in.read()) >= 0) {
            chunk.write(b);
            if (b == '\n' && chunk.size() >= max) {
                out.add(new Chunk(out.isEmpty() ? file : file + "@" + offset, chunk.toByteArray(), offset));
                offset += chunk.size();
                chunk.reset();
            }
        }
        if (chunk.size() > 0 || out.isEmpty()) {
            out.add(new Chunk(out.isEmpty() ? file : file + "@" + offset, chunk.toByteArray(), offset));
        }
        return out;
    }

    private static long length(String file, Configuration conf) {
        Path p = new Path(file);
        try {
            return p.getFileSystem(conf).getFileStatus(p).getLen();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot stat corpus file " + file + ": " + e.getMessage(), e);
        }
    }
}
