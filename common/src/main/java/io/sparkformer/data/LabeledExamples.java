package io.sparkformer.data;

import io.sparkformer.tokenize.BertTokens;
import io.sparkformer.tokenize.Tokenizer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Serializable;
import java.util.List;

/**
 * Labeled texts encoded for a BERT classifier: each text as [CLS] ids [SEP] (at most the context
 * length), with its class index.
 *
 * @param tokens    per example, its framed ids
 * @param labels    per example, its index in {@link ClassLabels}
 * @param truncated how many texts were longer than the context and cut
 */
public record LabeledExamples(int[][] tokens, int[] labels, int truncated) implements Serializable {
    private static final Logger LOG = LoggerFactory.getLogger(LabeledExamples.class);

    public int size() {
        return labels.length;
    }

    /**
     * Encodes rows; texts longer than {@code contextLength} tokens with [CLS] and [SEP] are truncated,
     * with one warning that counts them.
     */
    public static LabeledExamples encode(List<LabeledTable.Row> rows, String origin, Tokenizer tokenizer,
                                         BertTokens specials, ClassLabels classes, int contextLength) {
        int[][] tokens = new int[rows.size()][];
        int[] labels = new int[rows.size()];
        int truncated = 0;
        int room = BertTokens.textLength(contextLength);
        for (int i = 0; i < rows.size(); i++) {
            LabeledTable.Row row = rows.get(i);
            labels[i] = classes.indexOf(row, origin);
            int[] ids = tokenizer.encode(row.text());
            if (ids.length > room) {
                truncated++;
            }
            tokens[i] = specials.frame(ids, contextLength);
        }
        if (truncated > 0) {
            LOG.warn("{}: {} of {} texts are longer than {} tokens (model.contextLength {} less [CLS] and [SEP])"
                    + " and were truncated", origin, truncated, rows.size(), room, contextLength);
        }
        return new LabeledExamples(tokens, labels, truncated);
    }
}
