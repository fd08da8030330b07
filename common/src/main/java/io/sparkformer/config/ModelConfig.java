package io.sparkformer.config;

import io.sparkformer.model.Architecture;
import java.io.Serializable;

/**
 * Architecture of a Transformer. The vocabulary size is not here: it comes from the tokenizer,
 * so it is passed next to this record wherever a model is built.
 */
public record ModelConfig(
        ModelFamily family,
        int layers,
        int heads,
        int embedDim,
        int ffnDim,
        int contextLength,
        double dropout,
        Positions positions,
        boolean tiedEmbeddings,
        boolean scaleEmbeddings,
        double layerNormEpsilon,
        Norm norm,
        Activation activation,
        int typeVocabSize) implements Serializable {

    public enum ModelFamily { GPT, BERT, SEQ2SEQ }

    public enum Positions { LEARNED, SINUSOIDAL }

    /** Where a block's LayerNorms sit: before each sublayer (GPT-2) or after each residual sum (BERT). */
    public enum Norm { PRE, POST }

    /** The feed-forward nonlinearity: GELU's tanh approximation (GPT-2) or the exact erf form (BERT). */
    public enum Activation {
        /** The tanh approximation (Hugging Face {@code gelu_new}): GPT-2's and our pre-LN models'. */
        GELU_TANH,
        /** Exact GELU, x * Phi(x): BERT's (Hugging Face {@code hidden_act = gelu}). */
        GELU_ERF;

        /** {@code gelu_tanh} or {@code gelu_erf}, as {@code model.activation} spells it. */
        public String configName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** The architecture's values are validated once, by {@link io.sparkformer.model.Architecture}. */
    public ModelConfig {
        ConfigChecks.positive("model.contextLength", contextLength);
        if (ffnDim < 0) {
            throw new ConfigException("model.ffnDim must be >= 0 (0 = 4 x embedDim), got " + ffnDim);
        }
        if (ffnDim == 0) {
            ffnDim = 4 * embedDim;
        }
        Architecture architecture = new Architecture(embedDim, heads, layers, ffnDim, positions == Positions.SINUSOIDAL,
                scaleEmbeddings, layerNormEpsilon, dropout, norm, activation, typeVocabSize);
        if (family != ModelFamily.BERT) {
            architecture.requireGpt2Style(family.name().toLowerCase(java.util.Locale.ROOT));
        }
    }

    /** The trunk these keys describe (validated when this config was built). */
    public Architecture architecture() {
        return Architecture.of(this);
    }

    /** The same architecture with another dropout (a training setting that changes no parameter). */
    public ModelConfig withDropout(double other) {
        return new ModelConfig(family, layers, heads, embedDim, ffnDim, contextLength, other, positions, tiedEmbeddings,
                scaleEmbeddings, layerNormEpsilon, norm, activation, typeVocabSize);
    }

    /** Width of one attention head. */
    public int headDim() {
        return architecture().headDim();
    }
}
