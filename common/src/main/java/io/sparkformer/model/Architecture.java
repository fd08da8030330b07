package io.sparkformer.model;

import io.sparkformer.config.ConfigException;
import io.sparkformer.config.ModelConfig;
import io.sparkformer.config.ModelConfig.Activation;
import io.sparkformer.config.ModelConfig.Norm;

import java.io.Serializable;

/**
 * The Transformer trunk every family shares, built from {@code model.*} once and validated here
 * only; the family specs compose it with what they add (vocabularies, context, tying). Messages
 * name the config key, so a bad value reads the same wherever the record is built.
 *
 * @param embedDim            C, the residual width
 * @param heads               H; C must be divisible by H
 * @param layers              blocks (per stack: an encoder-decoder has this many on each side)
 * @param ffnDim              F, the feed-forward width (the config's 0 is resolved to 4C before this)
 * @param sinusoidalPositions fixed sinusoidal positions instead of a learned table {@code wpe}
 * @param scaleEmbeddings     token embeddings times sqrt(C) (the Transformer paper; GPT-2 and BERT do not)
 * @param layerNormEpsilon    added to the variance in every LayerNorm (GPT-2 1e-5, BERT 1e-12)
 * @param dropout             on embeddings, attention weights and sublayer outputs while training
 * @param norm                PRE (GPT-2: LN before each sublayer, a final LN) or POST (BERT: LN after
 *                            each residual sum, an embedding LN, no final LN)
 * @param activation          the feed-forward nonlinearity: GPT-2's tanh GELU or BERT's exact erf GELU
 * @param typeVocabSize       rows of the token-type (segment) table {@code type.w}; 0 = no such table
 */
public record Architecture(int embedDim, int heads, int layers, int ffnDim, boolean sinusoidalPositions,
                           boolean scaleEmbeddings, double layerNormEpsilon, double dropout, Norm norm,
                           Activation activation, int typeVocabSize) implements Serializable {

    public Architecture {
        positive("model.embedDim", embedDim);
        positive("model.heads", heads);
        positive("model.layers", layers);
        positive("model.ffnDim", ffnDim);
        if (embedDim % heads != 0) {
            throw new ConfigException("model.embedDim (" + embedDim + ") is not divisible by model.heads (" + heads + ")");
        }
        if (!(dropout >= 0 && dropout <= 0.95)) {
            throw new ConfigException("model.dropout must be within [0.0, 0.95], got " + dropout);
        }
        if (!(layerNormEpsilon >= 1e-12 && layerNormEpsilon <= 1e-2)) {
            throw new ConfigException("model.layerNormEpsilon must be within [1.0E-12, 0.01], got " + layerNormEpsilon);
        }
        if (norm == null || activation == null) {
            throw new ConfigException("model.norm and model.activation must be set, got " + norm + " and " + activation);
        }
        if (typeVocabSize < 0) {
            throw new ConfigException("model.typeVocabSize must be >= 0 (0 = no token-type embedding), got "
                    + typeVocabSize);
        }
    }

    /** Today's trunk (pre-LN, tanh GELU, no token types): what every checkpoint before these options holds. */
    public static Architecture preNorm(int embedDim, int heads, int layers, int ffnDim, boolean sinusoidalPositions,
                                       boolean scaleEmbeddings, double layerNormEpsilon, double dropout) {
        return new Architecture(embedDim, heads, layers, ffnDim, sinusoidalPositions, scaleEmbeddings,
                layerNormEpsilon, dropout, Norm.PRE, Activation.GELU_TANH, 0);
    }

    public static Architecture of(ModelConfig m) {
        return new Architecture(m.embedDim(), m.heads(), m.layers(), m.ffnDim(),
                m.positions() == ModelConfig.Positions.SINUSOIDAL, m.scaleEmbeddings(), m.layerNormEpsilon(),
                m.dropout(), m.norm(), m.activation(), m.typeVocabSize());
    }

    /** This architecture with another dropout: a training setting, not part of the weights. */
    public Architecture withDropout(double rate) {
        return new Architecture(embedDim, heads, layers, ffnDim, sinusoidalPositions, scaleEmbeddings, layerNormEpsilon,
                rate, norm, activation, typeVocabSize);
    }

    /** Width of one attention head, D = C / H. */
    public int headDim() {
        return embedDim / heads;
    }

    public boolean postNorm() {
        return norm == Norm.POST;
    }

    /**
     * Refuses what only the BERT family implements (post-LN, erf GELU, token types), for
     * {@code family}, naming the first key that is set.
     */
    public void requireGpt2Style(String family) {
        if (norm != Norm.PRE) {
            throw new ConfigException("model.norm = post is supported by the bert family only, not " + family);
        }
        if (activation != Activation.GELU_TANH) {
            throw new ConfigException("model.activation = gelu_erf is supported by the bert family only, not " + family);
        }
        if (typeVocabSize != 0) {
            throw new ConfigException("model.typeVocabSize is supported by the bert family only, not " + family);
        }
    }

    private static void positive(String key, int value) {
        if (value <= 0) {
            throw new ConfigException(key + " must be > 0, got " + value);
        }
    }
}
