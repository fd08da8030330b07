package io.sparkformer.job.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkformer.api.Pipelines;
import io.sparkformer.embed.SentenceEmbedder;
import io.sparkformer.job.infer.Predictors;
import io.sparkformer.job.table.TableSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** Sentence embeddings of texts from a BERT checkpoint: JSON lines on the driver, or a table on the executors. */
@Command(name = "embed", mixinStandardHelpOptions = true,
        description = "Sentence embeddings from a BERT checkpoint (pretrained, fine-tuned or imported): one JSON line"
                + " {\"text\":..., \"embedding\":[...]} per text; or, with --input/--output, a table on the executors:"
                + " its rows with the embedding as array<float>.")
public final class EmbedCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--checkpoint", required = true, paramLabel = "URI", description = "Run or step directory")
    String checkpoint;

    @Option(names = "--pooling", paramLabel = "mean|cls",
            description = "mean of the last hidden states over the text's tokens (default), or the [CLS] state")
    String pooling = "mean";

    @Parameters(paramLabel = "TEXT", description = "Texts to embed (default: one per line on stdin)")
    List<String> texts = new ArrayList<>();

    @Mixin
    InferenceTableOptions tables;

    @Mixin
    TableOptions table;

    @Override
    public Integer call() throws IOException {
        SentenceEmbedder.Pooling how = SentenceEmbedder.Pooling.parse(pooling);
        TableSpec spec = table.spec(String.valueOf(tables.input));
        if (tables.requested(spec, !texts.isEmpty(), false)) {
            return tables.run("embed", checkpoint, spec, spec.text(), Predictors.embedding(how));
        }
        List<String> input = texts.isEmpty() ? ClassifyCommand.stdinLines() : texts;
        List<float[]> embeddings = Pipelines.featureExtraction(checkpoint).embed(input, how);
        for (int i = 0; i < input.size(); i++) {
            ObjectNode line = JSON.createObjectNode();
            line.put("text", input.get(i));
            ArrayNode vector = line.putArray("embedding");
            for (float v : embeddings.get(i)) {
                vector.add(v);
            }
            System.out.println(line);
        }
        return ExitCodes.OK;
    }
}
