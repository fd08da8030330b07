package io.sparkformer.job.cli;

import io.sparkformer.checkpoint.Checkpoint;
import io.sparkformer.config.ConfigException;
import io.sparkformer.checkpoint.CheckpointStore;
import io.sparkformer.job.engine.FamilyKind;
import io.sparkformer.decode.BeamSearch;
import io.sparkformer.decode.Generator;
import io.sparkformer.decode.GptLanguageModel;
import io.sparkformer.decode.SamplingConfig;
import io.sparkformer.tokenize.Tokenizer;
import org.apache.hadoop.conf.Configuration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Continue a prompt with a trained model (greedy, sampling, or beam search).")
public final class GenerateCommand implements Callable<Integer> {
    @Option(names = "--checkpoint", required = true, paramLabel = "URI", description = "Run directory or step directory")
    String checkpoint;

    @Option(names = "--prompt", paramLabel = "TEXT", description = "Text to continue (default: a newline)")
    String prompt = "";

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
        Checkpoint c = CheckpointStore.open(checkpoint, new Configuration());
        if (FamilyKind.SEQ2SEQ.holds(c)) {
            throw new io.sparkformer.data.InputException("checkpoint " + checkpoint
                    + " holds a translation (seq2seq) model: use translate");
        }
        if (!FamilyKind.GPT.holds(c)) {
            throw new IllegalArgumentException("generate needs a GPT checkpoint; " + checkpoint + " holds a "
                    + c.model().getLayers()[0].conf().getLayer().getClass().getSimpleName());
        }
        Tokenizer tokenizer = c.tokenizer();
        int[] context = tokenizer.encode(prompt);
        int start = tokenizer.encode("\n")[0];
        GptLanguageModel lm = new GptLanguageModel(c.model());
        int[] generated;
        if (beam > 1) {
            int[] input = context.length == 0 ? new int[] {start} : context;
            List<BeamSearch.Hypothesis> best = BeamSearch.search(lm, input, beam, maxTokens, lengthPenalty, -1);
            generated = best.get(0).tokens();
        } else {
            generated = new Generator(Generator.NONE, start).generate(lm, context, sampling);
        }
        System.out.println(prompt + tokenizer.decode(generated));
        return ExitCodes.OK;
    }
}
