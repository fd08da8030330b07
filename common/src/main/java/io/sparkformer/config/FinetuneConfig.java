package io.sparkformer.config;

import java.io.Serializable;
import java.util.HashSet;
import java.util.List;

/**
 * Fine-tuning a classifier on a labeled table (the {@code finetune} command).
 *
 * @param format      how the table's fields are separated; its first row names the columns
 * @param textColumn  the column holding the text to classify
 * @param labelColumn the column holding the class label
 * @param pairColumn  the column holding each row's second text, for sentence-pair tasks (encoded as
 *                    BERT's [CLS] text [SEP] pair [SEP] with segment ids 0 then 1); empty = single texts
 * @param labels      the class labels in output order; empty = the distinct labels of the training
 *                    table, sorted (numerically when all are numbers). A trained classifier's config
 *                    always lists them, so evaluation and prediction map outputs back to labels.
 * @param patience    evaluations without a better validation accuracy before training stops
 * @param pooling     what the classifier reads of the encoder's output: the first ([CLS]) position,
 *                    as BERT, or the mean over the real (unpadded) positions
 * @param headLearningRateFactor the new head's (pooler and classifier) learning rate over the encoder's
 *                    {@code train.learningRate} schedule: a pretrained encoder wants small steps, a
 *                    randomly initialised head larger ones
 */
public record FinetuneConfig(Format format, String textColumn, String labelColumn, String pairColumn,
                             List<String> labels,
                             int patience, Pooling pooling, double headLearningRateFactor) implements Serializable {

    public enum Format { TSV, CSV }

    public enum Pooling { FIRST, MEAN }

    public FinetuneConfig {
        if (textColumn.isBlank() || labelColumn.isBlank()) {
            throw new ConfigException("finetune.textColumn and finetune.labelColumn must name columns");
        }
        if (textColumn.equals(labelColumn)) {
            throw new ConfigException("finetune.textColumn and finetune.labelColumn are both '" + textColumn + "'");
        }
        if (pairColumn.equals(textColumn) || pairColumn.equals(labelColumn)) {
            throw new ConfigException("finetune.pairColumn '" + pairColumn + "' is also the text or label column");
        }
        labels = List.copyOf(labels);
        if (labels.size() == 1) {
            throw new ConfigException("finetune.labels needs at least 2 labels, got " + labels);
        }
        if (new HashSet<>(labels).size() != labels.size()) {
            throw new ConfigException("finetune.labels has a repeated label: " + labels);
        }
        ConfigChecks.positive("finetune.patience", patience);
        ConfigChecks.inRange("finetune.headLearningRateFactor", headLearningRateFactor, 1e-3, 1e3);
    }

    /** Whether rows hold a second text (sentence pairs). */
    public boolean pairs() {
        return !pairColumn.isEmpty();
    }

    /** The same settings reading other columns (evaluate's --text-column, --label-column, --pair-column). */
    public FinetuneConfig withColumns(String text, String label, String pair) {
        return new FinetuneConfig(format, text, label, pair, labels, patience, pooling, headLearningRateFactor);
    }

    /** The same settings with the label list fixed (what a trained classifier stores). */
    public FinetuneConfig withLabels(List<String> fixed) {
        return new FinetuneConfig(format, textColumn, labelColumn, pairColumn, fixed, patience, pooling,
                headLearningRateFactor);
    }
}
