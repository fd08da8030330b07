package io.sparkformer.job.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkformer.api.Pipelines;
import io.sparkformer.api.TextClassification;
import io.sparkformer.job.infer.Predictors;
import io.sparkformer.job.table.TableSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "classify", mixinStandardHelpOptions = true,
        description = "Label texts with a fine-tuned classifier: one JSON line per text with the label and the"
                + " probability of every label; or, with --input/--output, a table on the executors: its rows with"
                + " predicted_label and probabilities (a map label -> probability).")
public final class ClassifyCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--checkpoint", required = true, paramLabel = "URI", description = "Fine-tune run or step directory")
    String checkpoint;

    @Parameters(paramLabel = "TEXT", description = "Texts to classify (default: one per line on stdin)")
    List<String> texts = new ArrayList<>();

    @Mixin
    InferenceTableOptions tables;

    @Mixin
    TableOptions table;

    @Override
    public Integer call() throws IOException {
        TableSpec spec = table.spec(String.valueOf(tables.input));
        if (tables.requested(spec, !texts.isEmpty(), false)) {
            return tables.run("classify", checkpoint, spec, spec.text(), Predictors.classification());
        }
        TextClassification classifier = Pipelines.textClassification(checkpoint);
        List<String> input = texts.isEmpty() ? stdinLines() : texts;
        List<TextClassification.Prediction> predictions = classifier.classify(input);
        for (int i = 0; i < input.size(); i++) {
            ObjectNode line = JSON.createObjectNode();
            line.put("text", input.get(i));
            line.put("label", predictions.get(i).label());
            ObjectNode probabilities = line.putObject("probabilities");
            predictions.get(i).probabilities().forEach(probabilities::put);
            System.out.println(line);
        }
        return ExitCodes.OK;
    }

    static List<String> stdinLines() throws IOException {
        List<String> lines = new ArrayList<>();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            if (!line.isBlank()) {
                lines.add(line.strip());
            }
        }
        return lines;
    }
}
