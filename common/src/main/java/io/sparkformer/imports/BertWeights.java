package io.sparkformer.imports;

import io.sparkformer.InputException;
import io.sparkformer.export.FloatTensor;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A BERT encoder's weights under Hugging Face {@code BertModel} state-dict names and shapes
 * (linear weights [out, in], as {@code nn.Linear} holds them), whatever file they came from, so
 * that every import path hands the model builder the same thing.
 *
 * @param tensors every name of {@link #names} exactly once, in that order; {@code pooler.*} only
 *     when the source has a pooler
 */
public record BertWeights(BertArchitecture architecture, Map<String, FloatTensor> tensors) {

    public static final String WORD_EMBEDDINGS = "embeddings.word_embeddings.weight";
    public static final String POSITION_EMBEDDINGS = "embeddings.position_embeddings.weight";
    public static final String TOKEN_TYPE_EMBEDDINGS = "embeddings.token_type_embeddings.weight";
    public static final String POOLER_WEIGHT = "pooler.dense.weight";
    public static final String POOLER_BIAS = "pooler.dense.bias";

    public BertWeights {
        tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
        Map<String, long[]> expected = names(architecture, tensors.containsKey(POOLER_WEIGHT));
        if (!expected.keySet().equals(tensors.keySet())) {
            throw new InputException("BERT weights " + tensors.keySet() + " are not the expected "
                    + expected.keySet());
        }
        for (Map.Entry<String, long[]> entry : expected.entrySet()) {
            FloatTensor t = tensors.get(entry.getKey());
            if (!Arrays.equals(t.shape(), entry.getValue())) {
                throw new InputException(entry.getKey() + " has shape " + t.shapeText() + ", expected "
                        + Arrays.toString(entry.getValue()));
            }
        }
    }

    public FloatTensor get(String name) {
        FloatTensor t = tensors.get(name);
        if (t == null) {
            throw new IllegalArgumentException("no BERT weight '" + name + "'");
        }
        return t;
    }

    /** Prefix of layer {@code i}'s names: {@code encoder.layer.i.}. */
    public static String layer(int i) {
        return "encoder.layer." + i + ".";
    }

    /** Every weight of a BertModel of this architecture with its shape, in Hugging Face's order. */
    public static Map<String, long[]> names(BertArchitecture a, boolean pooler) {
        Map<String, long[]> names = new LinkedHashMap<>();
        long h = a.hidden();
        names.put(WORD_EMBEDDINGS, new long[] {a.vocab(), h});
        names.put(POSITION_EMBEDDINGS, new long[] {a.maxPositions(), h});
        names.put(TOKEN_TYPE_EMBEDDINGS, new long[] {a.typeVocab(), h});
        names.put("embeddings.LayerNorm.weight", new long[] {h});
        names.put("embeddings.LayerNorm.bias", new long[] {h});
        for (int i = 0; i < a.layers(); i++) {
            String p = layer(i);
            for (String proj : new String[] {"query", "key", "value"}) {
                names.put(p + "attention.self." + proj + ".weight", new long[] {h, h});
                names.put(p + "attention.self." + proj + ".bias", new long[] {h});
            }
            names.put(p + "attention.output.dense.weight", new long[] {h, h});
            names.put(p + "attention.output.dense.bias", new long[] {h});
            names.put(p + "attention.output.LayerNorm.weight", new long[] {h});
            names.put(p + "attention.output.LayerNorm.bias", new long[] {h});
            names.put(p + "intermediate.dense.weight", new long[] {a.ffn(), h});
            names.put(p + "intermediate.dense.bias", new long[] {a.ffn()});
            names.put(p + "output.dense.weight", new long[] {h, a.ffn()});
            names.put(p + "output.dense.bias", new long[] {h});
            names.put(p + "output.LayerNorm.weight", new long[] {h});
            names.put(p + "output.LayerNorm.bias", new long[] {h});
        }
        if (pooler) {
            names.put(POOLER_WEIGHT, new long[] {h, h});
            names.put(POOLER_BIAS, new long[] {h});
        }
        return names;
    }
}
