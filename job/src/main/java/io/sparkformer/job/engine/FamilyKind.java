package io.sparkformer.job.engine;

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
        if (layer instanceof GptLayer) {
            return Optional.of(GPT);
        } else if (layer instanceof BertMlmLayer) {
            return Optional.of(BERT_MLM);
        } else if (layer instanceof BertClassifierLayer) {
            return Optional.of(BERT_CLASSIFIER);
        } else if (layer instanceof Seq2SeqLayer) {
            return Optional.of(SEQ2SEQ);
        }
        return Optional.empty();
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
