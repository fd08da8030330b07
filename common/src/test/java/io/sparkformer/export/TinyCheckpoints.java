package io.sparkformer.export;

import io.sparkformer.checkpoint.Checkpoint;
import io.sparkformer.checkpoint.TrainingState;
import io.sparkformer.config.ConfigLoader;
import io.sparkformer.config.SparkformerConfig;
import io.sparkformer.model.gpt.GptGraphBuilder;
import io.sparkformer.tokenize.CharTokenizer;
import io.sparkformer.tokenize.Tokenizer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.List;

/** Tiny seeded GPT checkpoints whose every parameter (gains and biases included) is random. */
final class TinyCheckpoints {
    static final String TEXT = "to be, or not to be: that is the question.\n";
    static final List<String> TINY = List.of("model.layers=2", "model.heads=2", "model.embedDim=16", "model.ffnDim=24",
            "model.contextLength=8", "model.layerNormEpsilon=1e-5", "model.dropout=0.1");

    private TinyCheckpoints() {
    }

    static SparkformerConfig config(String... more) {
        List<String> sets = new ArrayList<>(TINY);
        sets.addAll(List.of(more));
        return ConfigLoader.defaults(sets);
    }

    static Checkpoint checkpoint(long seed, String... more) {
        return checkpoint(config(more), CharTokenizer.fit(TEXT), seed);
    }

    static Checkpoint checkpoint(SparkformerConfig config, Tokenizer tokenizer, long seed) {
        ComputationGraph graph = GptGraphBuilder.build(config, tokenizer.vocabSize(), DataType.FLOAT);
        Nd4j.getRandom().setSeed(seed);
        INDArray params = graph.params();
        params.assign(Nd4j.randn(DataType.FLOAT, params.shape()).muli(0.3));
        return Checkpoint.of(new TrainingState(120, 120 * 96, 120, config.train().seed(), 2.25, 5000), config,
                tokenizer, graph);
    }

    /** Token ids [1, T] as the graph takes them. */
    static INDArray ids(int... ids) {
        float[][] row = new float[1][ids.length];
        for (int i = 0; i < ids.length; i++) {
            row[0][i] = ids[i];
        }
        return Nd4j.createFromArray(row);
    }
}
