package io.sparkformer.model.layer;

import io.sparkformer.model.nn.TransformerBlock.ParamSpec;
import org.deeplearning4j.nn.api.ParamInitializer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Lays a {@link WholeModelLayer}'s named parameters out in DL4J's flat parameter vector (views, in
 * {@link WholeModelLayer#paramSpecs()} order) and initialises them as GPT-2 does: normal(0, 0.02),
 * residual projections normal(0, 0.02/sqrt(2 * blocks)), biases 0, LayerNorm gains 1.
 */
public final class NamedParamInitializer implements ParamInitializer {
    public static final NamedParamInitializer INSTANCE = new NamedParamInitializer();
    private static final double STD = 0.02;

    private NamedParamInitializer() {
    }

    private static List<ParamSpec> specs(Layer layer) {
        return ((WholeModelLayer) layer).paramSpecs();
    }

    private static long size(ParamSpec s) {
        long n = 1;
        for (long d : s.shape()) {
            n *= d;
        }
        return n;
    }

    @Override
    public long numParams(NeuralNetConfiguration conf) {
        return numParams(conf.getLayer());
    }

    @Override
    public long numParams(Layer layer) {
        return specs(layer).stream().mapToLong(NamedParamInitializer::size).sum();
    }

    @Override
    public List<String> paramKeys(Layer layer) {
        return specs(layer).stream().map(ParamSpec::name).toList();
    }

    @Override
    public List<String> weightKeys(Layer layer) {
        return specs(layer).stream().filter(ParamSpec::isMatrix).map(ParamSpec::name).toList();
    }

    @Override
    public List<String> biasKeys(Layer layer) {
        return specs(layer).stream().filter(s -> !s.isMatrix()).map(ParamSpec::name).toList();
    }

    @Override
    public boolean isWeightParam(Layer layer, String key) {
        return ((WholeModelLayer) layer).isWeight(key);
    }

    @Override
    public boolean isBiasParam(Layer layer, String key) {
        return ((WholeModelLayer) layer).isBias(key);
    }

    @Override
    public Map<String, INDArray> init(NeuralNetConfiguration conf, INDArray paramsView, boolean initializeParams) {
        WholeModelLayer layer = (WholeModelLayer) conf.getLayer();
        Map<String, INDArray> views = views(specs(layer), paramsView);
        if (initializeParams) {
            double residualStd = STD / Math.sqrt(2.0 * layer.blocks());
            for (ParamSpec s : specs(layer)) {
                INDArray v = views.get(s.name());
                switch (s.init()) {
                    case NORMAL -> v.assign(Nd4j.randn(v.dataType(), v.shape()).muli(STD));
                    case RESIDUAL_NORMAL -> v.assign(Nd4j.randn(v.dataType(), v.shape()).muli(residualStd));
                    case ZERO -> v.assign(0);
                    case ONE -> v.assign(1);
                    default -> throw new IllegalStateException("unknown init " + s.init());
                }
            }
        }
        for (String key : views.keySet()) {
            conf.addVariable(key);
        }
        return views;
    }

    @Override
    public Map<String, INDArray> getGradientsFromFlattened(NeuralNetConfiguration conf, INDArray gradientView) {
        return views(specs(conf.getLayer()), gradientView);
    }

    /** Named views into a flat vector, in spec order. */
    static Map<String, INDArray> views(List<ParamSpec> specs, INDArray flat) {
        INDArray vector = flat.reshape(flat.length());
        Map<String, INDArray> out = new LinkedHashMap<>();
        long offset = 0;
        for (ParamSpec s : specs) {
            long n = size(s);
            out.put(s.name(), vector.get(NDArrayIndex.interval(offset, offset + n)).reshape('c', s.shape()));
            offset += n;
        }
        return out;
    }
}
