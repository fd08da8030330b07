package io.sparkformer.export;

import io.sparkformer.InputException;
import io.sparkformer.model.gpt.GptModel;
import io.sparkformer.model.gpt.GptSpec;
import io.sparkformer.model.nn.TransformerBlock.ParamSpec;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Our GPT's parameters under the names and shapes of Hugging Face's {@code GPT2LMHeadModel}
 * state dict. Our weights are stored [in, out] like GPT-2's {@code Conv1D} and the attention's
 * q|k|v column blocks and D-wide head groups are laid out as in {@code c_attn}, so every tensor is
 * copied as is, except an untied output projection: ours is [C, V], {@code lm_head} is an
 * {@code nn.Linear} holding [V, C]. A tied model has no {@code lm_head.weight} (Hugging Face ties
 * it to {@code transformer.wte.weight} on load).
 */
public final class Gpt2Weights {
    public static final String PREFIX = "transformer.";
    public static final String LM_HEAD = "lm_head.weight";
    /** Non-parameter buffers some GPT-2 checkpoints carry (the causal mask); ignored on import. */
    private static final Set<String> BUFFER_SUFFIXES = Set.of(".attn.bias", ".attn.masked_bias");

    private Gpt2Weights() {
    }

    /** Our parameter name to its GPT-2 name, for every parameter of {@code spec}, in our storage order. */
    public static Map<String, String> names(GptSpec spec) {
        Map<String, String> names = new LinkedHashMap<>();
        names.put(GptModel.TOKEN_EMBEDDING, PREFIX + "wte.weight");
        if (!spec.arch().sinusoidalPositions()) {
            names.put(GptModel.POSITION_EMBEDDING, PREFIX + "wpe.weight");
        }
        for (int i = 0; i < spec.arch().layers(); i++) {
            String ours = "h" + i + ".";
            String theirs = PREFIX + "h." + i + ".";
            names.put(ours + "ln1.g", theirs + "ln_1.weight");
            names.put(ours + "ln1.b", theirs + "ln_1.bias");
            names.put(ours + "attn.qkv.W", theirs + "attn.c_attn.weight");
            names.put(ours + "attn.qkv.b", theirs + "attn.c_attn.bias");
            names.put(ours + "attn.proj.W", theirs + "attn.c_proj.weight");
            names.put(ours + "attn.proj.b", theirs + "attn.c_proj.bias");
            names.put(ours + "ln2.g", theirs + "ln_2.weight");
            names.put(ours + "ln2.b", theirs + "ln_2.bias");
            names.put(ours + "mlp.fc.W", theirs + "mlp.c_fc.weight");
            names.put(ours + "mlp.fc.b", theirs + "mlp.c_fc.bias");
            names.put(ours + "mlp.proj.W", theirs + "mlp.c_proj.weight");
            names.put(ours + "mlp.proj.b", theirs + "mlp.c_proj.bias");
        }
        names.put(GptModel.FINAL_NORM_GAIN, PREFIX + "ln_f.weight");
        names.put(GptModel.FINAL_NORM_BIAS, PREFIX + "ln_f.bias");
        if (!spec.tiedEmbeddings()) {
            names.put(GptModel.OUTPUT_WEIGHT, LM_HEAD);
        }
        List<String> params = new GptModel(spec).params().stream().map(ParamSpec::name).toList();
        if (!params.equals(new ArrayList<>(names.keySet()))) {
            // The model gained or renamed a parameter: the export must learn about it, never skip it.
            throw new IllegalStateException("GPT-2 name mapping " + names.keySet() + " does not match the model's"
                    + " parameters " + params);
        }
        return names;
    }

    /**
     * Refuses models GPT2LMHeadModel would compute differently, naming the setting.
     *
     * @throws InputException for sinusoidal positions or scaled embeddings
     */
    public static void requireRepresentable(GptSpec spec) {
        if (spec.arch().sinusoidalPositions()) {
            throw new InputException("cannot export as GPT2LMHeadModel: model.positions = sinusoidal, but GPT-2 has"
                    + " only learned position embeddings (train with model.positions = learned)");
        }
        if (spec.arch().scaleEmbeddings()) {
            throw new InputException("cannot export as GPT2LMHeadModel: model.scaleEmbeddings = true, but GPT-2 does"
                    + " not multiply token embeddings by sqrt(embedDim) (train with model.scaleEmbeddings = false)");
        }
    }

    /** The GPT-2 state dict of {@code params} (our named views), as float32 tensors. */
    public static Map<String, FloatTensor> toGpt2(GptSpec spec, Map<String, INDArray> params) {
        requireRepresentable(spec);
        Map<String, FloatTensor> out = new HashMap<>();
        for (Map.Entry<String, String> name : names(spec).entrySet()) {
            INDArray p = params.get(name.getKey());
            if (p == null) {
                throw new IllegalArgumentException("the model has no parameter " + name.getKey());
            }
            if (name.getValue().equals(LM_HEAD)) {
                p = p.transpose();                                    // [C, V] -> [V, C]
            }
            float[] values = Nd4j.toFlattened('c', p.castTo(DataType.FLOAT)).toFloatVector();
            out.put(name.getValue(), new FloatTensor(p.shape(), values));
        }
        return out;
    }

    /**
     * Copies a GPT-2 state dict into {@code params} (our named views of a model built for {@code spec}).
     * Names may carry the {@code transformer.} prefix or not (checkpoints saved from
     * {@code GPT2Model}, such as the original {@code gpt2}, have none); causal-mask buffers are
     * ignored, and a tied model's {@code lm_head.weight}, if present, must equal the token embedding.
     *
     * @param source names the file in messages
     * @throws InputException naming the tensor and both shapes when a shape differs, or naming a
     *                        missing or unexpected tensor
     */
    public static void fromGpt2(GptSpec spec, Safetensors file, Map<String, INDArray> params, String source) {
        Map<String, String> names = names(spec);
        Set<String> unused = new TreeSet<>(file.tensors().keySet());
        for (Map.Entry<String, String> name : names.entrySet()) {
            String hfName = name.getValue();
            String stored = find(file, hfName, source, spec);
            unused.remove(stored);
            FloatTensor t = file.tensor(stored);
            INDArray view = params.get(name.getKey());
            long[] expected = hfName.equals(LM_HEAD) ? new long[] {view.size(1), view.size(0)} : view.shape();
            if (!Arrays.equals(t.shape(), expected)) {
                throw new InputException(source + ": tensor " + stored + " has shape " + t.shapeText() + " but the"
                        + " model described by config.json needs " + Arrays.toString(expected));
            }
            INDArray value = Nd4j.createFromArray(t.data()).reshape('c', expected).castTo(view.dataType());
            view.assign(hfName.equals(LM_HEAD) ? value.transpose() : value);
        }
        if (spec.tiedEmbeddings() && unused.remove(LM_HEAD)
                && !file.tensor(LM_HEAD).equals(file.tensor(find(file, PREFIX + "wte.weight", source, spec)))) {
            throw new InputException(source + ": " + LM_HEAD + " differs from the token embedding, but config.json has"
                    + " tie_word_embeddings = true");
        }
        unused.removeIf(n -> BUFFER_SUFFIXES.stream().anyMatch(n::endsWith));
        if (!unused.isEmpty()) {
            throw new InputException(source + ": unexpected tensor(s) " + String.join(", ", unused) + " for a "
                    + Gpt2Config.describe(spec) + " (is config.json the one saved with these weights?)");
        }
    }

    private static String find(Safetensors file, String hfName, String source, GptSpec spec) {
        if (file.tensors().containsKey(hfName)) {
            return hfName;
        }
        String bare = hfName.startsWith(PREFIX) ? hfName.substring(PREFIX.length()) : hfName;
        if (file.tensors().containsKey(bare)) {
            return bare;
        }
        throw new InputException(source + ": no tensor " + hfName + (bare.equals(hfName) ? "" : " (or " + bare + ")")
                + ", which a " + Gpt2Config.describe(spec) + " needs");
    }
}
