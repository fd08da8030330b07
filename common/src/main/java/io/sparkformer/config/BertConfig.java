package io.sparkformer.config;

import java.io.Serializable;

/**
 * Masked-LM pretraining of the BERT family. Of the selected tokens 80% become [MASK], 10% a random
 * token and 10% stay unchanged: BERT's rule, fixed here rather than configurable.
 *
 * @param maskProbability share of the text tokens (never [CLS], [SEP] or padding) selected for prediction
 */
public record BertConfig(double maskProbability) implements Serializable {
    public BertConfig {
        if (!(maskProbability > 0 && maskProbability < 1)) {
            throw new ConfigException("bert.maskProbability must be within (0, 1), got " + maskProbability);
        }
    }
}
