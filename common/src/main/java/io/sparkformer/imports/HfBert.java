package io.sparkformer.imports;

import io.sparkformer.export.FloatTensor;
import java.util.Arrays;
import java.util.List;

/**
 * A BERT as a Hugging Face model directory holds it: the encoder's weights, the sequence
 * classifier on its pooled output when it is a {@code BertForSequenceClassification}, and the
 * tokenizer.json beside it.
 *
 * @param classifier    null for an encoder alone ({@code BertModel}, or the encoder of a {@code BertForMaskedLM})
 * @param tokenizerJson the directory's tokenizer.json as written, or null when it has none
 */
public record HfBert(BertWeights encoder, Classifier classifier, String tokenizerJson) {

    public HfBert {
        if (classifier != null) {
            if (!encoder.tensors().containsKey(BertWeights.POOLER_WEIGHT)) {
                throw new IllegalArgumentException("a BERT sequence classifier reads the pooler, which these weights lack");
            }
            long hidden = encoder.architecture().hidden();
            long[] expected = {classifier.labels().size(), hidden};
            if (!Arrays.equals(classifier.weight().shape(), expected)
                    || !Arrays.equals(classifier.bias().shape(), new long[] {expected[0]})) {
                throw new IllegalArgumentException("classifier weight " + classifier.weight().shapeText() + " and bias "
                        + classifier.bias().shapeText() + " do not fit " + classifier.labels().size()
                        + " labels over hidden size " + hidden);
            }
        }
    }

    /**
     * The linear layer {@code BertForSequenceClassification} puts on the pooled [CLS] output.
     *
     * @param weight [labels, hidden], as {@code nn.Linear} holds it
     * @param labels the label names in output order (config.json's id2label)
     */
    public record Classifier(FloatTensor weight, FloatTensor bias, List<String> labels) {
        public static final String WEIGHT = "classifier.weight";
        public static final String BIAS = "classifier.bias";

        public Classifier {
            labels = List.copyOf(labels);
            if (labels.size() < 2 || labels.stream().distinct().count() != labels.size()) {
                throw new IllegalArgumentException("a classifier needs at least two distinct labels, got " + labels);
            }
        }
    }
}
