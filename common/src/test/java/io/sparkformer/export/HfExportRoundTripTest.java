package io.sparkformer.export;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkformer.checkpoint.Checkpoint;
import io.sparkformer.model.gpt.GptGraphBuilder;
import org.apache.hadoop.conf.Configuration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

class HfExportRoundTripTest {
    private static final int[] IDS = {3, 1, 4, 1, 5, 9, 2, 6};

    private static File export(Checkpoint c, File dir) {
        HfExporter.export(c, Optional.empty(), dir.getAbsolutePath(), new Configuration(), false);
        return dir;
    }

    private static Safetensors weightsIn(File dir) throws IOException {
        return SafetensorsReader.read(Files.readAllBytes(new File(dir, HfFiles.MODEL).toPath()), HfFiles.MODEL);
    }

    @ParameterizedTest(name = "tiedEmbeddings={0}")
    @ValueSource(booleans = {true, false})
    void exportThenImportGivesIdenticalParametersAndLogits(boolean tied, @TempDir File dir) {
        Checkpoint original = TinyCheckpoints.checkpoint(11, "model.tiedEmbeddings=" + tied);
        export(original, dir);
        HfImporter.Imported imported = HfImporter.read(dir.getAbsolutePath(), "", "defaults", List.of(),
                new Configuration());
        ComputationGraph a = original.model();
        ComputationGraph b = imported.checkpoint().model();
        assertEquals(HfExporter.specOf(a), HfExporter.specOf(b));
        assertEquals(a.params(), b.params(), "every parameter bit for bit");
        INDArray ids = TinyCheckpoints.ids(IDS);
        assertEquals(a.outputSingle(ids), b.outputSingle(ids));
        assertEquals(original.tokenizerJson(), imported.checkpoint().tokenizerJson());
        assertEquals(0, imported.checkpoint().state().step());
        assertEquals(original.config().model(), imported.config().model());
    }

    @Test
    void tiedModelHasExactlyTheGpt2StateDictNamesWithoutLmHead() {
        Safetensors w = HfExporter.weights(TinyCheckpoints.checkpoint(1));
        assertEquals(gpt2Names(2, false), new ArrayList<>(w.tensors().keySet()));
    }

    @Test
    void untiedModelAddsLmHeadAsVocabularyByWidth() {
        Checkpoint c = TinyCheckpoints.checkpoint(2, "model.tiedEmbeddings=false");
        Safetensors w = HfExporter.weights(c);
        assertEquals(gpt2Names(2, true), new ArrayList<>(w.tensors().keySet()));
        int v = c.tokenizer().vocabSize();
        assertArrayEquals(new long[] {v, 16}, w.tensor("lm_head.weight").shape());
        INDArray head = c.model().getLayer(GptGraphBuilder.LAYER).paramTable().get("head.W");      // [C, V]
        float[] lmHead = w.tensor("lm_head.weight").data();                                      // [V, C]
        for (int token = 0; token < v; token++) {
            for (int j = 0; j < 16; j++) {
                assertEquals(head.getFloat(j, token), lmHead[token * 16 + j]);
            }
        }
    }

    @Test
    void conv1dWeightsAreCopiedWithoutTransposeAndShapedInByOut() {
        Checkpoint c = TinyCheckpoints.checkpoint(3);
        Safetensors w = HfExporter.weights(c);
        Map<String, INDArray> p = c.model().getLayer(GptGraphBuilder.LAYER).paramTable();
        assertArrayEquals(new long[] {16, 48}, w.tensor("transformer.h.1.attn.c_attn.weight").shape());
        assertArrayEquals(new long[] {16, 24}, w.tensor("transformer.h.1.mlp.c_fc.weight").shape());
        assertArrayEquals(new long[] {24, 16}, w.tensor("transformer.h.1.mlp.c_proj.weight").shape());
        assertArrayEquals(new long[] {8, 16}, w.tensor("transformer.wpe.weight").shape());
        assertArrayEquals(p.get("h1.attn.qkv.W").dup('c').reshape(16 * 48).toFloatVector(),
                w.tensor("transformer.h.1.attn.c_attn.weight").data());
        assertArrayEquals(p.get("h0.ln2.b").toFloatVector(), w.tensor("transformer.h.0.ln_2.bias").data());
    }

    @ParameterizedTest(name = "tiedEmbeddings={0}")
    @ValueSource(booleans = {true, false})
    void exportedFilesComputeOurLogitsUnderGpt2Semantics(boolean tied, @TempDir File dir) throws IOException {
        Checkpoint c = TinyCheckpoints.checkpoint(5, "model.tiedEmbeddings=" + tied);
        export(c, dir);
        JsonNode config = new ObjectMapper().readTree(new File(dir, HfFiles.CONFIG));
        double[][] expected = Gpt2Reference.logits(weightsIn(dir), config, IDS);
        INDArray ours = c.model().outputSingle(TinyCheckpoints.ids(IDS));                       // [1, T, V]
        for (int t = 0; t < IDS.length; t++) {
            for (int v = 0; v < expected[t].length; v++) {
                assertEquals(expected[t][v], ours.getDouble(0, t, v), 1e-4, "logit of token " + v + " at " + t);
            }
        }
    }

    @Test
    void metadataCarriesFormatVersionAndStep(@TempDir File dir) throws IOException {
        export(TinyCheckpoints.checkpoint(4), dir);
        assertEquals(Map.of("format", "pt", "sparkformer_version", HfExporter.SPARKFORMER_VERSION, "step", "120"),
                weightsIn(dir).metadata());
        assertEquals(List.of("README.md", "config.json", "model.safetensors", "tokenizer.json"),
                List.of(dir.list()).stream().sorted().toList(), "no .crc side files");
    }

    @Test
    void exportedTokenizerIsTheCheckpointsOwn(@TempDir File dir) throws IOException {
        Checkpoint c = TinyCheckpoints.checkpoint(6);
        export(c, dir);
        assertEquals(c.tokenizerJson(), Files.readString(new File(dir, HfFiles.TOKENIZER).toPath()));
    }

    @Test
    void anEarlierExportIsNotReplacedWithoutOverwrite(@TempDir File dir) {
        Checkpoint c = TinyCheckpoints.checkpoint(7);
        export(c, dir);
        String message = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> export(c, dir)).getMessage();
        assertEquals("output file:" + dir.getAbsolutePath() + " already holds model.safetensors: pass --overwrite to"
                + " replace an earlier export", message);
        HfExporter.export(c, Optional.empty(), dir.getAbsolutePath(), new Configuration(), true);
        assertFalse(new File(dir, ".model.safetensors.crc").exists());
    }

    /** The keys of GPT2LMHeadModel.state_dict() (without the causal-mask buffers), sorted as safetensors sorts. */
    static List<String> gpt2Names(int layers, boolean lmHead) {
        List<String> names = new ArrayList<>();
        if (lmHead) {
            names.add("lm_head.weight");
        }
        for (int i = 0; i < layers; i++) {
            for (String s : List.of("attn.c_attn.bias", "attn.c_attn.weight", "attn.c_proj.bias", "attn.c_proj.weight",
                    "ln_1.bias", "ln_1.weight", "ln_2.bias", "ln_2.weight", "mlp.c_fc.bias", "mlp.c_fc.weight",
                    "mlp.c_proj.bias", "mlp.c_proj.weight")) {
                names.add("transformer.h." + i + "." + s);
            }
        }
        names.addAll(List.of("transformer.ln_f.bias", "transformer.ln_f.weight", "transformer.wpe.weight",
                "transformer.wte.weight"));
        return names;
    }
}
