package io.sparkformer.imports;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OrtException;
import io.sparkformer.InputException;
import io.sparkformer.export.FloatTensor;
import io.sparkformer.testing.MiniLm;
import io.sparkformer.tokenize.Tokenizer;
import io.sparkformer.tokenize.WordPieceTokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The real all-MiniLM-L6-v2 ONNX file: every BERT weight is found once with its shape, and a
 * plain-Java forward pass over the mapped weights reproduces ONNX Runtime's last hidden states.
 */
class OnnxBertImporterTest {

    private static byte[] onnx;
    private static OnnxGraph graph;
    private static BertWeights weights;

    @BeforeAll
    static void load() {
        onnx = MiniLm.onnx();
        graph = OnnxGraph.parse(onnx);
        weights = OnnxBertImporter.read(onnx);
    }

    @Test
    void architectureIsMiniLmL6() {
        assertEquals(new BertArchitecture(6, 384, 12, 1536, 30522, 512, 2, 1e-12), weights.architecture(),
                "epsilon as stored in float: " + weights.architecture().layerNormEpsilon());
    }

    @Test
    void everyWeightIsFoundOnceWithItsShape() {
        Map<String, long[]> expected = BertWeights.names(weights.architecture(), false);
        assertEquals(new ArrayList<>(expected.keySet()), new ArrayList<>(weights.tensors().keySet()));
        for (Map.Entry<String, long[]> e : expected.entrySet()) {
            assertArrayEquals(e.getValue(), weights.get(e.getKey()).shape(), e.getKey());
        }
        // Every float initializer of rank 1 or 2 with more than one value is a weight, each used for one name.
        long floatWeights = graph.constants().values().stream()
                .filter(t -> t.floats() != null && t.dims().length >= 1 && t.dims().length <= 2 && t.elements() > 1)
                .count();
        assertEquals(floatWeights, weights.tensors().size(), "ONNX float weights vs mapped BERT weights");
        List<FloatTensor> tensors = new ArrayList<>(weights.tensors().values());
        for (int i = 0; i < tensors.size(); i++) {
            for (int j = i + 1; j < tensors.size(); j++) {
                assertFalse(Arrays.equals(tensors.get(i).data(), tensors.get(j).data()), "two names, one tensor");
            }
        }
    }

    @Test
    void lastHiddenStateMatchesOnnxRuntime() throws OrtException {
        WordPieceTokenizer tokenizer = (WordPieceTokenizer) Tokenizer.fromJson(MiniLm.tokenizerJson());
        List<WordPieceTokenizer.Encoding> batch = List.of(
                tokenizer.encodeSentence("The quick brown fox jumps over the lazy dog."),
                tokenizer.encodeSentence("Spark clusters fine-tune BERT on labeled tables."),
                tokenizer.encodePair("How old are you?", "I'm six."),
                tokenizer.encodeSentence("a"));
        int length = batch.stream().mapToInt(e -> e.ids().length).max().orElseThrow();
        long[][] ids = new long[batch.size()][length];
        long[][] types = new long[batch.size()][length];
        long[][] mask = new long[batch.size()][length];
        for (int b = 0; b < batch.size(); b++) {
            for (int i = 0; i < batch.get(b).ids().length; i++) {
                ids[b][i] = batch.get(b).ids()[i];
                types[b][i] = batch.get(b).typeIds()[i];
                mask[b][i] = 1;
            }
        }
        float[][][] ort = MiniLm.onnxRuntimeHiddenStates(onnx, ids, types, mask);

        BertReference reference = new BertReference(weights);
        double maxDiff = 0;
        double minCosine = 1;
        for (int b = 0; b < batch.size(); b++) {
            double[][] ours = reference.lastHiddenState(toInt(ids[b]), toInt(types[b]), toInt(mask[b]));
            double[] oursPooled = new double[ours[0].length];
            double[] ortPooled = new double[ours[0].length];
            for (int i = 0; i < length; i++) {
                for (int j = 0; j < ours[i].length; j++) {
                    maxDiff = Math.max(maxDiff, Math.abs(ours[i][j] - ort[b][i][j]));
                    if (mask[b][i] == 1) {
                        oursPooled[j] += ours[i][j];
                        ortPooled[j] += ort[b][i][j];
                    }
                }
            }
            minCosine = Math.min(minCosine, MiniLm.cosine(oursPooled, ortPooled));
        }
        System.out.printf("MiniLM vs ONNX Runtime: %d sequences x %d positions, max abs diff %.3g, min mean-pooled"
                + " cosine %.9f%n", batch.size(), length, maxDiff, minCosine);
        assertTrue(maxDiff < 1e-4, "max abs diff " + maxDiff);
        assertTrue(minCosine >= 0.9999, "cosine " + minCosine);
    }

    @Test
    void notAnOnnxFileIsRefusedInOneLine() {
        InputException e = assertThrows(InputException.class,
                () -> OnnxBertImporter.read(Arrays.copyOf(onnx, 1000)));
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        assertTrue(e.getMessage().startsWith("ONNX: "), e.getMessage());
    }

    @Test
    void aModelWithoutGraphIsRefused() {
        // ir_version = 7 and nothing else.
        InputException e = assertThrows(InputException.class, () -> OnnxBertImporter.read(new byte[] {0x08, 0x07}));
        assertEquals("ONNX: the file has no graph (is it an ONNX model?)", e.getMessage());
    }


    private static int[] toInt(long[] values) {
        return Arrays.stream(values).mapToInt(Math::toIntExact).toArray();
    }
}
