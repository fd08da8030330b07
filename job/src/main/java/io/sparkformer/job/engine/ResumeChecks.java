package io.sparkformer.job.engine;

import io.sparkformer.InputException;
import io.sparkformer.model.FamilyKind;
import io.sparkformer.checkpoint.Checkpoint;
import io.sparkformer.config.SparkformerConfig;
import io.sparkformer.job.train.RunDirectory;
import io.sparkformer.tokenize.Tokenizer;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * What a resumed run must share with its checkpoint, for every family: the architecture (the model
 * comes from the checkpoint) and everything that fixes the batch plan, the round boundaries and the
 * schedule, so that a resumed run replays the uninterrupted one exactly or is refused naming the key
 * and both values. {@code train.steps} may change: continuing a run for longer is how a finished run
 * is extended; {@code train.decaySteps} changes with it where it follows {@code train.steps} (0, the
 * default) in both. The optimiser's settings are compared too: they are part of the checkpoint's graph,
 * which a resumed run trains on, so a changed value would be silently ignored.
 */
public final class ResumeChecks {
    /** Keys of the batch plan (seed, sizes), the round boundaries (cuts) and the learning-rate schedule. */
    private static final List<String> TRAIN = List.of("seed", "batchSize", "evalEvery", "checkpointEvery",
            "learningRate", "minLearningRate", "warmupSteps", "weightDecay", "beta1", "beta2", "gradClip");
    private static final List<String> SPARK = List.of("workers", "averagingFrequency");
    private static final List<String> ALL = List.of();

    private ResumeChecks() {
    }

    /**
     * Throws {@link InputException} when {@code config} cannot resume checkpoint {@code c}, or when the
     * run has trained and this command reads other inputs than the run recorded ({@code run}'s
     * {@link RunDirectory#inputChanges()}): the batch plan would silently change.
     */
    public static void require(Checkpoint c, SparkformerConfig config, RunDirectory run) {
        require(c.name(), c.state().step(), c.config(), config);
        requireSameInputs(c.name(), c.state().step(), run.inputChanges());
    }

    static void requireSameInputs(String name, long step, List<String> inputChanges) {
        if (step > 0 && !inputChanges.isEmpty()) {
            throw new InputException("checkpoint " + name + " was trained on other inputs: "
                    + String.join("; ", inputChanges) + "; a resumed run replays its data exactly: give the run's"
                    + " inputs unchanged or start a new run");
        }
    }

    static void require(String name, long step, SparkformerConfig saved, SparkformerConfig now) {
        FamilyKind family = FamilyKind.of(now);
        boolean seq2seq = family == FamilyKind.SEQ2SEQ;
        List<String> architecture = new ArrayList<>(differences(saved, now, "model", ALL));
        if (seq2seq) {
            architecture.addAll(differences(saved, now, "tokenizer", ALL));
            architecture.addAll(differences(saved, now, "seq2seq", List.of("sharedVocabulary", "sharedEmbeddings")));
        }
        if (!architecture.isEmpty()) {
            throw new InputException("checkpoint " + name + " has a different architecture: "
                    + String.join(", ", architecture));
        }
        if (step == 0) {
            return;   // an imported model: nothing trained yet, nothing to replay
        }
        List<String> trainKeys = new ArrayList<>(TRAIN);
        if (!followsSteps(saved) || !followsSteps(now)) {
            trainKeys.add("decaySteps");
        }
        List<String> plan = new ArrayList<>(differences(saved, now, "train", trainKeys));
        plan.addAll(differences(saved, now, "spark", SPARK));
        if (family == FamilyKind.BERT_MLM) {
            plan.addAll(differences(saved, now, "bert", ALL));
            plan.addAll(differences(saved, now, "finetune", List.of("headLearningRateFactor")));
        }
        if (seq2seq) {
            plan.addAll(differences(saved, now, "data", List.of("valFraction")));
            plan.addAll(differences(saved, now, "seq2seq", List.of("labelSmoothing")));
        }
        if (!plan.isEmpty()) {
            throw new InputException("checkpoint " + name + " was trained with another batch plan or schedule: "
                    + String.join(", ", plan) + "; a resumed run replays them exactly (only train.steps may change,"
                    + " and train.decaySteps with it where it follows train.steps): keep the checkpoint's values or"
                    + " start a new run");
        }
    }

    /** {@code train.decaySteps} left at 0, which the config resolves to {@code train.steps}. */
    private static boolean followsSteps(SparkformerConfig config) {
        return config.train().decaySteps() == config.train().steps();
    }

    /** The checkpoint's tokenizer must be the one the prepared data was encoded with. */
    public static void requireSameTokenizer(Checkpoint c, Tokenizer dataTokenizer, String dataDir) {
        if (!Tokenizer.fromJson(c.tokenizerJson()).sha256().equals(dataTokenizer.sha256())) {
            throw new InputException("the tokenizer of checkpoint " + c.name() + " does not match the one in "
                    + dataDir);
        }
    }

    /**
     * {@code section.key=saved (config says now)} for each of {@code keys} (all when empty) whose value
     * differs, in the section's order: {@code model.layers=2 (config says 3)}.
     */
    private static List<String> differences(SparkformerConfig saved, SparkformerConfig now, String section,
                                            List<String> keys) {
        Record a = section(saved, section);
        Record b = section(now, section);
        List<String> diffs = new ArrayList<>();
        for (RecordComponent key : a.getClass().getRecordComponents()) {
            if (!keys.isEmpty() && !keys.contains(key.getName())) {
                continue;
            }
            Object x = value(key, a);
            Object y = value(key, b);
            if (!Objects.equals(x, y)) {
                diffs.add(section + "." + key.getName() + "=" + shown(x) + " (config says " + shown(y) + ")");
            }
        }
        return diffs;
    }

    private static Record section(SparkformerConfig config, String section) {
        for (RecordComponent c : SparkformerConfig.class.getRecordComponents()) {
            if (c.getName().equals(section)) {
                return (Record) value(c, config);
            }
        }
        throw new IllegalArgumentException("no config section " + section);
    }

    private static Object value(RecordComponent key, Record of) {
        try {
            return key.getAccessor().invoke(of);
        } catch (IllegalAccessException | InvocationTargetException e) {
            throw new IllegalStateException("cannot read " + key.getName(), e);
        }
    }

    /** As config.conf shows it: enums in lower case. */
    private static String shown(Object value) {
        return value instanceof Enum<?> e ? e.name().toLowerCase(Locale.ROOT) : String.valueOf(value);
    }
}
