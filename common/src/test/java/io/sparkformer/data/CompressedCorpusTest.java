package io.sparkformer.data;

import io.sparkformer.InputException;

import com.github.luben.zstd.ZstdOutputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.io.compress.BZip2Codec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Compressed corpora are read decompressed, by extension, and checked after decompression. */
class CompressedCorpusTest {
    private static final String TEXT = "Wir sind die Träumer, 夢 and dreamers.\r\nA second line\n".repeat(300);

    @TempDir
    Path dir;

    private Path gzip(String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name);
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(p))) {
            out.write(bytes);
        }
        return p;
    }

    @Test
    void gzipBzip2AndZstdFilesReadAsTheirPlainText() throws IOException {
        Configuration conf = new Configuration();
        byte[] plain = TEXT.getBytes(StandardCharsets.UTF_8);
        Path gz = gzip("corpus.txt.gz", plain);
        Path bz2 = dir.resolve("corpus.txt.bz2");
        BZip2Codec bzip2 = new BZip2Codec();
        bzip2.setConf(conf);
        try (OutputStream out = bzip2.createOutputStream(Files.newOutputStream(bz2))) {
            out.write(plain);
        }
        Path zst = dir.resolve("corpus.txt.zst");
        try (OutputStream out = new ZstdOutputStream(Files.newOutputStream(zst))) {
            out.write(plain);
        }
        for (Path p : new Path[] {gz, bz2, zst}) {
            assertTrue(CorpusFiles.isCompressed(p.toString(), conf), p + " is compressed");
            assertFalse(Files.readAllBytes(p).length == plain.length, "the file on disk is not the text");
            CorpusFiles.checkStart(p.toString(), conf);
            assertArrayEquals(plain, CorpusFiles.read(p.toString(), conf), p.toString());
        }
        assertFalse(CorpusFiles.isCompressed(dir.resolve("corpus.txt").toString(), conf));
    }

    @Test
    void theStartCheckLooksAtTheDecompressedBytes() throws IOException {
        Path latin1 = gzip("latin1.txt.gz", "caf\u00e9 au lait".getBytes(StandardCharsets.ISO_8859_1));
        InputException e = assertThrows(InputException.class,
                () -> CorpusFiles.checkStart(latin1.toString(), new Configuration()));
        assertEquals("corpus file " + latin1 + " is not valid UTF-8 (near byte offset 3)", e.getMessage());
        Path binary = gzip("model.bin.gz", new byte[] {7, 7, 0, 7});
        e = assertThrows(InputException.class, () -> CorpusFiles.checkStart(binary.toString(), new Configuration()));
        assertEquals("corpus file " + binary + " looks binary (NUL byte at offset 2)", e.getMessage());
    }

    @Test
    void aFileNamedGzThatIsNotGzipIsAnInputErrorNamingIt() throws IOException {
        Path fake = dir.resolve("notes.txt.gz");
        Files.writeString(fake, "plain text under a gzip name\n");
        InputException e = assertThrows(InputException.class,
                () -> CorpusFiles.checkStart(fake.toString(), new Configuration()));
        assertTrue(e.getMessage().startsWith("corpus file " + fake + " cannot be decompressed as its extension says: "),
                e.getMessage());
    }
}
