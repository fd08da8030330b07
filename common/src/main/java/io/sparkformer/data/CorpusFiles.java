package io.sparkformer.data;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
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
            Path pattern = new Path(uri);
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
        rejectNul(file, bytes);
        CharsetDecoder decoder = strictUtf8();
        ByteBuffer in = ByteBuffer.wrap(bytes);
        try {
            String text = decoder.decode(in).toString();
            // A leading byte-order mark is an encoding artefact, not text to model.
            return text.startsWith("\uFEFF") ? text.substring(1) : text;
        } catch (CharacterCodingException e) {
            throw new InputException("corpus file " + file + " is not valid UTF-8 (near byte offset "
                    + firstBadOffset(bytes) + ")");
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
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == 0) {
                throw new InputException("corpus file " + file + " looks binary (NUL byte at offset " + i + ")");
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
     * The cheap driver-side look at the start of a corpus file: a binary file or one in another
     * encoding is named here, as one line, before an executor decodes it and Spark logs the task's
     * failure with its stack trace. Later bytes are still checked in full by {@link #decode}.
     */
    public static void checkStart(String file, Configuration conf) {
        Path p = new Path(file);
        byte[] prefix;
        try (var in = p.getFileSystem(conf).open(p)) {
            prefix = in.readNBytes(PREFIX_BYTES);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read corpus file " + file + ": " + e.getMessage(), e);
        }
        rejectNul(file, prefix);
        int bad = firstMalformed(prefix, false);
        if (bad >= 0) {
            throw new InputException("corpus file " + file + " is not valid UTF-8 (near byte offset " + bad + ")");
        }
    }

    /** Reads one whole file (corpus files are read whole: one Spark task each). */
    public static byte[] read(String file, Configuration conf) {
        Path p = new Path(file);
        try (var in = p.getFileSystem(conf).open(p)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read corpus file " + file + ": " + e.getMessage(), e);
        }
    }
}
