package io.sparkformer.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;

import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The one path from text to typed config: defaults, then a HOCON file, then {@code --set key=value}
 * overrides. Strict as nanoGPT's configurator: an unknown key or a value of the wrong type is an
 * error naming the key and where it came from.
 */
public final class ConfigLoader {
    private static final String DEFAULTS = "io/sparkformer/config/defaults.conf";

    private ConfigLoader() {
    }

    /** Parses config text (a file's content); {@code origin} names it in error messages. */
    public static SparkformerConfig load(String text, String origin, List<String> overrides) {
        return load(text, origin, overrides, include -> {
            throw new ConfigException(origin + " includes " + include + ", but a config given as text has no directory");
        });
    }

    /**
     * Parses the text of the config file {@code origin} (a URI or path); its {@code include "x.conf"}
     * statements are read with {@code read} from the directory of the including file.
     */
    public static SparkformerConfig load(String text, String origin, List<String> overrides,
                                         Function<String, String> read) {
        Config file;
        try {
            file = ConfigFactory.parseString(text, RelativeIncluder.options(origin, read, 0));
        } catch (com.typesafe.config.ConfigException e) {
            throw new ConfigException("cannot parse " + origin + ": " + e.getMessage(), e);
        }
        return fromConfig(withOverrides(file, overrides));
    }

    /** Defaults only, with overrides: what tests and {@code --set} without a file use. */
    public static SparkformerConfig defaults(List<String> overrides) {
        return load("", "defaults", overrides);
    }

    /**
     * The BERT-only architecture keys, rendered only when they differ from the defaults: runs recorded
     * before these keys existed hold no such line, and a resume compares the rendered text.
     */
    private static String bertOnlyKeys(ModelConfig m) {
        StringBuilder s = new StringBuilder();
        if (m.norm() != ModelConfig.Norm.PRE) {
            s.append("  norm = ").append(lower(m.norm())).append('\n');
        }
        if (m.activation() != ModelConfig.Activation.GELU_TANH) {
            s.append("  activation = ").append(lower(m.activation())).append('\n');
        }
        if (m.typeVocabSize() != 0) {
            s.append("  typeVocabSize = ").append(m.typeVocabSize()).append('\n');
        }
        return s.toString();
    }

    /** Renders every key of the effective config as HOCON, for {@code config.conf} and checkpoints. */
    public static String render(SparkformerConfig c) {
        ModelConfig m = c.model();
        TrainConfig t = c.train();
        return String.join("\n",
                "model {",
                "  family = " + lower(m.family()),
                "  layers = " + m.layers(),
                "  heads = " + m.heads(),
                "  embedDim = " + m.embedDim(),
                "  ffnDim = " + m.ffnDim(),
                "  contextLength = " + m.contextLength(),
                "  dropout = " + m.dropout(),
                "  positions = " + lower(m.positions()),
                "  tiedEmbeddings = " + m.tiedEmbeddings(),
                "  scaleEmbeddings = " + m.scaleEmbeddings(),
                "  layerNormEpsilon = " + m.layerNormEpsilon(),
                bertOnlyKeys(m) + "}",
                "tokenizer {",
                "  type = " + lower(c.tokenizer().type()),
                "  vocabSize = " + c.tokenizer().vocabSize(),
                "}",
                "data {",
                "  valFraction = " + c.data().valFraction(),
                "  shards = " + c.data().shards(),
                "}",
                "train {",
                "  batchSize = " + t.batchSize(),
                "  steps = " + t.steps(),
                "  learningRate = " + t.learningRate(),
                "  minLearningRate = " + t.minLearningRate(),
                "  warmupSteps = " + t.warmupSteps(),
                "  decaySteps = " + t.decaySteps(),
                "  weightDecay = " + t.weightDecay(),
                "  beta1 = " + t.beta1(),
                "  beta2 = " + t.beta2(),
                "  gradClip = " + t.gradClip(),
                "  evalEvery = " + t.evalEvery(),
                "  evalBatches = " + t.evalBatches(),
                "  checkpointEvery = " + t.checkpointEvery(),
                "  keepCheckpoints = " + t.keepCheckpoints(),
                "  seed = " + t.seed(),
                "  onNonFinite = " + lower(t.onNonFinite()),
                "  checkpointEveryMinutes = " + t.checkpointEveryMinutes(),
                "  shutdownGraceSeconds = " + t.shutdownGraceSeconds(),
                "  checkpointRetries = " + t.checkpointRetries(),
                "  checkpointRetrySeconds = " + t.checkpointRetrySeconds(),
                "  maxSkippedSteps = " + t.maxSkippedSteps(),
                "  progressSeconds = " + t.progressSeconds(),
                "}",
                "spark {",
                "  workers = " + c.spark().workers(),
                "  averagingFrequency = " + c.spark().averagingFrequency(),
                "  threadsPerWorker = " + c.spark().threadsPerWorker(),
                "}",
                "seq2seq {",
                "  sharedVocabulary = " + c.seq2seq().sharedVocabulary(),
                "  sharedEmbeddings = " + c.seq2seq().sharedEmbeddings(),
                "  labelSmoothing = " + c.seq2seq().labelSmoothing(),
                "  evalSentences = " + c.seq2seq().evalSentences(),
                "}",
                "bert {",
                "  maskProbability = " + c.bert().maskProbability(),
                "}",
                "finetune {",
                "  format = " + lower(c.finetune().format()),
                "  textColumn = " + quoted(c.finetune().textColumn()),
                // pairColumn only when set: runs recorded before sentence pairs hold no such line.
                "  labelColumn = " + quoted(c.finetune().labelColumn())
                        + (c.finetune().pairs() ? "\n  pairColumn = " + quoted(c.finetune().pairColumn()) : ""),
                "  labels = " + quoted(c.finetune().labels()),
                "  patience = " + c.finetune().patience(),
                "  pooling = " + lower(c.finetune().pooling()),
                "  headLearningRateFactor = " + c.finetune().headLearningRateFactor(),
                "}",
                "");
    }

    private static Config withOverrides(Config file, List<String> overrides) {
        Config result = file;
        // Later overrides win, so apply them last-to-first as fallbacks of each other.
        for (String override : overrides) {
            int eq = override.indexOf('=');
            if (eq <= 0) {
                throw new ConfigException("--set expects key=value, got '" + override + "'");
            }
            String key = override.substring(0, eq).trim();
            String value = override.substring(eq + 1).trim();
            Config one;
            try {
                one = ConfigFactory.parseString(key + " = " + quoteIfNeeded(value),
                        ConfigParseOptions.defaults().setOriginDescription("--set " + key));
            } catch (com.typesafe.config.ConfigException e) {
                throw new ConfigException("--set " + override + ": " + e.getMessage(), e);
            }
            result = one.withFallback(result);
        }
        return result;
    }

    private static String quoteIfNeeded(String value) {
        return value.matches("[A-Za-z0-9_.+-]+") ? value
                : com.typesafe.config.ConfigValueFactory.fromAnyRef(value).render(ConfigRenderOptions.concise());
    }

    private static SparkformerConfig fromConfig(Config user) {
        Config defaults = ConfigFactory.parseResources(ConfigLoader.class.getClassLoader(), DEFAULTS);
        rejectUnknownKeys(user, defaults);
        Config c = user.withFallback(defaults).resolve();
        Typed t = new Typed(c);
        ModelConfig model = new ModelConfig(
                t.enumValue("model.family", ModelConfig.ModelFamily.class),
                t.intValue("model.layers"),
                t.intValue("model.heads"),
                t.intValue("model.embedDim"),
                t.intValue("model.ffnDim"),
                t.intValue("model.contextLength"),
                t.doubleValue("model.dropout"),
                t.enumValue("model.positions", ModelConfig.Positions.class),
                t.booleanValue("model.tiedEmbeddings"),
                t.booleanValue("model.scaleEmbeddings"),
                t.doubleValue("model.layerNormEpsilon"),
                t.enumValue("model.norm", ModelConfig.Norm.class),
                t.enumValue("model.activation", ModelConfig.Activation.class),
                t.intValue("model.typeVocabSize"));
        TokenizerConfig tokenizer = new TokenizerConfig(
                t.enumValue("tokenizer.type", TokenizerConfig.Type.class),
                t.intValue("tokenizer.vocabSize"));
        DataConfig data = new DataConfig(t.doubleValue("data.valFraction"), t.intValue("data.shards"));
        TrainConfig train = new TrainConfig(
                t.intValue("train.batchSize"),
                t.intValue("train.steps"),
                t.doubleValue("train.learningRate"),
                t.doubleValue("train.minLearningRate"),
                t.intValue("train.warmupSteps"),
                t.intValue("train.decaySteps"),
                t.doubleValue("train.weightDecay"),
                t.doubleValue("train.beta1"),
                t.doubleValue("train.beta2"),
                t.doubleValue("train.gradClip"),
                t.intValue("train.evalEvery"),
                t.intValue("train.evalBatches"),
                t.intValue("train.checkpointEvery"),
                t.intValue("train.keepCheckpoints"),
                t.longValue("train.seed"),
                t.enumValue("train.onNonFinite", TrainConfig.NonFinitePolicy.class),
                t.doubleValue("train.checkpointEveryMinutes"),
                t.intValue("train.shutdownGraceSeconds"),
                t.intValue("train.checkpointRetries"),
                t.intValue("train.checkpointRetrySeconds"),
                t.intValue("train.maxSkippedSteps"),
                t.intValue("train.progressSeconds"),
                t.enumValue("train.precision", TrainConfig.Precision.class));
        SparkConfig spark = new SparkConfig(
                t.intValue("spark.workers"),
                t.intValue("spark.averagingFrequency"),
                t.intValue("spark.threadsPerWorker"));
        Seq2SeqConfig seq2seq = new Seq2SeqConfig(
                t.booleanValue("seq2seq.sharedVocabulary"),
                t.booleanValue("seq2seq.sharedEmbeddings"),
                t.doubleValue("seq2seq.labelSmoothing"),
                t.intValue("seq2seq.evalSentences"));
        BertConfig bert = new BertConfig(t.doubleValue("bert.maskProbability"));
        FinetuneConfig finetune = new FinetuneConfig(
                t.enumValue("finetune.format", FinetuneConfig.Format.class),
                t.stringValue("finetune.textColumn"),
                t.stringValue("finetune.labelColumn"),
                t.stringValue("finetune.pairColumn"),
                t.stringList("finetune.labels"),
                t.intValue("finetune.patience"),
                t.enumValue("finetune.pooling", FinetuneConfig.Pooling.class),
                t.doubleValue("finetune.headLearningRateFactor"));
        return new SparkformerConfig(model, tokenizer, data, train, spark, seq2seq, bert, finetune);
    }

    private static void rejectUnknownKeys(Config user, Config defaults) {
        for (Map.Entry<String, ConfigValue> e : user.entrySet()) {
            if (!defaults.hasPath(e.getKey())) {
                throw new ConfigException("unknown config key '" + e.getKey() + "' ("
                        + e.getValue().origin().description() + ")");
            }
        }
    }

    private static String quoted(Object value) {
        return com.typesafe.config.ConfigValueFactory.fromAnyRef(value).render(ConfigRenderOptions.concise());
    }

    private static String lower(Enum<?> e) {
        return e.name().toLowerCase(java.util.Locale.ROOT);
    }

    /** Typed getters whose errors name the key and its origin. */
    private record Typed(Config c) {
        int intValue(String key) {
            long v = longValue(key);
            if (v != (int) v) {
                throw new ConfigException(key + " is out of range for an integer: " + v + " (" + origin(key) + ")");
            }
            return (int) v;
        }

        long longValue(String key) {
            try {
                ConfigValue v = c.getValue(key);
                if (v.valueType() != ConfigValueType.NUMBER && v.valueType() != ConfigValueType.STRING) {
                    throw wrongType(key, "an integer");
                }
                double d = c.getDouble(key);
                if (d != Math.rint(d)) {
                    throw wrongType(key, "an integer");
                }
                return c.getLong(key);
            } catch (com.typesafe.config.ConfigException.WrongType e) {
                throw wrongType(key, "an integer");
            }
        }

        double doubleValue(String key) {
            try {
                return c.getDouble(key);
            } catch (com.typesafe.config.ConfigException.WrongType e) {
                throw wrongType(key, "a number");
            }
        }

        boolean booleanValue(String key) {
            try {
                return c.getBoolean(key);
            } catch (com.typesafe.config.ConfigException.WrongType e) {
                throw wrongType(key, "true or false");
            }
        }

        String stringValue(String key) {
            ConfigValue v = c.getValue(key);
            if (v.valueType() == ConfigValueType.OBJECT || v.valueType() == ConfigValueType.LIST) {
                throw wrongType(key, "a string");
            }
            return c.getString(key);
        }

        /** A list, or (as {@code --set} gives it) a string "[a, b]" or "a,b". */
        List<String> stringList(String key) {
            ConfigValue v = c.getValue(key);
            if (v.valueType() == ConfigValueType.LIST) {
                try {
                    return c.getStringList(key);
                } catch (com.typesafe.config.ConfigException.WrongType e) {
                    throw wrongType(key, "a list of strings");
                }
            }
            if (v.valueType() != ConfigValueType.STRING) {
                throw wrongType(key, "a list of strings");
            }
            String text = c.getString(key).trim();
            if (text.startsWith("[") && text.endsWith("]")) {
                text = text.substring(1, text.length() - 1);
            }
            return text.isBlank() ? List.of()
                    : java.util.Arrays.stream(text.split(",")).map(String::trim).toList();
        }

        <E extends Enum<E>> E enumValue(String key, Class<E> type) {
            try {
                return ConfigChecks.parseEnum(key, c.getString(key), type);
            } catch (com.typesafe.config.ConfigException.WrongType e) {
                throw wrongType(key, "a name");
            }
        }

        private ConfigException wrongType(String key, String expected) {
            String shown = c.getValue(key).render(ConfigRenderOptions.concise());
            return new ConfigException(key + " must be " + expected + ", got " + shown + " (" + origin(key) + ")");
        }

        private String origin(String key) {
            return c.getValue(key).origin().description();
        }
    }
}
