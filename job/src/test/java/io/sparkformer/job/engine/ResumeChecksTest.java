package io.sparkformer.job.engine;

import io.sparkformer.InputException;
import io.sparkformer.config.ConfigLoader;
import io.sparkformer.config.SparkformerConfig;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ResumeChecksTest {
    private static final List<String> RUN = List.of("train.steps=10", "train.evalEvery=5", "train.checkpointEvery=5");

    private static SparkformerConfig config(String... overrides) {
        List<String> all = new ArrayList<>(RUN);
        all.addAll(List.of(overrides));
        return ConfigLoader.defaults(all);
    }

    private static String refusal(long step, SparkformerConfig saved, SparkformerConfig now) {
        return assertThrows(InputException.class, () -> ResumeChecks.require("step-000010", step, saved, now))
                .getMessage();
    }

    @Test
    void aChangedSeedIsRefusedNamingTheKeyAndBothValues() {
        SparkformerConfig saved = config("train.seed=1337");
        assertEquals("checkpoint step-000010 was trained with another batch plan or schedule: train.seed=1337 (config"
                + " says 7); a resumed run replays them exactly (only train.steps may change, and"
                + " train.decaySteps with it where it follows train.steps): keep the checkpoint's values or start a"
                + " new run", refusal(10, saved, config("train.seed=7")));
    }

    @Test
    void everyKeyOfThePlanAndTheRoundsIsNamed() {
        SparkformerConfig saved = config("train.batchSize=8", "spark.workers=1", "spark.averagingFrequency=5");
        String message = refusal(10, saved, config("train.batchSize=4", "spark.workers=2", "spark.averagingFrequency=2",
                "train.checkpointEvery=10", "train.warmupSteps=3", "train.learningRate=0.5"));
        assertEquals("checkpoint step-000010 was trained with another batch plan or schedule: train.batchSize=8 (config"
                + " says 4), train.learningRate=" + saved.train().learningRate() + " (config says 0.5),"
                + " train.warmupSteps=" + saved.train().warmupSteps() + " (config says 3), train.checkpointEvery=5"
                + " (config says 10), spark.workers=1 (config says 2), spark.averagingFrequency=5 (config says 2)",
                message.substring(0, message.indexOf(';')));
    }

    @Test
    void aLongerRunResumesAlthoughItsDecayFollowsTheSteps() {
        SparkformerConfig saved = config();
        SparkformerConfig longer = config("train.steps=20");
        assertEquals(10, saved.train().decaySteps());
        assertDoesNotThrow(() -> ResumeChecks.require("step-000010", 10, saved, longer));
    }

    @Test
    void theOptimiserSettingsAndAnExplicitDecayAreNamed() {
        SparkformerConfig saved = config("train.decaySteps=8", "train.weightDecay=0.1", "train.beta1=0.9",
                "train.beta2=0.95", "train.gradClip=1.0");
        String message = refusal(10, saved, config("train.decaySteps=12", "train.weightDecay=0.0", "train.beta1=0.8",
                "train.beta2=0.99", "train.gradClip=0.5"));
        assertEquals("checkpoint step-000010 was trained with another batch plan or schedule: train.decaySteps=8"
                + " (config says 12), train.weightDecay=0.1 (config says 0.0), train.beta1=0.9 (config says 0.8),"
                + " train.beta2=0.95 (config says 0.99), train.gradClip=1.0 (config says 0.5)",
                message.substring(0, message.indexOf(';')));
    }

    @Test
    void aDecayPinnedOnResumeIsRefusedWhereTheCheckpointsFollowedItsSteps() {
        SparkformerConfig saved = config();   // decaySteps = steps = 10
        String message = refusal(10, saved, config("train.steps=20", "train.decaySteps=15"));
        assertEquals("checkpoint step-000010 was trained with another batch plan or schedule: train.decaySteps=10"
                + " (config says 15)", message.substring(0, message.indexOf(';')));
        // Pinned in the first session already (the exact extension EndToEndHdfsTest replays): the same value resumes.
        assertDoesNotThrow(() -> ResumeChecks.require("step-000010", 10, config("train.decaySteps=20"),
                config("train.steps=20")));
    }

    @Test
    void anotherArchitectureIsRefusedFirst() {
        assertEquals("checkpoint step-000010 has a different architecture: model.layers=2 (config says 3)",
                refusal(10, config("model.layers=2"), config("model.layers=3", "train.seed=7")));
    }

    @Test
    void aStepZeroCheckpointTakesAnyTrainingSettings() {
        // What import writes: nothing trained yet, so there is nothing to replay.
        assertDoesNotThrow(() -> ResumeChecks.require("step-000000", 0, config("train.batchSize=2"),
                config("train.batchSize=8", "train.seed=7")));
    }

    @Test
    void familySettingsCount() {
        String[] seq2seq = {"model.family=seq2seq", "tokenizer.type=bpe"};
        assertEquals("checkpoint step-000010 has a different architecture: seq2seq.sharedVocabulary=true (config says"
                + " false), seq2seq.sharedEmbeddings=true (config says false)",
                refusal(10, config(seq2seq), config(concat(seq2seq, "seq2seq.sharedVocabulary=false",
                        "seq2seq.sharedEmbeddings=false"))));
        String[] bert = {"model.family=bert", "tokenizer.type=bpe"};
        String message = refusal(10, config(concat(bert, "bert.maskProbability=0.15")),
                config(concat(bert, "bert.maskProbability=0.2")));
        assertEquals("bert.maskProbability=0.15 (config says 0.2)",
                message.substring(message.indexOf("bert."), message.indexOf(';')));
    }

    private static String[] concat(String[] a, String... b) {
        List<String> all = new ArrayList<>(List.of(a));
        all.addAll(List.of(b));
        return all.toArray(String[]::new);
    }

    @Test
    void otherInputsAreRefusedOnlyOnceTheRunHasTrained() {
        List<String> changes = List.of("--corpus file:/a.txt (this command: file:/b.txt)");
        assertDoesNotThrow(() -> ResumeChecks.requireSameInputs("step-000000", 0, changes));   // an imported model
        assertDoesNotThrow(() -> ResumeChecks.requireSameInputs("step-000010", 10, List.of()));
        assertEquals("checkpoint step-000010 was trained on other inputs: --corpus file:/a.txt (this command:"
                + " file:/b.txt); a resumed run replays its data exactly: give the run's inputs unchanged or start a"
                + " new run", assertThrows(InputException.class,
                        () -> ResumeChecks.requireSameInputs("step-000010", 10, changes)).getMessage());
    }
}
