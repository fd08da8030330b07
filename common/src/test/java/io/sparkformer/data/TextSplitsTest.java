package io.sparkformer.data;

import io.sparkformer.InputException;

import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Pieces of a corpus file: line-aligned, together exactly the file, whatever the split size. */
class TextSplitsTest {
    @TempDir
    Path dir;

    /** Lines of random length (some longer than a split, some empty), multi-byte characters, CRLF and LF. */
    private static byte[] text(long seed) {
        Random random = new Random(seed);
        StringBuilder s = new StringBuilder();
        String alphabet = "abc déf 夢想 xyz";
        for (int line = 0; line < 400; line++) {
            int length = random.nextInt(10) == 0 ? 300 : random.nextInt(40);
            for (int i = 0; i < length; i++) {
                s.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            s.append(random.nextBoolean() ? "\n" : "\r\n");
        }
        s.append("no final newline");
        return s.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static Configuration splitAt(long bytes) {
        Configuration conf = new Configuration();
        conf.setLong(TextSplits.MAX_SPLIT_KEY, bytes);
        return conf;
    }

    private static byte[] concat(List<TextSplits.Chunk> chunks) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (TextSplits.Chunk c : chunks) {
            all.writeBytes(c.bytes());
        }
        return all.toByteArray();
    }

    @Test
    void piecesOfAPlainFileAreLineAlignedAndTogetherTheFile() throws IOException {
        byte[] bytes = text(3);
        Path file = dir.resolve("corpus.txt");
        Files.write(file, bytes);
        for (long size : new long[] {1, 7, 100, 1000, 4096, bytes.length, 1L << 30}) {
            Configuration conf = splitAt(size);
            List<TextSplits.Split> splits = TextSplits.of(List.of(file.toString()), conf);
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            long expectedOffset = 0;
            for (TextSplits.Split s : splits) {
                List<TextSplits.Chunk> chunks = TextSplits.read(s, conf);
                assertEquals(1, chunks.size());
                TextSplits.Chunk c = chunks.get(0);
                if (c.bytes().length > 0) {
                    assertEquals(expectedOffset, c.offset(), "a piece starts where the previous one ended");
                    assertTrue(expectedOffset == 0 || bytes[(int) expectedOffset - 1] == '\n', "starts at a line");
                }
                expectedOffset += c.bytes().length;
                c.decode(file.toString());   // every piece is whole UTF-8 on its own
                all.writeBytes(c.bytes());
            }
            assertArrayEquals(bytes, all.toByteArray(), "split size " + size);
            if (size <= 1000) {
                assertTrue(splits.size() >= bytes.length / size / 2, splits.size() + " pieces at split size " + size);
            }
        }
    }

    @Test
    void aCompressedFileIsOneTaskCutIntoLineAlignedChunks() throws IOException {
        byte[] bytes = text(5);
        Path file = dir.resolve("corpus.txt.gz");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
            out.write(bytes);
        }
        Configuration conf = splitAt(1000);
        List<TextSplits.Split> splits = TextSplits.of(List.of(file.toString()), conf);
        assertEquals(1, splits.size(), "gzip cannot be sought into");
        List<TextSplits.Chunk> chunks = TextSplits.read(splits.get(0), conf);
        assertTrue(chunks.size() > 5, chunks.size() + " chunks");
        for (TextSplits.Chunk c : chunks.subList(0, chunks.size() - 1)) {
            assertEquals('\n', c.bytes()[c.bytes().length - 1], "chunks end at a line end");
        }
        assertArrayEquals(bytes, concat(chunks));
        assertEquals(file.toString(), chunks.get(0).name());
        assertEquals(file + "@" + chunks.get(1).offset(), chunks.get(1).name());
    }

    @Test
    void anErrorInALaterPieceNamesTheOffsetInTheFile() throws IOException {
        byte[] bytes = "first line\nsecond line\nthird \u0000 line\n".getBytes(StandardCharsets.UTF_8);
        Path file = dir.resolve("corpus.txt");
        Files.write(file, bytes);
        Configuration conf = splitAt(12);
        List<TextSplits.Split> splits = TextSplits.of(List.of(file.toString()), conf);
        InputException e = org.junit.jupiter.api.Assertions.assertThrows(InputException.class, () -> {
            for (TextSplits.Split s : splits) {
                TextSplits.read(s, conf).forEach(c -> c.decode(file.toString()));
            }
        });
        assertEquals("corpus file " + file + " looks binary (NUL byte at offset 29)", e.getMessage());
    }
}
