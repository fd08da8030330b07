package io.sparkformer.data;

import io.sparkformer.InputException;

import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ParallelCorpusTest {

    @Test
    void misalignedLineCountsAreRejectedNamingBothFilesAndCounts(@TempDir Path dir) throws IOException {
        Path de = dir.resolve("train.de");
        Path en = dir.resolve("train.en");
        Files.writeString(de, "ein Hund .\nzwei Katzen .\ndrei Vögel .\n");
        Files.writeString(en, "a dog .\ntwo cats .\n");
        InputException e = assertThrows(InputException.class,
                () -> ParallelCorpus.read(de.toString(), en.toString(), new Configuration()));
        assertEquals("misaligned parallel corpus: source " + de + " has 3 lines but target " + en + " has 2"
                + " (line i of one must translate line i of the other)", e.getMessage());
    }

    @Test
    void alignedFilesGivePairsLineByLine(@TempDir Path dir) throws IOException {
        Path de = dir.resolve("a.de");
        Path en = dir.resolve("a.en");
        Files.writeString(de, "ein Hund .\r\n  zwei Katzen . \n");
        Files.writeString(en, "a dog .\r\ntwo cats .");   // no final newline
        ParallelCorpus c = ParallelCorpus.read(de.toString(), en.toString(), new Configuration());
        assertEquals(List.of("ein Hund .", "zwei Katzen ."), c.sources());
        assertEquals(List.of("a dog .", "two cats ."), c.targets());
    }

    @Test
    void aTrailingNewlineDoesNotAddAnEmptyPairButAnEmptyLineIsOne() {
        assertEquals(List.of("a", "b"), ParallelCorpus.lines("a\nb\n"));
        assertEquals(List.of("a", "", "b"), ParallelCorpus.lines("a\n\nb"));
        assertEquals(List.of(), ParallelCorpus.lines(""));
    }

    @Test
    void tsvRowsNeedExactlyOneTab() {
        ParallelCorpus c = ParallelCorpus.ofTsv("pairs.tsv", "ein Hund\ta dog\nzwei Katzen\ttwo cats\n");
        assertEquals(List.of("ein Hund", "zwei Katzen"), c.sources());
        assertEquals(List.of("a dog", "two cats"), c.targets());
        InputException e = assertThrows(InputException.class,
                () -> ParallelCorpus.ofTsv("pairs.tsv", "ein Hund\ta dog\nzwei Katzen two cats\n"));
        assertEquals("line 2 of pairs.tsv has 1 tab-separated fields, expected 2 (source<TAB>target)", e.getMessage());
    }

    @Test
    void emptyCorpusIsRejected() {
        InputException e = assertThrows(InputException.class, () -> ParallelCorpus.of("a.de", "", "a.en", ""));
        assertEquals("parallel corpus a.de / a.en is empty", e.getMessage());
    }
}
