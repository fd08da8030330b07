package io.sparkformer.imports;

import io.sparkformer.InputException;
import io.sparkformer.export.FloatTensor;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A BERT as a Hugging Face model directory holds it: the encoder's weights, the sequence
 * classifier on its pooled output when it is a {@code BertForSequenceClassification}, the
 * masked-LM head when it is a {@code BertForMaskedLM}, and the tokenizer.json beside it.
 *
 * @param classifier    null unless a {@code BertForSequenceClassification}
 * @param maskedLm      null unless a {@code BertForMaskedLM}
 * @param tokenizerJson the directory's tokenizer.json as written, or null when it has none
 */
public record HfBert(BertWeights encoder, Classifier classifier, MaskedLm maskedLm, String tokenizerJson) {

    /** A {@code BertModel} or {@code BertForSequenceClassification}. */
    public HfBert(BertWeights encoder, Classifier classifier, String tokenizerJson) {
        this(encoder, classifier, null, tokenizerJson);
    }

    public HfBert {
        if (classifier != null && maskedLm != null) {
            throw new InputException("a BERT has a sequence classifier or a masked-LM head, not both");
        }
        if (maskedLm != null) {
            long c = encoder.architecture().hidden();
            Map<String, long[]> expected = MaskedLm.shapes(encoder.architecture());
            Map<String, FloatTensor> got = maskedLm.tensors();
            for (Map.Entry<String, long[]> e : expected.entrySet()) {
                if (!Arrays.equals(got.get(e.getKey()).shape(), e.getValue())) {
                    throw new InputException(e.getKey() + " has shape " + got.get(e.getKey()).shapeText()
                            + ", a masked-LM head over hidden size " + c + " and " + encoder.architecture().vocab()
                            + " tokens has " + Arrays.toString(e.getValue()));
                }
            }
        }
        if (classifier != null) {
            if (!encoder.tensors().containsKey(BertWeights.POOLER_WEIGHT)) {
                throw new InputException("a BERT sequence classifier reads the pooler, which these weights lack");
            }
            long hidden = encoder.architecture().hidden();
            long[] expected = {classifier.labels().size(), hidden};
            if (!Arrays.equals(classifier.weight().shape(), expected)
                    || !Arrays.equals(classifier.bias().shape(), new long[] {expected[0]})) {
                throw new InputException("classifier weight " + classifier.weight().shapeText() + " and bias "
                        + classifier.bias().shapeText() + " do not fit " + classifier.labels().size()
                        + " labels over hidden size " + hidden);
            }
        }
    }

    /** config.json's {@code architectures} entry for this model: its Hugging Face class. */
    public String modelClass() {
        return classifier != null ? HfBertConfig.CLASSIFIER : maskedLm != null ? HfBertConfig.MASKED_LM
                : HfBertConfig.ENCODER;
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
                throw new InputException("a classifier needs at least two distinct labels, got " + labels);
            }
        }
    }

    /**
     * {@code BertForMaskedLM}'s head ({@code cls.predictions}): the transform (dense [C, C] as
     * {@code nn.Linear} holds it, hidden_act, LayerNorm) and the decoder's bias [V]; the decoder's
     * weight is the word-embedding table (tied), so it is not a field.
     */
    public record MaskedLm(FloatTensor transformWeight, FloatTensor transformBias, FloatTensor normWeight,
            FloatTensor normBias, FloatTensor bias) {
        public static final String PREFIX = "cls.predictions.";
        public static final String TRANSFORM_WEIGHT = PREFIX + "transform.dense.weight";
        public static final String TRANSFORM_BIAS = PREFIX + "transform.dense.bias";
        public static final String NORM_WEIGHT = PREFIX + "transform.LayerNorm.weight";
        public static final String NORM_BIAS = PREFIX + "transform.LayerNorm.bias";
        public static final String BIAS = PREFIX + "bias";
        /** Tied copies some files also hold: the word embeddings and {@link #BIAS} again. */
        public static final String DECODER_WEIGHT = PREFIX + "decoder.weight";
        public static final String DECODER_BIAS = PREFIX + "decoder.bias";

        public MaskedLm {
            // fields are not assigned yet in a compact constructor: check the parameters themselves
            java.util.Objects.requireNonNull(transformWeight, TRANSFORM_WEIGHT);
            java.util.Objects.requireNonNull(transformBias, TRANSFORM_BIAS);
            java.util.Objects.requireNonNull(normWeight, NORM_WEIGHT);
            java.util.Objects.requireNonNull(normBias, NORM_BIAS);
            java.util.Objects.requireNonNull(bias, BIAS);
        }

        /** The head's tensors under their Hugging Face names, in {@link #shapes} order. */
        public Map<String, FloatTensor> tensors() {
            Map<String, FloatTensor> t = new LinkedHashMap<>();
            t.put(TRANSFORM_WEIGHT, transformWeight);
            t.put(TRANSFORM_BIAS, transformBias);
            t.put(NORM_WEIGHT, normWeight);
            t.put(NORM_BIAS, normBias);
            t.put(BIAS, bias);
            return t;
        }

        /** The head's tensor names and shapes for an encoder of architecture {@code a}. */
        public static Map<String, long[]> shapes(BertArchitecture a) {
            long c = a.hidden();
            Map<String, long[]> s = new LinkedHashMap<>();
            s.put(TRANSFORM_WEIGHT, new long[] {c, c});
            s.put(TRANSFORM_BIAS, new long[] {c});
            s.put(NORM_WEIGHT, new long[] {c});
            s.put(NORM_BIAS, new long[] {c});
            s.put(BIAS, new long[] {a.vocab()});
            return s;
        }

        /** The head from tensors named as {@link #shapes} names them. */
        public static MaskedLm of(Map<String, FloatTensor> t) {
            return new MaskedLm(t.get(TRANSFORM_WEIGHT), t.get(TRANSFORM_BIAS), t.get(NORM_WEIGHT), t.get(NORM_BIAS),
                    t.get(BIAS));
        }
    }
}
