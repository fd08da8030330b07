package io.sparkformer.imports;

import io.sparkformer.InputException;
import io.sparkformer.config.ModelConfig.Activation;

/**
 * What a BERT encoder's weights say about it: the sizes Hugging Face's {@code BertConfig} calls
 * num_hidden_layers, hidden_size, num_attention_heads, intermediate_size, vocab_size,
 * max_position_embeddings, type_vocab_size and layer_norm_eps, and its hidden_act. Post-LayerNorm
 * blocks are what an import accepts, so they are not a field.
 */
public record BertArchitecture(int layers, int hidden, int heads, int ffn, int vocab, int maxPositions,
        int typeVocab, double layerNormEpsilon, Activation activation) {

    /** A BERT with exact (erf) GELU, as the original and every ONNX export we read. */
    public BertArchitecture(int layers, int hidden, int heads, int ffn, int vocab, int maxPositions, int typeVocab,
            double layerNormEpsilon) {
        this(layers, hidden, heads, ffn, vocab, maxPositions, typeVocab, layerNormEpsilon, Activation.GELU_ERF);
    }

    public BertArchitecture {
        if (layers < 1 || hidden < 1 || heads < 1 || ffn < 1 || vocab < 1 || maxPositions < 1 || typeVocab < 1) {
            throw new InputException("BERT sizes must be positive: " + describe(layers, hidden, heads, ffn,
                    vocab, maxPositions, typeVocab));
        }
        if (hidden % heads != 0) {
            throw new InputException("hidden size " + hidden + " is not divisible by head count " + heads);
        }
        java.util.Objects.requireNonNull(activation, "activation");
        if (!(layerNormEpsilon > 0 && layerNormEpsilon < 1)) {
            throw new InputException("LayerNorm epsilon must be in (0, 1), got " + layerNormEpsilon);
        }
    }

    public int headDim() {
        return hidden / heads;
    }

    private static String describe(int layers, int hidden, int heads, int ffn, int vocab, int positions, int types) {
        return "layers " + layers + ", hidden " + hidden + ", heads " + heads + ", ffn " + ffn + ", vocab " + vocab
                + ", positions " + positions + ", token types " + types;
    }
}
