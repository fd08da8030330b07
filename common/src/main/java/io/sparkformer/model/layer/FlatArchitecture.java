package io.sparkformer.model.layer;

import io.sparkformer.config.ModelConfig.Activation;
import io.sparkformer.config.ModelConfig.Norm;
import io.sparkformer.model.Architecture;

import java.io.Serializable;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * The architecture as checkpoints written before 2026-12-02 store it: flat fields of the layer bean
 * ({@code "embedDim" : 16, "heads" : 2, ...}) instead of one {@code "arch"} object. DL4J's JSON
 * mapper hands the bean each such field while it reads the configuration; {@link #architecture()}
 * turns them into the record.
 */
final class FlatArchitecture implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final Set<String> KEYS = Set.of("embedDim", "heads", "layers", "ffnDim", "sinusoidalPositions",
            "scaleEmbeddings", "layerNormEpsilon", "dropout", "norm", "activation", "typeVocabSize");

    private final Map<String, Object> values = new HashMap<>();

    /** Keeps {@code value} if {@code key} is one of the old architecture fields; ignores anything else. */
    void offer(String key, Object value) {
        if (KEYS.contains(key)) {
            values.put(key, value);
        }
    }

    Architecture architecture() {
        // norm, activation and typeVocabSize came later (BERT import): without them a checkpoint is
        // pre-LN with tanh GELU and no token types, as every model was before.
        Object norm = values.getOrDefault("norm", Norm.PRE.name());
        Object activation = values.getOrDefault("activation", Activation.GELU_TANH.name());
        return new Architecture(number("embedDim").intValue(), number("heads").intValue(), number("layers").intValue(),
                number("ffnDim").intValue(), flag("sinusoidalPositions"), flag("scaleEmbeddings"),
                number("layerNormEpsilon").doubleValue(), number("dropout").doubleValue(),
                Norm.valueOf(norm.toString()), Activation.valueOf(activation.toString()),
                values.containsKey("typeVocabSize") ? number("typeVocabSize").intValue() : 0);
    }

    private Number number(String key) {
        return required(key, Number.class);
    }

    private boolean flag(String key) {
        return required(key, Boolean.class);
    }

    private <T> T required(String key, Class<T> type) {
        Object value = values.get(key);
        if (!type.isInstance(value)) {
            throw new IllegalArgumentException("the layer configuration has no \"arch\", and its field \"" + key
                    + "\" of the earlier flat form is " + (value == null ? "missing" : "not a " + type.getSimpleName()
                    + ": " + value));
        }
        return type.cast(value);
    }
}
