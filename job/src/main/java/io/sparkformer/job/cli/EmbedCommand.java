package io.sparkformer.job.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkformer.checkpoint.CheckpointStore;
import io.sparkformer.data.InputException;
import io.sparkformer.embed.SentenceEmbedder;
import org.apache.hadoop.conf.Configuration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** Sentence embeddings of texts from a BERT checkpoint, on the driver: one JSON line per text. */
@Command(name = "embed", mixinStandardHelpOptions = true,
        description = "Sentence embeddings from a BERT checkpoint (pretrained, fine-tuned or imported): one JSON line"
                + " {\"text\":..., \"embedding\":[...]} per text.")
public final class EmbedCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--checkpoint", required = true, paramLabel = "URI", description = "Run or step directory")
    String checkpoint;

    @Option(names = "--pooling", paramLabel = "mean|cls",
            description = "mean of the last hidden states over the text's tokens (default), or the [CLS] state")
    String pooling = "mean";

    @Parameters(paramLabel = "TEXT", description = "Texts to embed (default: one per line on stdin)")
    List<String> texts = new ArrayList<>();

    @Override
    public Integer call() throws IOException {
        SentenceEmbedder.Pooling how = SentenceEmbedder.Pooling.parse(pooling);
        List<String> input = texts.isEmpty() ? ClassifyCommand.stdinLines() : texts;
        for (int i = 0; i < input.size(); i++) {
            if (input.get(i).isBlank()) {
                throw new InputException("text " + (i + 1) + " is empty");
            }
        }
        SentenceEmbedder embedder = SentenceEmbedder.of(CheckpointStore.open(checkpoint, new Configuration()),
                checkpoint);
        float[][] embeddings = embedder.embed(input, how);
        for (int i = 0; i < input.size(); i++) {
            ObjectNode line = JSON.createObjectNode();
            line.put("text", input.get(i));
            ArrayNode vector = line.putArray("embedding");
            for (float v : embeddings[i]) {
                vector.add(v);
            }
            System.out.println(line);
        }
        return ExitCodes.OK;
    }
}
