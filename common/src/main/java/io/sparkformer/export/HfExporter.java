package io.sparkformer.export;

import io.sparkformer.InputException;
import io.sparkformer.UserPaths;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.sparkformer.checkpoint.Checkpoint;
import io.sparkformer.model.gpt.GptGraphBuilder;
import io.sparkformer.model.gpt.GptLayer;
import io.sparkformer.model.gpt.GptSpec;
import io.sparkformer.tokenize.Tokenizer;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Writes a checkpoint as a Hugging Face model directory that {@code GPT2LMHeadModel.from_pretrained}
 * loads, on any Hadoop file system:
 * <pre>
 *   model.safetensors   the weights under GPT2LMHeadModel names ({@link Gpt2Weights}), float32,
 *                       __metadata__ {"format": "pt", "sparkformer_version", "step"}
 *   config.json         GPT2Config ({@link Gpt2Config})
 *   tokenizer.json      the checkpoint's own, already in Hugging Face tokenizers format
 *   README.md           a model card: architecture, training tokens, final losses, how to load
 * </pre>
 */
public final class HfExporter {
    /** Written into the safetensors metadata and the model card; keep in step with the project version. */
    public static final String SPARKFORMER_VERSION = "0.1.0";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final Logger LOG = LoggerFactory.getLogger(HfExporter.class);
    private static final int BUFFER = 1 << 16;

    private HfExporter() {
    }

    /**
     * Exports {@code checkpoint} into the directory {@code outUri} (created if missing).
     *
     * @param metrics   the run's losses for the model card, if known
     * @param overwrite replace the files of an earlier export in {@code outUri}
     * @return the files written
     * @throws InputException if the model is not a GPT that GPT-2 can represent, or {@code outUri}
     *                        already holds an export and {@code overwrite} is false
     */
    public static List<Path> export(Checkpoint checkpoint, Optional<RunMetrics> metrics, String outUri,
                                    Configuration conf, boolean overwrite) {
        GptSpec spec = specOf(checkpoint.model());
        Gpt2Weights.requireRepresentable(spec);
        Tokenizer tokenizer = checkpoint.tokenizer();
        if (tokenizer.vocabSize() != spec.vocabSize()) {
            throw new InputException("checkpoint " + checkpoint.name() + " is inconsistent: its tokenizer has "
                    + tokenizer.vocabSize() + " tokens but its model " + spec.vocabSize());
        }
        Safetensors weights = weights(checkpoint);
        String configJson = render(Gpt2Config.toJson(spec, tokenizer));
        long parameters = weights.tensors().values().stream().mapToLong(t -> t.data().length).sum();
        String card = ModelCard.render(checkpoint, spec, parameters, tokenizer.type(), metrics);

        Path out = UserPaths.of(outUri, "--out");
        try {
            FileSystem fs = HfFiles.fileSystem(out, conf);
            out = fs.makeQualified(out);
            prepareDirectory(fs, out, overwrite);
            Path model = new Path(out, HfFiles.MODEL);
            try (OutputStream stream = new BufferedOutputStream(fs.create(model, true), BUFFER)) {
                SafetensorsWriter.write(weights, stream);
            }
            HfFiles.writeText(fs, new Path(out, HfFiles.CONFIG), configJson);
            HfFiles.writeText(fs, new Path(out, HfFiles.TOKENIZER), checkpoint.tokenizerJson());
            HfFiles.writeText(fs, new Path(out, HfFiles.README), card);
            LOG.info("exported checkpoint {} ({} parameters) as {} to {}", checkpoint.name(), parameters,
                    Gpt2Config.ARCHITECTURE, out);
            return List.of(model, new Path(out, HfFiles.CONFIG), new Path(out, HfFiles.TOKENIZER),
                    new Path(out, HfFiles.README));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot export to " + out + ": " + e.getMessage(), e);
        }
    }

    /** The checkpoint's weights as the safetensors file {@link #export} writes. */
    public static Safetensors weights(Checkpoint checkpoint) {
        ComputationGraph graph = checkpoint.model();
        GptSpec spec = specOf(graph);
        Map<String, FloatTensor> tensors = Gpt2Weights.toGpt2(spec, graph.getLayer(GptGraphBuilder.LAYER).paramTable());
        return Safetensors.of(tensors, Map.of(
                "format", "pt",
                "sparkformer_version", SPARKFORMER_VERSION,
                "step", Long.toString(checkpoint.state().step())));
    }

    /** The spec of a GPT graph; refuses graphs of other model families. */
    public static GptSpec specOf(ComputationGraph graph) {
        GraphVertex vertex = graph.getConfiguration().getVertices().get(GptGraphBuilder.LAYER);
        if (!(vertex instanceof LayerVertex layer) || !(layer.getLayerConf().getLayer() instanceof GptLayer gpt)) {
            throw new InputException("only GPT and BERT models can be exported in Hugging Face format; this checkpoint's graph"
                    + " has no " + GptLayer.class.getSimpleName() + " named '" + GptGraphBuilder.LAYER + "'");
        }
        return gpt.spec();
    }

    private static void prepareDirectory(FileSystem fs, Path out, boolean overwrite) throws IOException {
        if (fs.exists(out)) {
            if (!fs.getFileStatus(out).isDirectory()) {
                throw new InputException("output " + out + " is a file, not a directory");
            }
            for (String name : List.of(HfFiles.MODEL, HfFiles.CONFIG, HfFiles.TOKENIZER, HfFiles.README)) {
                if (!overwrite && fs.exists(new Path(out, name))) {
                    throw new InputException("output " + out + " already holds " + name
                            + ": pass --overwrite to replace an earlier export");
                }
            }
        }
        if (!fs.mkdirs(out)) {
            throw new IOException("cannot create directory " + out);
        }
    }

    private static String render(Object json) {
        try {
            return JSON.writeValueAsString(json) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot render a JSON tree", e);
        }
    }
}
