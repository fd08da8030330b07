package io.sparkformer.export;

import io.sparkformer.InputException;
import io.sparkformer.UserPaths;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import io.sparkformer.checkpoint.Checkpoint;
import io.sparkformer.checkpoint.TrainingState;
import io.sparkformer.config.ConfigException;
import io.sparkformer.config.ConfigLoader;
import io.sparkformer.config.SparkformerConfig;
import io.sparkformer.model.gpt.GptGraphBuilder;
import io.sparkformer.model.gpt.GptSpec;
import io.sparkformer.tokenize.Tokenizer;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads a Hugging Face GPT-2 model directory ({@code config.json}, {@code model.safetensors},
 * {@code tokenizer.json}) into our GPT, as a step-0 checkpoint to fine-tune or generate from.
 *
 * <p>The architecture comes from {@code config.json}: it sets every {@code model.*} key (and
 * {@code tokenizer.type}/{@code vocabSize} from {@code tokenizer.json}) of the effective config;
 * the rest (training, data, Spark) comes from the user's config file and overrides. A model key the
 * user gives explicitly must agree with {@code config.json}, except {@code model.dropout}, which
 * the user may change for fine-tuning.
 */
public final class HfImporter {
    private static final Logger LOG = LoggerFactory.getLogger(HfImporter.class);
    private static final String DROPOUT = "model.dropout";

    private HfImporter() {
    }

    /** What an import produces: the checkpoint to save and the effective config it was built from. */
    public record Imported(Checkpoint checkpoint, SparkformerConfig config) {
    }

    /**
     * @param fromUri      the model directory, on any Hadoop file system
     * @param configText   the user's config file content ({@code ""} for defaults)
     * @param configOrigin names it in messages
     * @param overrides    the user's {@code --set key=value}s
     * @throws InputException  naming the file, tensor and shapes when the directory does not hold a
     *                         GPT-2 our model can compute, or its files disagree with each other
     * @throws ConfigException when the user's config disagrees with {@code config.json}
     */
    public static Imported read(String fromUri, String configText, String configOrigin, List<String> overrides,
                                Configuration conf) {
        Path dir = UserPaths.of(fromUri, "--from");
        try {
            HfFiles.Directory model = HfFiles.directory(fromUri, conf);
            dir = model.path();
            Path configFile = model.file(HfFiles.CONFIG);
            GptSpec spec = Gpt2Config.fromJson(model.config(), configFile.toString());
            Path tokenizerFile = model.file(HfFiles.TOKENIZER);
            Tokenizer tokenizer = readTokenizer(model.readText(HfFiles.TOKENIZER), tokenizerFile);
            if (tokenizer.vocabSize() != spec.vocabSize()) {
                throw new InputException(configFile + " has vocab_size " + spec.vocabSize() + " but " + tokenizerFile
                        + " has " + tokenizer.vocabSize() + " tokens; our model needs them equal");
            }
            SparkformerConfig config = effectiveConfig(spec, tokenizer, configText, configOrigin, overrides,
                    configFile.toString());

            Path modelFile = model.file(HfFiles.MODEL);
            Safetensors weights = model.model();
            ComputationGraph graph = GptGraphBuilder.build(config, tokenizer.vocabSize(), DataType.FLOAT);
            GptSpec built = HfExporter.specOf(graph);
            Gpt2Weights.fromGpt2(built, weights, graph.getLayer(GptGraphBuilder.LAYER).paramTable(),
                    modelFile.toString());
            LOG.info("imported {} ({} parameters) from {}", Gpt2Config.describe(built), graph.numParams(), dir);
            Checkpoint checkpoint = Checkpoint.of(TrainingState.initial(config.train().seed()), config, tokenizer, graph);
            return new Imported(checkpoint, config);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot import " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * The user's config with the architecture of the imported model; refuses explicit user settings
     * of the architecture that disagree with it.
     */
    static SparkformerConfig effectiveConfig(GptSpec spec, Tokenizer tokenizer, String text, String origin,
                                             List<String> overrides, String modelSource) {
        return effectiveConfig(settings(spec, tokenizer), text, origin, overrides, modelSource);
    }

    /**
     * The user's config with {@code derived} (the config keys an imported model decides, as {@code
     * --set} values) applied; refuses explicit user settings of those keys that disagree, except
     * {@code model.dropout}. Shared by the GPT-2 and BERT imports.
     */
    public static SparkformerConfig effectiveConfig(Map<String, String> derived, String text, String origin,
                                                    List<String> overrides, String modelSource) {
        SparkformerConfig user = ConfigLoader.load(text, origin, overrides);
        Set<String> explicit = explicitKeys(text, overrides);
        List<String> sets = new ArrayList<>(overrides);
        derived.forEach((key, value) -> {
            if (!(key.equals(DROPOUT) && explicit.contains(DROPOUT))) {
                sets.add(key + "=" + value);
            }
        });
        SparkformerConfig effective = ConfigLoader.load(text, origin, sets);

        Config mine = ConfigFactory.parseString(ConfigLoader.render(user));
        Config theirs = ConfigFactory.parseString(ConfigLoader.render(effective));
        List<String> conflicts = new ArrayList<>();
        for (String key : derived.keySet()) {
            if (!key.equals(DROPOUT) && explicit.contains(key)
                    && !mine.getValue(key).unwrapped().equals(theirs.getValue(key).unwrapped())) {
                conflicts.add(key + " = " + mine.getValue(key).unwrapped() + " (the imported model has "
                        + theirs.getValue(key).unwrapped() + ")");
            }
        }
        if (!conflicts.isEmpty()) {
            throw new ConfigException("the config (" + origin + ", --set) disagrees with " + modelSource + ": "
                    + String.join(", ", conflicts) + "; leave these keys out, the architecture comes from the model");
        }
        return effective;
    }

    /** The config keys the imported model and tokenizer decide, as {@code --set} values. */
    static Map<String, String> settings(GptSpec spec, Tokenizer tokenizer) {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("model.family", "gpt");
        s.put("model.layers", Integer.toString(spec.arch().layers()));
        s.put("model.heads", Integer.toString(spec.arch().heads()));
        s.put("model.embedDim", Integer.toString(spec.arch().embedDim()));
        s.put("model.ffnDim", Integer.toString(spec.arch().ffnDim()));
        s.put("model.contextLength", Integer.toString(spec.contextLength()));
        s.put(DROPOUT, Double.toString(spec.arch().dropout()));
        s.put("model.positions", "learned");
        s.put("model.tiedEmbeddings", Boolean.toString(spec.tiedEmbeddings()));
        s.put("model.scaleEmbeddings", "false");
        s.put("model.layerNormEpsilon", Double.toString(spec.arch().layerNormEpsilon()));
        s.put("tokenizer.type", tokenizer.type());
        if ("bpe".equals(tokenizer.type())) {
            s.put("tokenizer.vocabSize", Integer.toString(tokenizer.vocabSize()));
        }
        return s;
    }

    /** Keys the user set: in the config file, or by {@code --set}. */
    private static Set<String> explicitKeys(String text, List<String> overrides) {
        Set<String> keys = new HashSet<>();
        addPaths(ConfigFactory.parseString(text).root(), "", keys);
        for (String o : overrides) {
            int eq = o.indexOf('=');
            if (eq > 0) {
                keys.add(o.substring(0, eq).trim());
            }
        }
        return keys;
    }

    /** Every leaf path under {@code node}; walks objects without resolving substitutions. */
    private static void addPaths(ConfigObject node, String prefix, Set<String> into) {
        for (String key : node.keySet()) {
            ConfigValue value = node.get(key);
            String path = prefix + key;
            if (value instanceof ConfigObject child) {
                addPaths(child, path + ".", into);
            } else {
                into.add(path);
            }
        }
    }

    private static Tokenizer readTokenizer(String json, Path file) {
        Tokenizer tokenizer = HfFiles.tokenizer(json, file);
        // tokenizer.json now also reads BERT's WordPiece, which a GPT-2 run has no config for.
        if (!"bpe".equals(tokenizer.type()) && !"char".equals(tokenizer.type())) {
            throw new InputException(file + ": a GPT-2 import needs a byte-level BPE or character tokenizer, got "
                    + tokenizer.type());
        }
        return tokenizer;
    }
}
