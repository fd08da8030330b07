package io.sparkformer.job.cli;

import io.sparkformer.api.Pipelines;
import io.sparkformer.api.Translation;
import io.sparkformer.data.CorpusFiles;
import io.sparkformer.data.ParallelCorpus;
import io.sparkformer.job.infer.Predictors;
import io.sparkformer.job.table.TableSpec;
import org.apache.hadoop.conf.Configuration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "translate", mixinStandardHelpOptions = true,
        description = "Translate sentences (one per line, from a file or stdin) with a seq2seq checkpoint; or, with"
                + " --input/--output, a table's source column on the executors, adding a translation column.")
public final class TranslateCommand implements Callable<Integer> {
    @Option(names = "--checkpoint", required = true, paramLabel = "URI", description = "Run directory or step directory")
    String checkpoint;

    @Mixin
    InferenceTableOptions tables;

    @Mixin
    TableOptions table;

    @Option(names = "--beam", paramLabel = "N", description = "Beam size; 1 = greedy (default)")
    int beam = 1;

    @Option(names = "--length-penalty", paramLabel = "ALPHA", description = "GNMT length penalty for --beam > 1")
    double lengthPenalty = 0.6;

    @Option(names = "--max-length", paramLabel = "N",
            description = "Output tokens at most, </s> included (default: the model's maximum length)")
    int maxLength = 0;

    @Option(names = "--batch-size", paramLabel = "N", description = "Sentences decoded together")
    int batchSize = 32;

    @Override
    public Integer call() {
        TableSpec spec = table.spec(String.valueOf(tables.input));
        if (tables.requested(spec, false, true)) {
            return tables.run("translate", checkpoint, spec, spec.source(),
                    Predictors.translation(beam, lengthPenalty, maxLength, batchSize));
        }
        String input = tables.input;
        Configuration conf = new Configuration();
        Translation model = Pipelines.translation(checkpoint, conf);
        List<String> sentences = ParallelCorpus.lines(input == null || input.equals("-") ? stdin()
                : CorpusFiles.decode(input, CorpusFiles.read(input, conf)));
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        for (String translation : model.translate(sentences, beam, lengthPenalty, maxLength, batchSize)) {
            out.println(translation);
        }
        return ExitCodes.OK;
    }

    private static String stdin() {
        try {
            return CorpusFiles.decode("<stdin>", System.in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read stdin: " + e.getMessage(), e);
        }
    }
}
