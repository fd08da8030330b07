package io.sparkformer.job.finetune;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkformer.checkpoint.Checkpoint;
import io.sparkformer.checkpoint.TrainingState;
import io.sparkformer.config.SparkformerConfig;
import io.sparkformer.config.TrainConfig;
import io.sparkformer.data.BatchSource;
import io.sparkformer.data.ExampleBatches;
import io.sparkformer.job.engine.CheckpointPolicy;
import io.sparkformer.job.engine.Family;
import io.sparkformer.job.engine.KeepBest;
import io.sparkformer.job.engine.StopRule;
import io.sparkformer.tokenize.BertTokens;
import io.sparkformer.tokenize.Tokenizer;
import io.sparkformer.train.ClassificationMetrics;
import io.sparkformer.train.ClassifierEvaluator;
import org.deeplearning4j.nn.graph.ComputationGraph;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The BERT classifier on the round engine: {@link ExampleBatches} of labeled examples, validation
 * loss, accuracy and macro F1 at each evaluation, keep-best checkpoints on validation accuracy and
 * early stopping after {@code finetune.patience} evaluations without a gain.
 */
final class ClassifierFamily implements Family {
    private final SparkformerConfig config;
    private final ComputationGraph graph;
    private final ClassifierData data;
    private final Tokenizer tokenizer;
    private final int pad;
    private final ExampleBatches batches;
    private final long examplesPerStep;
    private final KeepBest best;

    ClassifierFamily(SparkformerConfig config, ComputationGraph graph, ClassifierData data, Tokenizer tokenizer) {
        this.config = config;
        this.graph = graph;
        this.data = data;
        this.tokenizer = tokenizer;
        this.pad = BertTokens.of(tokenizer).pad();
        this.batches = new ExampleBatches(data.train(), config.train().batchSize(), config.spark().workers(),
                config.train().seed(), pad);
        this.examplesPerStep = (long) config.train().batchSize() * config.spark().workers();
        this.best = new KeepBest("val_accuracy", "validation accuracy", config.finetune().patience());
    }

    /** The best validation accuracy and its step, for the run's result. */
    KeepBest best() {
        return best;
    }

    @Override
    public ComputationGraph graph() {
        return graph;
    }

    @Override
    public BatchSource batches() {
        return batches;
    }

    @Override
    public double tokensPerStep() {
        return examplesPerStep * data.meanTrainLength();
    }

    /** Steps x the mean tokens per step, unrounded: the checkpoint's count is rounded. */
    @Override
    public double tokensAtStart(TrainingState start) {
        return start.step() * tokensPerStep();
    }

    @Override
    public String plotTitle(String runName) {
        return "Sparkformer fine-tune: " + runName;
    }

    @Override
    public void roundFields(ObjectNode line, long step) {
        line.put("epoch", batches.epochs(step));
        line.put("examples", step * examplesPerStep);
    }

    @Override
    public Map<String, Double> evaluate() {
        ClassificationMetrics m = ClassifierEvaluator.evaluate(graph, data.validation(), data.labels().values(),
                config.train().batchSize(), pad);
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("val_loss", m.loss());
        metrics.put("val_accuracy", m.accuracy());
        metrics.put("val_macro_f1", m.macroF1());
        return metrics;
    }

    @Override
    public String progressSuffix(long step, Map<String, Double> latest) {
        return " | accuracy " + KeepBest.format(latest.get("val_accuracy")) + " (best " + KeepBest.format(best.best())
                + " at step " + best.bestStep() + ")";
    }

    @Override
    public long dataCursor(long step) {
        return step * examplesPerStep;
    }

    @Override
    public Checkpoint checkpoint(TrainingState state) {
        return Checkpoint.of(state, config, tokenizer, graph);
    }

    @Override
    public CheckpointPolicy checkpoints(TrainConfig train) {
        return best;
    }

    @Override
    public StopRule stopRule() {
        return best;
    }
}
