package io.sparkformer.api;

import io.sparkformer.InputException;
import io.sparkformer.checkpoint.Checkpoint;
import io.sparkformer.data.ClassLabels;
import io.sparkformer.data.LabeledExamples;
import io.sparkformer.data.LabeledTable;
import io.sparkformer.model.bert.BertClassifierLayer;
import io.sparkformer.tokenize.BertTokens;
import io.sparkformer.tokenize.Tokenizer;
import io.sparkformer.train.ClassifierEvaluator;
import org.deeplearning4j.nn.graph.ComputationGraph;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Labels texts or sentence pairs with a fine-tuned classifier; texts longer than its context are
 * truncated (one warning).
 */
public final class TextClassification {
    private static final int BATCH = 64;
    private final ComputationGraph model;
    private final Tokenizer tokenizer;
    private final BertTokens specials;
    private final ClassLabels labels;
    private final int contextLength;
    private final int typeVocabSize;

    /** The most probable label and every label's probability, in the classifier's label order. */
    public record Prediction(String label, Map<String, Double> probabilities) {
        public Prediction {
            probabilities = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(probabilities));
        }

        public double score() {
            return probabilities.get(label);
        }
    }

    TextClassification(Checkpoint checkpoint, String uri) {
        BertClassifierLayer layer = Pipelines.layer(checkpoint, BertClassifierLayer.class, uri);
        this.model = checkpoint.model();
        this.tokenizer = checkpoint.tokenizer();
        this.specials = BertTokens.of(tokenizer);
        this.labels = new ClassLabels(checkpoint.config().finetune().labels());
        if (labels.size() != layer.classes()) {
            throw new IllegalStateException("checkpoint " + uri + " lists " + labels.size() + " labels for "
                    + layer.classes() + " outputs");
        }
        this.contextLength = layer.spec().contextLength();
        this.typeVocabSize = layer.spec().arch().typeVocabSize();
    }

    /** The class labels in output order. */
    public List<String> labels() {
        return labels.values();
    }

    public Prediction classify(String text) {
        return classify(List.of(text)).get(0);
    }

    /** One prediction per text, in order; an empty text is an input error naming its position. */
    public List<Prediction> classify(List<String> texts) {
        return classify(texts, null);
    }

    /** The prediction for a sentence pair, e.g. (premise, hypothesis) or (question, passage). */
    public Prediction classify(String first, String second) {
        return classify(List.of(first), List.of(second)).get(0);
    }

    /**
     * One prediction per sentence pair ({@code firsts[i]}, {@code seconds[i]}), in order, encoded as
     * [CLS] first [SEP] second [SEP] with segment ids 0 then 1 (the longer text cut first when over
     * the context); the model needs token types ({@code model.typeVocabSize} >= 2, an imported BERT).
     *
     * @param seconds the second texts, as many as {@code firsts}; null for single texts
     */
    public List<Prediction> classify(List<String> firsts, List<String> seconds) {
        if (seconds != null && seconds.size() != firsts.size()) {
            throw new InputException(firsts.size() + " first texts but " + seconds.size() + " second texts");
        }
        List<LabeledTable.Row> rows = new ArrayList<>();
        for (int i = 0; i < firsts.size(); i++) {
            String second = seconds == null ? null : seconds.get(i);
            if (firsts.get(i).isBlank() || (second != null && second.isBlank())) {
                throw new InputException("text " + (i + 1) + " is empty");
            }
            rows.add(new LabeledTable.Row(i + 1, firsts.get(i), labels.get(0), second));
        }
        LabeledExamples examples = LabeledExamples.encode(rows, "input", tokenizer, specials, labels, contextLength,
                typeVocabSize);
        double[][] p = ClassifierEvaluator.probabilities(model, examples, BATCH, specials.pad());
        List<Prediction> out = new ArrayList<>(firsts.size());
        for (double[] row : p) {
            Map<String, Double> probabilities = new LinkedHashMap<>();
            for (int k = 0; k < row.length; k++) {
                probabilities.put(labels.get(k), row[k]);
            }
            out.add(new Prediction(labels.get(ClassifierEvaluator.argmax(row)), probabilities));
        }
        return out;
    }
}
