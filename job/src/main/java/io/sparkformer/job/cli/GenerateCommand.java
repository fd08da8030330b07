package io.sparkformer.job.cli;

import io.sparkformer.api.Pipelines;
import io.sparkformer.api.TextGeneration;
import io.sparkformer.config.ConfigException;
import io.sparkformer.decode.SamplingConfig;
import io.sparkformer.job.infer.Predictors;
import io.sparkformer.job.table.TableSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Continue a prompt with a trained model (greedy, sampling, or beam search); or, with"
                + " --input/--output, every prompt of a table's text column on the executors, adding a continuation"
                + " column.")
public final class GenerateCommand implements Callable<Integer> {
    @Option(names = "--checkpoint", required = true, paramLabel = "URI", description = "Run directory or step directory")
    String checkpoint;

    @Option(names = "--prompt", paramLabel = "TEXT", description = "Text to continue (default: a newline)")
    String prompt;

    @Mixin
    InferenceTableOptions tables;

    @Mixin
    TableOptions table;

    @Option(names = "--max-tokens", paramLabel = "N")
    int maxTokens = 200;

    @Option(names = "--temperature", paramLabel = "T", description = "0 = greedy")
    double temperature = 0.8;

    @Option(names = "--top-k", paramLabel = "K", description = "0 = off")
    int topK = 0;

    @Option(names = "--top-p", paramLabel = "P", description = "1 = off")
    double topP = 1.0;

    @Option(names = "--beam", paramLabel = "N", description = "Beam search with N beams (ignores sampling options)")
    int beam = 0;

    @Option(names = "--length-penalty", paramLabel = "ALPHA", description = "GNMT length penalty for --beam")
    double lengthPenalty = 0.0;

    @Option(names = "--seed", paramLabel = "S")
    long seed = 1337;

    @Override
    public Integer call() {
        SamplingConfig sampling = new SamplingConfig(temperature, topK, topP, maxTokens, seed);
        if (beam < 0) {
            throw new ConfigException("--beam must be >= 0, got " + beam);
        }
        if (!(lengthPenalty >= 0) || Double.isInfinite(lengthPenalty)) {
            throw new ConfigException("--length-penalty must be finite and >= 0, got " + lengthPenalty);
        }
        TableSpec spec = table.spec(String.valueOf(tables.input));
        if (tables.requested(spec, prompt != null, false)) {
            return tables.run("generate", checkpoint, spec, spec.text(),
                    Predictors.generation(sampling, beam, lengthPenalty));
        }
        String text = prompt == null ? "" : prompt;
        TextGeneration gpt = Pipelines.textGeneration(checkpoint);
        System.out.println(beam > 1 ? gpt.beamSearch(text, beam, maxTokens, lengthPenalty)
                : gpt.generate(text, sampling));
        return ExitCodes.OK;
    }
}
