package io.sparkformer.model.layer;

import io.sparkformer.config.TrainConfig.Precision;
import io.sparkformer.model.Architecture;
import io.sparkformer.model.nn.TransformerBlock.ParamSpec;
import org.deeplearning4j.nn.api.ParamInitializer;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.memory.LayerMemoryReport;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.shade.jackson.annotation.JsonAnySetter;
import org.nd4j.shade.jackson.annotation.JsonIgnore;
import org.nd4j.shade.jackson.annotation.JsonProperty;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * DL4J layer bean for a whole model (embeddings, blocks, head and loss in one output layer): DL4J
 * cannot share a parameter between layers, tied input/output embeddings need exactly that, and a
 * single layer makes DL4J's per-layer gradient clip a global one. Subclasses are beans (no-arg
 * constructor, getters/setters) because DL4J serialises configurations as JSON for checkpoints and
 * for Spark; they name their parameters ({@link #paramSpecs()}) and create their implementation.
 * The input is always token ids [B, T].
 *
 * <p>The trunk every family shares is held whole, as the JSON object {@code "arch"} (the
 * {@link Architecture} record's components); the subclasses add their own fields beside it.
 * Configurations written before 2026-12-02 hold it as flat fields instead, which
 * {@link FlatArchitecture} reads.
 */
public abstract class WholeModelLayer extends BaseLayer {
    private Architecture arch;
    /**
     * Arithmetic of the matrix products ({@code train.precision}); not part of the architecture: a
     * checkpoint's configuration carries the precision it trained at (absent before: fp32), and a
     * resumed run sets its own ({@link WholeModelGraph#setPrecision}).
     */
    private Precision precision = Precision.FP32;
    /** The flat architecture fields of an earlier checkpoint, while {@link #arch} is not yet built from them. */
    @JsonIgnore private FlatArchitecture flat;

    /**
     * The parameter layout, built once per shape: DL4J asks whether each parameter is a weight or a
     * bias at every step (regularization, the one-pass optimizer), and rebuilding the model's specs
     * for each question cost ~3% of a baby-GPT step and ~17% of its heap allocation. Kept with the
     * value it follows from ({@link #layoutKey()}), so a bean reshaped through its setters rebuilds it.
     */
    private transient volatile Layout layout;

    private record Layout(Object key, List<ParamSpec> specs, Set<String> weights, Set<String> biases) {
        static Layout of(Object key, List<ParamSpec> specs) {
            return new Layout(key, List.copyOf(specs), names(specs, true), names(specs, false));
        }

        private static Set<String> names(List<ParamSpec> specs, boolean matrices) {
            return specs.stream().filter(s -> s.isMatrix() == matrices).map(ParamSpec::name)
                    .collect(Collectors.toUnmodifiableSet());
        }
    }

    protected WholeModelLayer() {
        // for JSON
    }

    protected WholeModelLayer(Architecture arch) {
        this.arch = arch;
    }

    /** The shared trunk; for an earlier checkpoint's configuration, built from its flat fields on first use. */
    @JsonProperty("arch")
    public Architecture arch() {
        Architecture a = arch;
        if (a == null) {
            if (flat == null) {
                throw new IllegalStateException(getClass().getSimpleName() + " has no architecture");
            }
            a = flat.architecture();
            arch = a;
        }
        return a;
    }

    @JsonProperty("arch")
    private void setArch(Architecture arch) {
        this.arch = arch;
    }

    public Precision getPrecision() {
        return precision;
    }

    public void setPrecision(Precision precision) {
        this.precision = precision == null ? Precision.FP32 : precision;
    }

    /** Receives the fields the bean does not declare: among them, an earlier checkpoint's flat architecture. */
    @JsonAnySetter
    private void readUndeclaredField(String key, Object value) {
        if (flat == null) {
            flat = new FlatArchitecture();
        }
        flat.offer(key, value);
    }

    /** Every parameter in storage order (the layout of DL4J's flat parameter vector). */
    public final List<ParamSpec> paramSpecs() {
        return layout().specs();
    }

    /** Whether {@code key} is a matrix parameter (weight decay applies), as opposed to a vector. */
    final boolean isWeight(String key) {
        return layout().weights().contains(key);
    }

    /** Whether {@code key} is a vector parameter (a gain or a bias). */
    final boolean isBias(String key) {
        return layout().biases().contains(key);
    }

    private Layout layout() {
        Object key = layoutKey();
        Layout l = layout;
        if (l == null || !l.key().equals(key)) {
            l = Layout.of(key, buildParamSpecs());
            layout = l;
        }
        return l;
    }

    /** The value the parameter layout follows from (a record of the shape fields): equal keys, equal layouts. */
    protected abstract Object layoutKey();

    /** Every parameter in storage order, built from the bean's fields. */
    protected abstract List<ParamSpec> buildParamSpecs();

    /**
     * Transformer blocks (per stack for an encoder-decoder), which scale the initial residual
     * projections (GPT-2's init).
     */
    public int blocks() {
        return arch().layers();
    }

    /** The layer that runs this configuration. */
    protected abstract WholeModelLayerImpl<?, ?> newImpl(NeuralNetConfiguration conf, DataType dataType);

    @Override
    public org.deeplearning4j.nn.api.Layer instantiate(NeuralNetConfiguration conf,
                                                       Collection<TrainingListener> listeners, int layerIndex,
                                                       INDArray layerParamsView, boolean initializeParams,
                                                       DataType networkDataType) {
        WholeModelLayerImpl<?, ?> layer = newImpl(conf, networkDataType);
        layer.setListeners(listeners);
        layer.setIndex(layerIndex);
        layer.setParamsViewArray(layerParamsView);
        Map<String, INDArray> params = initializer().init(conf, layerParamsView, initializeParams);
        layer.setParamTable(params);
        layer.setConf(conf);
        return layer;
    }

    @Override
    public ParamInitializer initializer() {
        return NamedParamInitializer.INSTANCE;
    }

    @Override
    public void setNIn(InputType inputType, boolean override) {
        // The input is token ids; nothing to infer.
    }

    @Override
    public InputPreProcessor getPreProcessorForInputType(InputType inputType) {
        return null;
    }

    @Override
    public boolean isPretrainParam(String paramName) {
        return false;
    }

    @Override
    public LayerMemoryReport getMemoryReport(InputType inputType) {
        long params = NamedParamInitializer.INSTANCE.numParams(this);
        return new LayerMemoryReport.Builder(layerName, getClass(), inputType, getOutputType(0, inputType))
                .standardMemory(params, 2 * params)
                .workingMemory(0, 0, 0, 0)
                .cacheMemory(0, 0)
                .build();
    }
}
