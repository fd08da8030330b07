package io.sparkformer.data;

import io.sparkformer.InputException;
import io.sparkformer.tokenize.BertTokens;
import io.sparkformer.tokenize.Tokenizer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Serializable;
import java.util.List;

/**
 * Labeled texts encoded for a BERT classifier: each text as [CLS] ids [SEP], or each sentence pair
 * as [CLS] a [SEP] b [SEP] with its segment ids (at most the context length), with its class index.
 *
 * @param tokens    per example, its framed ids
 * @param labels    per example, its index in {@link ClassLabels}
 * @param truncated how many texts (or pairs) were longer than the context and cut
 * @param types     per example, the segment (token type) id of each position; null for single texts
 *                  (all segment 0)
 */
public record LabeledExamples(int[][] tokens, int[] labels, int truncated, int[][] types) implements Serializable {
    private static final Logger LOG = LoggerFactory.getLogger(LabeledExamples.class);

    public LabeledExamples(int[][] tokens, int[] labels, int truncated) {
        this(tokens, labels, truncated, null);
    }

    public int size() {
        return labels.length;
    }

    /**
     * Encodes rows; texts longer than {@code contextLength} tokens with [CLS] and [SEP] are truncated
     * (a pair's longer text first), with one warning that counts them.
     *
     * @param typeVocabSize the model's token-type rows ({@code model.typeVocabSize}): pairs need 2
     * @throws InputException for pairs and a model without a second segment, or a table that mixes
     *                        pairs and single texts
     */
    public static LabeledExamples encode(List<LabeledTable.Row> rows, String origin, Tokenizer tokenizer,
                                         BertTokens specials, ClassLabels classes, int contextLength,
                                         int typeVocabSize) {
        boolean pairs = !rows.isEmpty() && rows.get(0).pair() != null;
        if (pairs && typeVocabSize < 2) {
            throw new InputException(origin + ": sentence pairs need a model with token types (model.typeVocabSize"
                    + " >= 2, as an imported BERT has); this one has model.typeVocabSize = " + typeVocabSize);
        }
        int[][] tokens = new int[rows.size()][];
        int[][] types = pairs ? new int[rows.size()][] : null;
        int[] labels = new int[rows.size()];
        int truncated = 0;
        int room = pairs ? BertTokens.pairTextLength(contextLength) : BertTokens.textLength(contextLength);
        for (int i = 0; i < rows.size(); i++) {
            LabeledTable.Row row = rows.get(i);
            if ((row.pair() != null) != pairs) {
                throw new InputException(origin + " line " + row.line() + ": " + (pairs ? "no" : "a")
                        + " second text, unlike the first row");
            }
            labels[i] = classes.indexOf(row, origin);
            int[] ids = tokenizer.encode(row.text());
            if (pairs) {
                int[] second = tokenizer.encode(row.pair());
                BertTokens.Pair framed = specials.framePair(ids, second, contextLength);
                truncated += ids.length + second.length > room ? 1 : 0;
                tokens[i] = framed.ids();
                types[i] = framed.types();
            } else {
                truncated += ids.length > room ? 1 : 0;
                tokens[i] = specials.frame(ids, contextLength);
            }
        }
        if (truncated > 0) {
            LOG.warn("{}: {} of {} {} are longer than {} tokens (model.contextLength {} less [CLS] and {})"
                    + " and were truncated", origin, truncated, rows.size(), pairs ? "pairs" : "texts", room,
                    contextLength, pairs ? "two [SEP]" : "[SEP]");
        }
        return new LabeledExamples(tokens, labels, truncated, types);
    }
}
