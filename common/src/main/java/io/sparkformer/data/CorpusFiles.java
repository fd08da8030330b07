package io.sparkformer.data;

import io.sparkformer.InputException;
import io.sparkformer.UserPaths;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import com.github.luben.zstd.ZstdInputStream;
import org.apache.hadoop.io.compress.CompressionCodec;
import org.apache.hadoop.io.compress.CompressionCodecFactory;

import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Finds and decodes corpus files on any Hadoop file system: a file, a directory (its files,
 * recursively, hidden and underscore files skipped as Hadoop does) or a glob. Files are taken in
 * path order so the token stream, and with it the validation split, is deterministic.
 */
public final class CorpusFiles {
    private CorpusFiles() {
    }

    public static List<String> list(String uri, Configuration conf) {
        try {
            Path pattern = UserPaths.of(uri, "corpus");
            FileSystem fs = pattern.getFileSystem(conf);
            FileStatus[] matches = fs.globStatus(pattern);
            if (matches == null || matches.length == 0) {
                throw new InputException(hasGlob(uri) ? "corpus glob " + uri + " matches no file"
                        : "corpus " + uri + " does not exist");
            }
            List<String> files = new ArrayList<>();
            for (FileStatus s : matches) {
                collect(fs, s, files);
            }
            if (files.isEmpty()) {
                throw new InputException("corpus " + uri + " contains no files");
            }
            files.sort(Comparator.naturalOrder());
            return files;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list corpus " + uri + ": " + e.getMessage(), e);
        }
    }

    private static void collect(FileSystem fs, FileStatus s, List<String> out) throws IOException {
        String name = s.getPath().getName();
        if (name.startsWith(".") || name.startsWith("_")) {
            return;
        }
        if (s.isDirectory()) {
            FileStatus[] children = fs.listStatus(s.getPath());
            Arrays.sort(children);
            for (FileStatus c : children) {
                collect(fs, c, out);
            }
        } else {
            out.add(s.getPath().toString());
        }
    }

    private static boolean hasGlob(String uri) {
        return uri.contains("*") || uri.contains("?") || uri.contains("[") || uri.contains("{");
    }

    /**
     * Strict UTF-8 decoding: a file that is binary or in another encoding is an input error naming
     * the file and the byte offset, never silently turned into replacement characters.
     */
    public static String decode(String file, byte[] bytes) {
        return decode(file, bytes, 0);
    }

    /** As {@link #decode(String, byte[])} for bytes that start at {@code offset} of the file. */
    public static String decode(String file, byte[] bytes, long offset) {
        rejectNul(file, bytes, offset);
        CharsetDecoder decoder = strictUtf8();
        ByteBuffer in = ByteBuffer.wrap(bytes);
        try {
            String text = decoder.decode(in).toString();
            // A leading byte-order mark is an encoding artefact, not text to model.
            return text.startsWith("\uFEFF") ? text.substring(1) : text;
        } catch (CharacterCodingException e) {
            throw new InputException("corpus file " + file + " is not valid UTF-8 (near byte offset "
                    + (offset + firstBadOffset(bytes)) + ")");
        }
    }

    private static int firstBadOffset(byte[] bytes) {
        int bad = firstMalformed(bytes, true);
        return bad < 0 ? bytes.length : bad;
    }

    /** The offset of the first malformed UTF-8 sequence, or -1; without end of input a cut-off last character is fine. */
    private static int firstMalformed(byte[] bytes, boolean endOfInput) {
        ByteBuffer in = ByteBuffer.wrap(bytes);
        java.nio.charset.CoderResult r = strictUtf8().decode(in, java.nio.CharBuffer.allocate(bytes.length + 1), endOfInput);
        return r.isError() ? in.position() : -1;
    }

    private static void rejectNul(String file, byte[] bytes) {
        rejectNul(file, bytes, 0);
    }

    private static void rejectNul(String file, byte[] bytes, long offset) {
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == 0) {
                throw new InputException("corpus file " + file + " looks binary (NUL byte at offset " + (offset + i)
                        + ")");
            }
        }
    }

    private static CharsetDecoder strictUtf8() {
        return StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
    }

    /** How much of each corpus file the driver looks at before any task starts. */
    static final int PREFIX_BYTES = 64 << 10;

    /**
     * The cheap driver-side look at the start of a corpus file, after decompression: a binary file
     * or one in another encoding is named here, as one line, before an executor decodes it and Spark
     * logs the task's failure with its stack trace. Later bytes are still checked in full by
     * {@link #decode}.
     *
     * @return the file's length in bytes after decompression and without a byte-order mark when it was
     *     read whole (it is shorter than the look), else -1
     */
    public static long checkStart(String file, Configuration conf) {
        byte[] prefix;
        try (InputStream in = open(file, conf)) {
            prefix = readPrefix(file, in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read corpus file " + file + ": " + e.getMessage(), e);
        }
        rejectNul(file, prefix);
        int bad = firstMalformed(prefix, false);
        if (bad >= 0) {
            throw new InputException("corpus file " + file + " is not valid UTF-8 (near byte offset " + bad + ")");
        }
        if (prefix.length == PREFIX_BYTES) {
            return -1;
        }
        boolean bom = prefix.length >= 3 && (prefix[0] & 0xff) == 0xEF && (prefix[1] & 0xff) == 0xBB
                && (prefix[2] & 0xff) == 0xBF;
        return bom ? prefix.length - 3 : prefix.length;
    }

    /**
     * {@link #checkStart} for each of {@code files} (the corpus {@code uri}), and a corpus with no text
     * at all refused: all before any task starts, and before {@code --overwrite} deletes a run.
     *
     * @return the corpus's length in bytes (an upper bound of its token count) when every file was read
     *     whole, else -1
     */
    public static long checkStarts(String uri, List<String> files, Configuration conf) {
        long total = 0;
        for (String file : files) {
            long bytes = checkStart(file, conf);
            total = bytes < 0 || total < 0 ? -1 : total + bytes;
        }
        if (total == 0) {
            throw new InputException("corpus " + uri + " is empty");
        }
        return total;
    }

    /** A stream that fails to decompress is bad input (a truncated or mislabelled file), not a storage fault. */
    private static byte[] readPrefix(String file, InputStream in) {
        try {
            return in.readNBytes(PREFIX_BYTES);
        } catch (IOException e) {
            throw new InputException("corpus file " + file + " cannot be decompressed as its extension says: "
                    + String.valueOf(e.getMessage()).split("\n")[0], e);
        }
    }

    /** Reads one whole file, decompressed (the driver-side readers: labeled tables, parallel corpora). */
    public static byte[] read(String file, Configuration conf) {
        try (InputStream in = open(file, conf)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read corpus file " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * The file's bytes, decompressed by extension with Hadoop's codecs ({@code .gz}, {@code .bz2},
     * {@code .deflate}, ...); {@code .zst} through zstd-jni, because Hadoop's ZStandardCodec needs the
     * native libhadoop that clusters and this project's launcher often lack.
     */
    public static InputStream open(String file, Configuration conf) throws IOException {
        Path p = new Path(file);
        InputStream raw = p.getFileSystem(conf).open(p);
        if (isZstd(p)) {
            return new BufferedInputStream(new ZstdInputStream(raw));
        }
        CompressionCodec codec = new CompressionCodecFactory(conf).getCodec(p);
        return codec == null ? raw : new ZeroLengthReads(codec.createInputStream(raw));
    }

    /**
     * Hadoop's bzip2 stream answers a zero-length read with -1 (end of stream) instead of 0, and
     * {@link InputStream#readAllBytes} makes such a read whenever its buffer fills: without this a
     * {@code .bz2} corpus would end after its first 8 KB.
     */
    private static final class ZeroLengthReads extends FilterInputStream {
        ZeroLengthReads(InputStream in) {
            super(in);
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            return len == 0 ? 0 : super.read(b, off, len);
        }
    }

    /** Whether the file is read through a codec (and so cannot be split by byte ranges). */
    public static boolean isCompressed(String file, Configuration conf) {
        Path p = new Path(file);
        return isZstd(p) || new CompressionCodecFactory(conf).getCodec(p) != null;
    }

    private static boolean isZstd(Path p) {
        String name = p.getName();
        return name.endsWith(".zst") || name.endsWith(".zstd");
    }
}
