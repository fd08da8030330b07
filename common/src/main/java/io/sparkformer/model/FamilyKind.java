package io.sparkformer.model;

import io.sparkformer.checkpoint.Checkpoint;
import io.sparkformer.config.SparkformerConfig;
import io.sparkformer.model.bert.BertClassifierLayer;
import io.sparkformer.model.bert.BertMlmLayer;
import io.sparkformer.model.gpt.GptLayer;
import io.sparkformer.model.seq2seq.Seq2SeqLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;

import java.util.Locale;
import java.util.Optional;

/**
 * Which model family a config trains or a checkpoint holds: the one place that decides it, so that
 * commands and jobs switch on this instead of testing {@code model.family} or layer classes.
 */
public enum FamilyKind {
    /** Decoder-only causal language model ({@code model.family = gpt}). */
    GPT,
    /** Masked-LM pretraining of a BERT encoder ({@code model.family = bert}). */
    BERT_MLM,
    /** A fine-tuned BERT classifier ({@code finetune}). */
    BERT_CLASSIFIER,
    /** Encoder-decoder translation ({@code model.family = seq2seq}). */
    SEQ2SEQ;

    /** What {@code train} with {@code config} trains. */
    public static FamilyKind of(SparkformerConfig config) {
        return switch (config.model().family()) {
            case GPT -> GPT;
            case BERT -> BERT_MLM;
            case SEQ2SEQ -> SEQ2SEQ;
        };
    }

    /** What checkpoint {@code c} holds, by its one whole-model layer; empty for a graph Sparkformer did not build. */
    public static Optional<FamilyKind> of(Checkpoint c) {
        ComputationGraph graph = c.model();
        if (graph.getLayers().length != 1) {
            return Optional.empty();
        }
        Object layer = graph.getLayers()[0].conf().getLayer();
        for (FamilyKind kind : values()) {
            if (kind.layer().isInstance(layer)) {
                return Optional.of(kind);
            }
        }
        return Optional.empty();
    }

    /** The whole-model layer bean a checkpoint of this family holds. */
    public Class<?> layer() {
        return switch (this) {
            case GPT -> GptLayer.class;
            case BERT_MLM -> BertMlmLayer.class;
            case BERT_CLASSIFIER -> BertClassifierLayer.class;
            case SEQ2SEQ -> Seq2SeqLayer.class;
        };
    }

    /** What this family is to a person: "a GPT (text generation) model". */
    public String describe() {
        return switch (this) {
            case GPT -> "a GPT (text generation) model";
            case BERT_MLM -> "a BERT masked-LM encoder";
            case BERT_CLASSIFIER -> "a text classifier (fine-tuned BERT)";
            case SEQ2SEQ -> "a translation (seq2seq) model";
        };
    }

    /** Whether {@code c} holds this family. */
    public boolean holds(Checkpoint c) {
        return of(c).orElse(null) == this;
    }

    /** The {@code model.family} value of the config that trains this family: "gpt", "bert", "seq2seq". */
    public String configName() {
        return (this == BERT_MLM || this == BERT_CLASSIFIER ? "bert" : name()).toLowerCase(Locale.ROOT);
    }
}
