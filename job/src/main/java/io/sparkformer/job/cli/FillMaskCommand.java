package io.sparkformer.job.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkformer.api.FillMask;
import io.sparkformer.api.Pipelines;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** The most probable tokens behind each [MASK] of texts, from a masked-LM checkpoint: one JSON line per text. */
@Command(name = "fill-mask", mixinStandardHelpOptions = true,
        description = "Predict the tokens behind each [MASK] with a BERT masked LM: one JSON line per text,"
                + " {\"text\":..., \"masks\":[[{\"token\":..., \"id\":..., \"probability\":...}, ...], ...]}.")
public final class FillMaskCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--checkpoint", required = true, paramLabel = "URI", description = "Masked-LM run or step directory")
    String checkpoint;

    @Option(names = "--top-k", paramLabel = "K", description = "Candidates per [MASK] (default: 5)")
    int topK = 5;

    @Parameters(paramLabel = "TEXT", description = "Texts with [MASK] (default: one per line on stdin)")
    List<String> texts = new ArrayList<>();

    @Override
    public Integer call() throws IOException {
        FillMask fillMask = Pipelines.fillMask(checkpoint);
        List<String> input = texts.isEmpty() ? ClassifyCommand.stdinLines() : texts;
        List<List<List<FillMask.Candidate>>> answers = fillMask.fill(input, topK);
        for (int i = 0; i < input.size(); i++) {
            ObjectNode line = JSON.createObjectNode();
            line.put("text", input.get(i));
            ArrayNode masks = line.putArray("masks");
            for (List<FillMask.Candidate> candidates : answers.get(i)) {
                ArrayNode list = masks.addArray();
                for (FillMask.Candidate c : candidates) {
                    list.addObject().put("token", c.token()).put("id", c.id()).put("probability", c.probability());
                }
            }
            System.out.println(line);
        }
        return ExitCodes.OK;
    }
}
