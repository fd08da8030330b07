package io.sparkformer.config;

import java.io.Serializable;

/** The whole effective configuration of a run: what {@code config.conf} holds. */
public record SparkformerConfig(
        ModelConfig model,
        TokenizerConfig tokenizer,
        DataConfig data,
        TrainConfig train,
        SparkConfig spark,
        Seq2SeqConfig seq2seq) implements Serializable {

    public SparkformerConfig {
        if (model.family() == ModelConfig.ModelFamily.BERT) {
            throw new ConfigException("model.family = bert is not available yet (gpt or seq2seq)");
        }
        if (model.family() == ModelConfig.ModelFamily.SEQ2SEQ && tokenizer.type() != TokenizerConfig.Type.BPE) {
            throw new ConfigException("model.family = seq2seq needs tokenizer.type = bpe (its [PAD], <s> and </s>"
                    + " are special tokens of the BPE tokenizer)");
        }
    }

    /** Tokens of training data one optimizer step consumes across all workers. */
    public long tokensPerStep() {
        return (long) train.batchSize() * model.contextLength() * spark.workers();
    }
}
