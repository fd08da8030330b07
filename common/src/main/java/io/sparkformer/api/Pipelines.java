package io.sparkformer.api;

import io.sparkformer.InputException;
import io.sparkformer.checkpoint.Checkpoint;
import io.sparkformer.checkpoint.CheckpointStore;
import io.sparkformer.model.FamilyKind;
import org.apache.hadoop.conf.Configuration;
import org.deeplearning4j.nn.graph.ComputationGraph;

/**
 * One-line access to a trained model from any Java or Scala program, no Spark needed: load a
 * checkpoint from any Hadoop URI (a run directory, its newest or best checkpoint, or a
 * {@code checkpoints/step-N} directory) and ask it in plain Java types.
 * <pre>{@code
 * TextGeneration gpt = Pipelines.textGeneration("hdfs:///runs/shakespeare");
 * String text = gpt.generate("ROMEO:", SamplingConfig.greedy(40));
 * }</pre>
 * A checkpoint of another kind is an {@link InputException} naming it and what it holds.
 */
public final class Pipelines {
    private Pipelines() {
    }

    /** A GPT checkpoint continuing prompts (what {@code generate} does). */
    public static TextGeneration textGeneration(String uri) {
        return textGeneration(uri, new Configuration());
    }

    public static TextGeneration textGeneration(String uri, Configuration conf) {
        return new TextGeneration(open(uri, conf), uri);
    }

    /** A fine-tuned classifier labeling texts (what {@code classify} does). */
    public static TextClassification textClassification(String uri) {
        return textClassification(uri, new Configuration());
    }

    public static TextClassification textClassification(String uri, Configuration conf) {
        return new TextClassification(open(uri, conf), uri);
    }

    /** A BERT masked LM predicting the tokens behind each [MASK] (what {@code fill-mask} does). */
    public static FillMask fillMask(String uri) {
        return fillMask(uri, new Configuration());
    }

    public static FillMask fillMask(String uri, Configuration conf) {
        return new FillMask(open(uri, conf), uri);
    }

    /** An encoder-decoder translating sentences (what {@code translate} does). */
    public static Translation translation(String uri) {
        return translation(uri, new Configuration());
    }

    public static Translation translation(String uri, Configuration conf) {
        return new Translation(open(uri, conf), uri);
    }

    /** Mean-pooled sentence embeddings from any BERT checkpoint (what {@code embed} writes). */
    public static FeatureExtraction featureExtraction(String uri) {
        return featureExtraction(uri, new Configuration());
    }

    public static FeatureExtraction featureExtraction(String uri, Configuration conf) {
        return new FeatureExtraction(open(uri, conf), uri);
    }

    private static Checkpoint open(String uri, Configuration conf) {
        return CheckpointStore.open(uri, conf);
    }

    /**
     * The one whole-model layer of a checkpoint when it is of {@code type}; otherwise an input error
     * saying what the checkpoint holds and which pipeline wanted what.
     */
    static <L> L layer(Checkpoint c, Class<L> type, String uri) {
        ComputationGraph graph = c.model();
        Object layer = graph.getLayers().length == 1 ? graph.getLayers()[0].conf().getLayer() : null;
        if (!type.isInstance(layer)) {
            String held = FamilyKind.of(c).map(FamilyKind::describe).orElse(layer == null
                    ? "a graph of " + graph.getLayers().length + " layers" : "a " + layer.getClass().getSimpleName());
            String wanted = java.util.Arrays.stream(FamilyKind.values()).filter(k -> k.layer() == type)
                    .map(FamilyKind::describe).findFirst().orElse("a " + type.getSimpleName());
            throw new InputException("checkpoint " + uri + " holds " + held + ", not " + wanted);
        }
        return type.cast(layer);
    }
}
