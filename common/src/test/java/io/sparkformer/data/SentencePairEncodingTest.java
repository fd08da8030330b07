package io.sparkformer.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import io.sparkformer.InputException;
import io.sparkformer.config.ConfigLoader;
import io.sparkformer.config.FinetuneConfig;
import io.sparkformer.testing.LogCapture;
import io.sparkformer.testing.MiniLm;
import io.sparkformer.tokenize.BertTokens;
import io.sparkformer.tokenize.Tokenizer;
import io.sparkformer.tokenize.WordPieceTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Sentence pairs of a labeled table encoded for a BERT classifier: [CLS] a [SEP] b [SEP] with segment
 * ids 0 then 1, equal to the tokenizer's own pair template when they fit, and to Hugging Face
 * {@code tokenizers}' {@code longest_first} truncation (DJL, on all-MiniLM-L6-v2's tokenizer.json)
 * when they do not.
 */
class SentencePairEncodingTest {
    private static final FinetuneConfig PAIRS = ConfigLoader.defaults(List.of("finetune.textColumn=premise",
            "finetune.pairColumn=hypothesis")).finetune();
    private static final ClassLabels LABELS = new ClassLabels(List.of("no", "yes"));
    private static WordPieceTokenizer tokenizer;
    private static BertTokens specials;

    @BeforeAll
    static void load() {
        tokenizer = (WordPieceTokenizer) Tokenizer.fromJson(MiniLm.tokenizerJson());
        specials = BertTokens.of(tokenizer);
    }

    private static LabeledExamples encode(List<LabeledTable.Row> rows, int contextLength) {
        return LabeledExamples.encode(rows, "pairs.tsv", tokenizer, specials, LABELS, contextLength, 2);
    }

    @Test
    void aPairColumnIsReadBesideTheText() {
        List<LabeledTable.Row> rows = LabeledTable.parse("label\tpremise\thypothesis\nyes\tA man sleeps.\tA person"
                + " rests.\n", "pairs.tsv", PAIRS);
        assertEquals(List.of(new LabeledTable.Row(2, "A man sleeps.", "yes", "A person rests.")), rows);
        InputException empty = assertThrows(InputException.class, () -> LabeledTable.parse(
                "label\tpremise\thypothesis\nyes\tA man sleeps.\t \n", "pairs.tsv", PAIRS));
        assertEquals("pairs.tsv line 2: empty text in column 'hypothesis'", empty.getMessage());
    }

    @Test
    void pairsThatFitEqualTheTokenizersPairTemplate() {
        List<LabeledTable.Row> rows = List.of(new LabeledTable.Row(2, "How old are you?", "yes", "I'm 6 years old."),
                new LabeledTable.Row(3, "Ça va?", "no", "東京は大きい"));
        LabeledExamples examples = encode(rows, 64);
        for (int i = 0; i < rows.size(); i++) {
            WordPieceTokenizer.Encoding theirs = tokenizer.encodePair(rows.get(i).text(), rows.get(i).pair());
            assertArrayEquals(theirs.ids(), examples.tokens()[i], rows.get(i).toString());
            assertArrayEquals(theirs.typeIds(), examples.types()[i], rows.get(i).toString());
        }
        assertEquals(0, examples.truncated());
        assertNull(encode(List.of(new LabeledTable.Row(2, "one text", "no")), 64).types(), "single texts: no types");
    }

    /** Longer first, the shorter one when it exceeds half the room, ties with an odd room: as HF. */
    @Test
    void longPairsAreCutLongestFirstAsHuggingFace() throws IOException {
        String longer = "the quick brown fox jumps over the lazy dog again and again until night falls";
        String shorter = "a lazy dog sleeps";
        String same = "the quick brown fox jumps over the lazy dog again and again until night comes";
        List<String[]> pairs = List.of(new String[] {longer, shorter}, new String[] {shorter, longer},
                new String[] {longer, same}, new String[] {same, longer});
        List<LabeledTable.Row> rows = new java.util.ArrayList<>();
        for (String[] p : pairs) {
            rows.add(new LabeledTable.Row(rows.size() + 2, p[0], "no", p[1]));
        }
        Path file = Files.createTempFile("minilm-tokenizer", ".json");
        try {
            Files.writeString(file, MiniLm.tokenizerJson());
            for (int context : new int[] {12, 13, 16, 17}) {
                LabeledExamples examples;
                try (LogCapture log = new LogCapture(LabeledExamples.class)) {
                    examples = encode(rows, context);
                    assertEquals(List.of("pairs.tsv: 4 of 4 pairs are longer than " + (context - 3) + " tokens"
                            + " (model.contextLength " + context + " less [CLS] and two [SEP]) and were truncated"),
                            log.warnings());
                }
                try (HuggingFaceTokenizer hf = HuggingFaceTokenizer.builder().optTokenizerPath(file)
                        .optAddSpecialTokens(true).optTruncation(true).optMaxLength(context).optPadding(false)
                        .build()) {
                    for (int i = 0; i < pairs.size(); i++) {
                        Encoding theirs = hf.encode(pairs.get(i)[0], pairs.get(i)[1]);
                        String what = "context " + context + ": " + Arrays.toString(pairs.get(i));
                        assertArrayEquals(ints(theirs.getIds()), examples.tokens()[i], what);
                        assertArrayEquals(ints(theirs.getTypeIds()), examples.types()[i], what);
                        assertEquals(context, examples.tokens()[i].length, what);
                    }
                }
            }
        } finally {
            Files.delete(file);
        }
    }

    /** The table of tokenizers' own truncation test (max_length 7 without specials: context 10). */
    @Test
    void framePairKeepsTheLengthsOfTokenizersTruncationTable() {
        int[][] cases = {{2, 8, 2, 5}, {4, 4, 3, 4}, {4, 8, 3, 4}, {8, 2, 5, 2}, {8, 4, 4, 3}, {8, 8, 3, 4},
            {2, 4, 2, 4}, {4, 2, 4, 2}};
        for (int[] c : cases) {
            BertTokens.Pair pair = specials.framePair(new int[c[0]], new int[c[1]], 10);
            int firstSep = 1 + c[2];
            assertEquals(specials.sep(), pair.ids()[firstSep], Arrays.toString(c));
            assertEquals(c[2] + c[3] + 3, pair.ids().length, Arrays.toString(c));
            assertEquals(c[3] + 1, Arrays.stream(pair.types()).sum(), "segment 1 = second text + [SEP]: "
                    + Arrays.toString(c));
        }
    }

    @Test
    void aModelWithoutTokenTypesRefusesPairs() {
        List<LabeledTable.Row> rows = List.of(new LabeledTable.Row(2, "A man sleeps.", "yes", "A person rests."),
                new LabeledTable.Row(3, "A cat runs.", "no", "A dog sits."));
        for (int types : new int[] {0, 1}) {
            InputException e = assertThrows(InputException.class, () -> LabeledExamples.encode(rows, "pairs.tsv",
                    tokenizer, specials, LABELS, 64, types));
            assertEquals("pairs.tsv: sentence pairs need a model with token types (model.typeVocabSize >= 2, as an"
                    + " imported BERT has); this one has model.typeVocabSize = " + types, e.getMessage());
        }
    }

    @Test
    void paddedPairBatchesPackIdsThenTypes() {
        LabeledExamples examples = new LabeledExamples(new int[][] {{101, 7, 102, 8, 102}, {101, 9, 102, 5, 6, 102}},
                new int[] {0, 1}, 0, new int[][] {{0, 0, 0, 1, 1}, {0, 0, 0, 1, 1, 1}});
        org.nd4j.linalg.dataset.DataSet batch = ExampleBatches.of(examples, new int[] {0, 1}, 0);
        assertArrayEquals(new float[] {101, 7, 102, 8, 102, 0, 0, 0, 0, 1, 1, 0},
                batch.getFeatures().getRow(0).toFloatVector());
        assertArrayEquals(new float[] {101, 9, 102, 5, 6, 102, 0, 0, 0, 1, 1, 1},
                batch.getFeatures().getRow(1).toFloatVector());
        assertArrayEquals(new float[] {1, 1, 1, 1, 1, 0}, batch.getFeaturesMaskArray().getRow(0).toFloatVector());
    }

    private static int[] ints(long[] values) {
        return Arrays.stream(values).mapToInt(Math::toIntExact).toArray();
    }
}
