package io.sparkformer.job.finetune;

import io.sparkformer.checkpoint.Checkpoint;
import io.sparkformer.checkpoint.CheckpointStore;
import io.sparkformer.config.FinetuneConfig;
import io.sparkformer.data.ClassLabels;
import io.sparkformer.data.LabeledExamples;
import io.sparkformer.data.LabeledTable;
import io.sparkformer.model.FamilyKind;
import io.sparkformer.model.bert.BertClassifierLayer;
import io.sparkformer.model.bert.BertGraphBuilder;
import io.sparkformer.tokenize.BertTokens;
import io.sparkformer.tokenize.Tokenizer;
import io.sparkformer.train.ClassificationMetrics;
import io.sparkformer.train.ClassifierEvaluator;
import org.apache.hadoop.conf.Configuration;

import java.util.List;

/**
 * A fine-tuned classifier loaded from a checkpoint, with what it needs to read text: its tokenizer,
 * context length, label names (stored in its config) and table format.
 */
public final class ClassifierCheckpoint {
    private static final int BATCH = 64;
    private final Checkpoint checkpoint;
    private final Tokenizer tokenizer;
    private final BertTokens specials;
    private final ClassLabels labels;
    private final FinetuneConfig table;
    private final int contextLength;
    private final int typeVocabSize;

    private ClassifierCheckpoint(Checkpoint checkpoint, String uri) {
        this.checkpoint = checkpoint;
        BertClassifierLayer layer = BertGraphBuilder.layer(checkpoint.model(), BertClassifierLayer.class,
                "checkpoint " + uri);
        this.tokenizer = checkpoint.tokenizer();
        this.specials = BertTokens.of(tokenizer);
        this.table = checkpoint.config().finetune();
        this.labels = new ClassLabels(table.labels());
        if (labels.size() != layer.classes()) {
            throw new IllegalStateException("checkpoint " + uri + " lists " + labels.size() + " labels for "
                    + layer.classes() + " outputs");
        }
        this.contextLength = layer.spec().contextLength();
        this.typeVocabSize = layer.spec().arch().typeVocabSize();
    }

    /** Opens a run directory (its LATEST, the best model of a fine-tune) or a step directory. */
    public static ClassifierCheckpoint open(String uri, Configuration conf) {
        return of(CheckpointStore.open(uri, conf), uri);
    }

    /** A loaded checkpoint as a classifier, or an error naming what it holds instead. */
    public static ClassifierCheckpoint of(Checkpoint checkpoint, String uri) {
        return new ClassifierCheckpoint(checkpoint, uri);
    }

    /** Whether a checkpoint holds a classifier (rather than a language model). */
    public static boolean holdsClassifier(Checkpoint c) {
        return FamilyKind.BERT_CLASSIFIER.holds(c);
    }

    public ClassLabels labels() {
        return labels;
    }

    /** The table format and columns the classifier was trained with. */
    public FinetuneConfig table() {
        return table;
    }

    /** Metrics on a labeled table read with {@code format}; its labels must be among the classifier's. */
    public ClassificationMetrics evaluate(String uri, FinetuneConfig format, Configuration conf) {
        List<LabeledTable.Row> rows = LabeledData.read(uri, format, conf);
        LabeledExamples examples = LabeledExamples.encode(rows, uri, tokenizer, specials, labels, contextLength,
                typeVocabSize);
        return ClassifierEvaluator.evaluate(checkpoint.model(), examples, labels.values(), BATCH, specials.pad());
    }
}
