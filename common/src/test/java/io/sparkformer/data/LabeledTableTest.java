package io.sparkformer.data;

import io.sparkformer.InputException;
import io.sparkformer.config.ConfigLoader;
import io.sparkformer.config.FinetuneConfig;
import io.sparkformer.testing.LogCapture;
import io.sparkformer.tokenize.BertTokens;
import io.sparkformer.tokenize.BpeTrainer;
import io.sparkformer.tokenize.Tokenizer;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Reading labeled tables, and the one-line errors that name the offending row. */
class LabeledTableTest {
    private static final FinetuneConfig TSV = ConfigLoader.defaults(List.of()).finetune();
    private static final FinetuneConfig CSV = ConfigLoader.defaults(List.of("finetune.format=csv",
            "finetune.textColumn=review", "finetune.labelColumn=stars")).finetune();

    @Test
    void tsvWithHeaderGivesTextLabelAndLine() {
        String sst2 = "sentence\tlabel\nit 's a charming journey . \t1\n\nunflinchingly bleak \t0\n";
        List<LabeledTable.Row> rows = LabeledTable.parse(sst2, "dev.tsv", TSV);
        assertEquals(List.of(new LabeledTable.Row(2, "it 's a charming journey .", "1"),
                new LabeledTable.Row(4, "unflinchingly bleak", "0")), rows);
    }

    @Test
    void csvHonoursQuotesCommasAndEmbeddedNewlines() {
        String csv = "id,stars,review\r\n1,5,\"great, \"\"really\"\"\nsecond line\"\r\n2,1,bad\r\n";
        List<LabeledTable.Row> rows = LabeledTable.parse(csv, "reviews.csv", CSV);
        assertEquals(List.of(new LabeledTable.Row(2, "great, \"really\"\nsecond line", "5"),
                new LabeledTable.Row(4, "bad", "1")), rows);
    }

    @Test
    void missingColumnIsNamedWithTheColumnsThereAre() {
        InputException e = assertThrows(InputException.class,
                () -> LabeledTable.parse("text\tlabel\nfine\t1\n", "train.tsv", TSV));
        assertEquals("train.tsv: no column 'sentence' in the header (columns: text, label)", e.getMessage());
    }

    @Test
    void emptyTextNamesTheRow() {
        InputException e = assertThrows(InputException.class,
                () -> LabeledTable.parse("sentence\tlabel\ngood\t1\n  \t0\n", "train.tsv", TSV));
        assertEquals("train.tsv line 3: empty text in column 'sentence'", e.getMessage());
    }

    @Test
    void rowOfTheWrongWidthNamesTheRow() {
        InputException e = assertThrows(InputException.class,
                () -> LabeledTable.parse("sentence\tlabel\ngood\t1\nbad\t0\textra\n", "train.tsv", TSV));
        assertEquals("train.tsv line 3: 3 field(s), but the header has 2", e.getMessage());
    }

    @Test
    void labelsAreSortedNumericallyAndAnUnseenLabelNamesTheRow() {
        List<LabeledTable.Row> train = LabeledTable.parse("sentence\tlabel\na\t10\nb\t2\nc\t2\n", "train.tsv", TSV);
        ClassLabels labels = ClassLabels.of(train, "train.tsv");
        assertEquals(List.of("2", "10"), labels.values());
        List<LabeledTable.Row> dev = LabeledTable.parse("sentence\tlabel\nd\t2\ne\t3\n", "dev.tsv", TSV);
        InputException e = assertThrows(InputException.class, () -> labels.indexOf(dev.get(1), "dev.tsv"));
        assertEquals("dev.tsv line 3: label '3' was not seen in training (labels: 2, 10)", e.getMessage());
    }

    @Test
    void longTextsAreTruncatedToTheContextAndCounted() {
        Tokenizer tokenizer = BpeTrainer.train(Map.of("ab", 3L), 256 + 4, BertTokens.SPECIALS);
        BertTokens specials = BertTokens.of(tokenizer);
        List<LabeledTable.Row> rows = LabeledTable.parse("sentence\tlabel\nabcdefgh\t0\nab\t1\nabcdefg\t1\n", "t.tsv", TSV);
        LabeledExamples examples;
        try (LogCapture log = new LogCapture(LabeledExamples.class)) {
            examples = LabeledExamples.encode(rows, "t.tsv", tokenizer, specials, ClassLabels.of(rows, "t.tsv"), 8, 0);
            assertEquals(List.of("t.tsv: 2 of 3 texts are longer than 6 tokens (model.contextLength 8 less [CLS] and"
                    + " [SEP]) and were truncated"), log.warnings(), "one warning that counts them");
        }
        assertEquals(2, examples.truncated(), "8 and 7 bytes exceed the 6 text tokens of a context of 8");
        assertEquals(8, examples.tokens()[0].length);
        assertEquals(specials.cls(), examples.tokens()[0][0]);
        assertEquals(specials.sep(), examples.tokens()[0][7]);
        assertArrayEquals(new int[] {0, 1, 1}, examples.labels());
        assertEquals(2 + tokenizer.encode("ab").length, examples.tokens()[1].length);
    }
}
