package io.sparkformer.imports;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkformer.InputException;
import io.sparkformer.export.FloatTensor;
import io.sparkformer.export.HfFiles;
import io.sparkformer.export.Safetensors;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;
import org.apache.hadoop.conf.Configuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a Hugging Face BERT directory ({@code config.json}, {@code model.safetensors}, and {@code
 * tokenizer.json} when present) into the same {@link BertWeights} the ONNX importer produces.
 * Tensor names are those of {@code BertModel} (no prefix) or of {@code BertForSequenceClassification}
 * and {@code BertForMaskedLM} (under {@code bert.}); the sequence classifier and the masked-LM head
 * ({@code cls.predictions.*}, its decoder tied to the word embeddings) are kept. Every tensor must be one the config's model class
 * has, with the shape config.json implies: a missing, extra or misshapen tensor is refused in one
 * line naming the file and the tensor, since a silently dropped or reshaped weight computes
 * something else.
 */
public final class HfBertReader {
    private static final Logger LOG = LoggerFactory.getLogger(HfBertReader.class);
    /** BertForSequenceClassification and BertForMaskedLM hold the encoder under this prefix. */
    public static final String PREFIX = "bert.";
    private HfBertReader() {
    }

    /** The parsed config.json of a model directory (to tell a BERT from a GPT-2 before reading it). */
    public static JsonNode config(String dirUri, Configuration conf) {
        try {
            return HfFiles.directory(dirUri, conf).config();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + dirUri + ": " + e.getMessage(), e);
        }
    }

    /**
     * @throws InputException one line naming the file and tensor or key when the directory does not
     *     hold a BERT we compute
     */
    public static HfBert read(String dirUri, Configuration conf) {
        try {
            HfFiles.Directory dir = HfFiles.directory(dirUri, conf);
            String configFile = dir.file(HfFiles.CONFIG).toString();
            HfBertConfig.Parsed config = HfBertConfig.parse(dir.config(), configFile);
            Safetensors file = dir.model();
            String tokenizer = dir.fs().exists(dir.file(HfFiles.TOKENIZER)) ? dir.readText(HfFiles.TOKENIZER) : null;
            HfBert bert = weights(config, file, dir.file(HfFiles.MODEL).toString(), tokenizer);
            LOG.info("read a {} ({} layers, hidden {}, {} heads, {}) from {}", config.modelClass(),
                    config.architecture().layers(), config.architecture().hidden(), config.architecture().heads(),
                    config.architecture().activation().configName(), dir.path());
            return bert;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + dirUri + ": " + e.getMessage(), e);
        }
    }

    /** The weights of a safetensors file as config.json describes them; {@code source} names the file. */
    static HfBert weights(HfBertConfig.Parsed config, Safetensors file, String source, String tokenizerJson) {
        Map<String, FloatTensor> all = file.tensors();
        String prefix = all.keySet().stream().anyMatch(n -> n.startsWith(PREFIX)) ? PREFIX : "";
        boolean classifier = config.modelClass().equals(HfBertConfig.CLASSIFIER);
        boolean maskedLm = config.modelClass().equals(HfBertConfig.MASKED_LM);
        // BertForMaskedLM has no pooler; BertModel and the classifier have one (the classifier reads it).
        boolean pooler = !maskedLm && (classifier || all.containsKey(prefix + BertWeights.POOLER_WEIGHT));
        Map<String, long[]> expected = BertWeights.names(config.architecture(), pooler);
        TreeSet<String> unused = new TreeSet<>(all.keySet());
        Map<String, FloatTensor> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : expected.entrySet()) {
            tensors.put(e.getKey(), take(all, unused, prefix + e.getKey(), e.getValue(), source, config));
        }
        HfBert.Classifier head = null;
        if (classifier) {
            long k = config.labels().size();
            long h = config.architecture().hidden();
            head = new HfBert.Classifier(
                    take(all, unused, HfBert.Classifier.WEIGHT, new long[] {k, h}, source, config),
                    take(all, unused, HfBert.Classifier.BIAS, new long[] {k}, source, config), config.labels());
        }
        HfBert.MaskedLm mlm = null;
        if (maskedLm) {
            Map<String, FloatTensor> mlmTensors = new LinkedHashMap<>();
            HfBert.MaskedLm.shapes(config.architecture()).forEach((name, shape) ->
                    mlmTensors.put(name, take(all, unused, name, shape, source, config)));
            mlm = HfBert.MaskedLm.of(mlmTensors);
            tied(all, unused, HfBert.MaskedLm.DECODER_WEIGHT, tensors.get(BertWeights.WORD_EMBEDDINGS),
                    BertWeights.WORD_EMBEDDINGS, source);
            tied(all, unused, HfBert.MaskedLm.DECODER_BIAS, mlm.bias(), HfBert.MaskedLm.BIAS, source);
        }
        if (!unused.isEmpty()) {
            throw new InputException(source + ": tensor '" + unused.first() + "' is not part of a "
                    + config.modelClass() + (unused.size() > 1 ? " (nor " + (unused.size() - 1) + " more)" : "")
                    + "; is config.json's architectures right?");
        }
        return new HfBert(new BertWeights(config.architecture(), tensors), head, mlm, tokenizerJson);
    }

    /**
     * A tied copy some files hold besides the tensor it is tied to: accepted when equal, refused
     * otherwise, since our decoder cannot be untied.
     */
    private static void tied(Map<String, FloatTensor> all, TreeSet<String> unused, String name, FloatTensor tiedTo,
            String tiedName, String source) {
        FloatTensor copy = all.get(name);
        if (copy == null) {
            return;
        }
        if (!copy.equals(tiedTo)) {
            throw new InputException(source + ": tensor '" + name + "' differs from '" + tiedName
                    + "'; only a masked-LM decoder tied to it can be imported");
        }
        unused.remove(name);
    }

    private static FloatTensor take(Map<String, FloatTensor> all, TreeSet<String> unused, String name, long[] shape,
            String source, HfBertConfig.Parsed config) {
        FloatTensor t = all.get(name);
        if (t == null) {
            throw new InputException(source + " has no tensor '" + name + "', which a " + config.modelClass()
                    + " of config.json's sizes has");
        }
        if (!Arrays.equals(t.shape(), shape)) {
            throw new InputException(source + ": tensor '" + name + "' has shape " + t.shapeText()
                    + ", config.json implies " + Arrays.toString(shape));
        }
        unused.remove(name);
        return t;
    }

}
