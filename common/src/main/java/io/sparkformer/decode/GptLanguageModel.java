package io.sparkformer.decode;

import io.sparkformer.model.gpt.GptGraphBuilder;
import io.sparkformer.model.gpt.GptLayer;
import io.sparkformer.model.gpt.GptSpec;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A {@link GptGraphBuilder} graph as a {@link LanguageModel}. Contexts longer than the model's
 * context length are cropped to their last {@code contextLength} tokens (nanoGPT's sliding window).
 *
 * <p>Contexts of equal (cropped) length share one forward pass; different lengths get separate
 * passes. Left padding with a padding mask would fit them in one pass, but it would move the real
 * tokens to later positions and so change their learned position embeddings, hence their logits.
 * Ids travel as floats (the graph's input type), exact for vocabularies below 2^24.
 *
 * <p>Not thread-safe: it runs the wrapped graph, which is not.
 */
public final class GptLanguageModel implements LanguageModel {
    private final ComputationGraph graph;
    private final GptSpec spec;

    public GptLanguageModel(ComputationGraph graph) {
        this.graph = graph;
        this.spec = ((GptLayer) graph.getLayer(GptGraphBuilder.LAYER).conf().getLayer()).spec();
    }

    public int contextLength() {
        return spec.contextLength();
    }

    public int vocabSize() {
        return spec.vocabSize();
    }

    @Override
    public double[][] nextTokenLogits(int[][] contexts) {
        Map<Integer, List<Integer>> rowsByLength = new TreeMap<>();
        for (int i = 0; i < contexts.length; i++) {
            if (contexts[i].length == 0) {
                throw new IllegalArgumentException("context " + i + " is empty; a GPT needs at least one token");
            }
            int length = Math.min(contexts[i].length, spec.contextLength());
            rowsByLength.computeIfAbsent(length, k -> new ArrayList<>()).add(i);
        }
        double[][] out = new double[contexts.length][];
        rowsByLength.forEach((length, rows) -> forward(contexts, rows, length, out));
        return out;
    }

    /** One forward pass over {@code rows}, each cropped to its last {@code length} tokens. */
    private void forward(int[][] contexts, List<Integer> rows, int length, double[][] out) {
        int batch = rows.size();
        float[][] ids = new float[batch][length];                                      // [B, T]
        for (int b = 0; b < batch; b++) {
            int[] context = contexts[rows.get(b)];
            for (int t = 0; t < length; t++) {
                ids[b][t] = context[context.length - length + t];
            }
        }
        INDArray input = Nd4j.createFromArray(ids).castTo(graph.params().dataType());
        INDArray logits = graph.outputSingle(input);                                   // [B, T, V]
        INDArray last = logits.get(NDArrayIndex.all(), NDArrayIndex.point(length - 1), NDArrayIndex.all())
                .castTo(DataType.DOUBLE).reshape(batch, spec.vocabSize());              // [B, V]
        for (int b = 0; b < batch; b++) {
            out[rows.get(b)] = last.getRow(b).toDoubleVector();
        }
    }
}
