package io.sparkformer.config;

import java.io.Serializable;

/** The whole effective configuration of a run: what {@code config.conf} holds. */
public record SparkformerConfig(
        ModelConfig model,
        TokenizerConfig tokenizer,
        DataConfig data,
        TrainConfig train,
        SparkConfig spark) implements Serializable {

    public SparkformerConfig {
        if (model.family() != ModelConfig.ModelFamily.GPT) {
            throw new ConfigException("model.family = " + model.family().name().toLowerCase(java.util.Locale.ROOT)
                    + " is not available yet (only gpt)");
        }
    }

    /** Tokens of training data one optimizer step consumes across all workers. */
    public long tokensPerStep() {
        return (long) train.batchSize() * model.contextLength() * spark.workers();
    }
}
