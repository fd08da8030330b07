package io.sparkformer.model.layer;

import io.sparkformer.config.FinetuneConfig;
import io.sparkformer.model.Architecture;
import io.sparkformer.model.bert.BertClassifierLayer;
import io.sparkformer.model.bert.BertSpec;
import io.sparkformer.model.gpt.GptLayer;
import io.sparkformer.model.gpt.GptModel;
import io.sparkformer.model.gpt.GptSpec;
import io.sparkformer.model.nn.TransformerBlock.ParamSpec;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The layout DL4J asks about at every step (weight or bias?), answered from the layer's built-once specs. */
class NamedParamInitializerTest {
    private static final Architecture ARCH = Architecture.preNorm(16, 2, 2, 24, true, true, 1e-5, 0.0);
    private static final NamedParamInitializer INIT = NamedParamInitializer.INSTANCE;

    @Test
    void weightsAndBiasesPartitionTheParametersAsTheModelNamesThem() {
        GptSpec spec = new GptSpec(13, 8, ARCH, false);
        GptLayer layer = new GptLayer(spec);
        List<String> names = new GptModel(spec).params().stream().map(ParamSpec::name).toList();
        assertEquals(names, INIT.paramKeys(layer));
        Set<String> weights = new HashSet<>(INIT.weightKeys(layer));
        Set<String> biases = new HashSet<>(INIT.biasKeys(layer));
        assertEquals(names.size(), weights.size() + biases.size());
        for (String name : names) {
            assertTrue(INIT.isWeightParam(layer, name) ^ INIT.isBiasParam(layer, name), name);
            assertEquals(weights.contains(name), INIT.isWeightParam(layer, name), name);
            assertEquals(biases.contains(name), INIT.isBiasParam(layer, name), name);
        }
        assertTrue(INIT.isWeightParam(layer, "h0.mlp.fc.W"));
        assertTrue(INIT.isBiasParam(layer, "h0.ln1.g"));
        assertFalse(INIT.isBiasParam(layer, "no.such.param"));
        assertFalse(INIT.isWeightParam(layer, "no.such.param"));
        assertSame(layer.paramSpecs(), layer.paramSpecs(), "built once, not per question");
    }

    @Test
    void aLayerOfAnotherShapeHasItsOwnLayoutAndACopyKeepsIts() {
        BertSpec spec = new BertSpec(13, 8, ARCH);
        BertClassifierLayer two = new BertClassifierLayer(spec, 2, FinetuneConfig.Pooling.FIRST);
        BertClassifierLayer five = new BertClassifierLayer(spec, 5, FinetuneConfig.Pooling.FIRST);
        long before = INIT.numParams(two);
        assertNotEquals(before, INIT.numParams(five), "the classifier head's size follows its classes");
        WholeModelLayer copy = (WholeModelLayer) two.clone();
        assertEquals(before, INIT.numParams(copy));
        assertEquals(INIT.paramKeys(two), INIT.paramKeys(copy));
    }
}
