package io.sparkformer.config;

import java.io.Serializable;

/** The whole effective configuration of a run: what {@code config.conf} holds. */
public record SparkformerConfig(
        ModelConfig model,
        TokenizerConfig tokenizer,
        DataConfig data,
        TrainConfig train,
        SparkConfig spark,
        Seq2SeqConfig seq2seq,
        BertConfig bert,
        FinetuneConfig finetune) implements Serializable {

    public SparkformerConfig {
        if (model.family() == ModelConfig.ModelFamily.SEQ2SEQ && tokenizer.type() != TokenizerConfig.Type.BPE) {
            throw new ConfigException("model.family = seq2seq needs tokenizer.type = bpe (its [PAD], <s> and </s>"
                    + " are special tokens of the BPE tokenizer)");
        }
        if (model.family() == ModelConfig.ModelFamily.BERT) {
            if (tokenizer.type() == TokenizerConfig.Type.CHAR) {
                throw new ConfigException("model.family = bert needs tokenizer.type = bpe (its [CLS], [SEP], [MASK]"
                        + " and [PAD] are special tokens of the BPE tokenizer) or an imported model's wordpiece");
            }
            if (!model.tiedEmbeddings()) {
                throw new ConfigException("model.tiedEmbeddings = false is not available for bert: its masked-LM"
                        + " decoder is always the token embedding");
            }
        }
    }

    /** The same config with another {@code finetune} section. */
    public SparkformerConfig withFinetune(FinetuneConfig other) {
        return new SparkformerConfig(model, tokenizer, data, train, spark, seq2seq, bert, other);
    }

    /** The same config with another architecture: {@code model} and {@code tokenizer} sections. */
    public SparkformerConfig withArchitecture(ModelConfig otherModel, TokenizerConfig otherTokenizer) {
        return new SparkformerConfig(otherModel, otherTokenizer, data, train, spark, seq2seq, bert, finetune);
    }

    /** Tokens of training data one optimizer step consumes across all workers. */
    public long tokensPerStep() {
        return (long) train.batchSize() * model.contextLength() * spark.workers();
    }
}
