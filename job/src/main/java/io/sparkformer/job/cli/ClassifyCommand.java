package io.sparkformer.job.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkformer.InputException;
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

    @Option(names = "--pairs", description = "Each TEXT (or stdin line) is a sentence pair FIRST<TAB>SECOND; its JSON"
            + " line has \"text\" and \"pair\". Needs a model with token types (an imported BERT)")
    boolean pairs;

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
            if (pairs) {
                throw new InputException("--pairs reads TEXT arguments or stdin, not an --input table");
            }
            return tables.run("classify", checkpoint, spec, spec.text(), Predictors.classification());
        }
        TextClassification classifier = Pipelines.textClassification(checkpoint);
        List<String> input = texts.isEmpty() ? stdinLines() : texts;
        List<String> firsts = input;
        List<String> seconds = null;
        if (pairs) {
            firsts = new ArrayList<>();
            seconds = new ArrayList<>();
            for (int i = 0; i < input.size(); i++) {
                String[] parts = input.get(i).split("\t", -1);
                if (parts.length != 2) {
                    throw new InputException("text " + (i + 1) + ": --pairs expects FIRST<TAB>SECOND, got "
                            + parts.length + " tab-separated field(s)");
                }
                firsts.add(parts[0].strip());
                seconds.add(parts[1].strip());
            }
        }
        List<TextClassification.Prediction> predictions = classifier.classify(firsts, seconds);
        for (int i = 0; i < input.size(); i++) {
            ObjectNode line = JSON.createObjectNode();
            line.put("text", firsts.get(i));
            if (seconds != null) {
                line.put("pair", seconds.get(i));
            }
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
