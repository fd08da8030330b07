package io.sparkformer.checkpoint;

import io.sparkformer.config.ConfigLoader;
import io.sparkformer.config.SparkformerConfig;
import io.sparkformer.tokenize.Tokenizer;
import org.deeplearning4j.nn.graph.ComputationGraph;

import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Everything needed to resume a run or to generate from it: the model with its updater state, where
 * training stood, and the effective config and tokenizer the model was built from (on resume the
 * architecture comes from here, not from the command line).
 *
 * <p>{@code name} is the directory name, {@code step-NNNNNN} (six digits or more) and always agrees
 * with {@code state.step()}. Equality compares the model by identity, as {@link ComputationGraph} does.
 *
 * @param name          {@code step-000500} for step 500
 * @param state         step, tokens, data cursor, seed, best validation loss, elapsed time
 * @param configText    the effective config as rendered by {@link ConfigLoader#render}
 * @param tokenizerJson the tokenizer's {@code tokenizer.json}
 * @param model         parameters and updater state; do not train it while it is being saved
 * @param sourceTokenizerJson the source side's {@code tokenizer.json} of a translation model with
 *                      separate vocabularies ({@code tokenizerJson} is then the target side's); null otherwise
 */
public record Checkpoint(String name, TrainingState state, String configText, String tokenizerJson,
                         ComputationGraph model, String sourceTokenizerJson) {
    private static final Pattern NAME = Pattern.compile("step-(\\d{6,18})");

    public Checkpoint {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(state, "state");
        if (!name.equals(nameFor(state.step()))) {
            throw new IllegalArgumentException("checkpoint name '" + name + "' does not match its step "
                    + state.step() + " (expected '" + nameFor(state.step()) + "')");
        }
        Objects.requireNonNull(configText, "configText");
        Objects.requireNonNull(tokenizerJson, "tokenizerJson");
        Objects.requireNonNull(model, "model");
    }

    /** A checkpoint with one tokenizer (every family but translation with separate vocabularies). */
    public Checkpoint(String name, TrainingState state, String configText, String tokenizerJson,
                      ComputationGraph model) {
        this(name, state, configText, tokenizerJson, model, null);
    }

    /** A checkpoint named after its step. */
    public static Checkpoint of(TrainingState state, String configText, String tokenizerJson, ComputationGraph model) {
        return new Checkpoint(nameFor(state.step()), state, configText, tokenizerJson, model);
    }

    /** A checkpoint of a run with this effective config and tokenizer. */
    public static Checkpoint of(TrainingState state, SparkformerConfig config, Tokenizer tokenizer,
                                ComputationGraph model) {
        return of(state, ConfigLoader.render(config), tokenizer.toJson(), model);
    }

    /** {@code step-000500} for 500; more digits past 999999 ({@code step-1000000}). */
    public static String nameFor(long step) {
        if (step < 0) {
            throw new IllegalArgumentException("step must be >= 0, got " + step);
        }
        return String.format(Locale.ROOT, "step-%06d", step);
    }

    /** The step a checkpoint name stands for, or empty if {@code name} is not exactly {@code nameFor(step)}. */
    public static OptionalLong stepOf(String name) {
        Matcher m = NAME.matcher(name);
        if (!m.matches()) {
            return OptionalLong.empty();
        }
        long step = Long.parseLong(m.group(1));
        return nameFor(step).equals(name) ? OptionalLong.of(step) : OptionalLong.empty();
    }

    /** The stored effective config, parsed and validated. */
    public SparkformerConfig config() {
        return ConfigLoader.load(configText, name + "/" + CheckpointFiles.CONFIG, List.of());
    }

    /** The stored tokenizer (a translation model's target side). */
    public Tokenizer tokenizer() {
        return Tokenizer.fromJson(tokenizerJson);
    }

    /** A translation model's source tokenizer: its own with separate vocabularies, else {@link #tokenizer()}. */
    public Tokenizer sourceTokenizer() {
        return Tokenizer.fromJson(sourceTokenizerJson != null ? sourceTokenizerJson : tokenizerJson);
    }

    /** This checkpoint with a separate source tokenizer (null for none). */
    public Checkpoint withSourceTokenizer(String json) {
        return new Checkpoint(name, state, configText, tokenizerJson, model, json);
    }
}
