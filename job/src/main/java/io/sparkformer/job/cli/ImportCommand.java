package io.sparkformer.job.cli;

import io.sparkformer.checkpoint.CheckpointStore;
import io.sparkformer.config.ConfigLoader;
import io.sparkformer.data.InputException;
import io.sparkformer.export.HfImporter;
import io.sparkformer.job.train.RunDirectory;
import org.apache.hadoop.conf.Configuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

/**
 * A Hugging Face GPT-2 directory into a new run directory holding a step-0 checkpoint, its
 * effective config and tokenizer: {@code train --resume} fine-tunes it, {@code generate} samples it.
 */
@Command(name = "import", mixinStandardHelpOptions = true,
        description = "Read a Hugging Face GPT-2 model (model.safetensors, config.json, tokenizer.json) into a new run"
                + " directory as a step-0 checkpoint.")
public final class ImportCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(ImportCommand.class);

    @Mixin
    ConfigOptions config;

    @Option(names = "--format", paramLabel = "FORMAT", description = "hf (the only format so far)")
    String format = "hf";

    @Option(names = "--from", required = true, paramLabel = "URI", description = "Hugging Face model directory")
    String from;

    @Option(names = "--out", required = true, paramLabel = "URI", description = "Run directory to create (any Hadoop FS)")
    String out;

    @Option(names = "--overwrite", description = "Replace a run already in --out")
    boolean overwrite;

    @Override
    public Integer call() {
        requireHf(format);
        Configuration conf = new Configuration();
        HfImporter.Imported imported = HfImporter.read(from, config.text(conf), config.origin(), config.overrides(),
                conf);
        RunDirectory run = new RunDirectory(out, conf);
        run.claim(overwrite);
        run.writeString(RunDirectory.CONFIG, ConfigLoader.render(imported.config()));
        run.writeString(RunDirectory.TOKENIZER, imported.checkpoint().tokenizerJson());
        new CheckpointStore(run.root().toString(), conf, imported.config().train().keepCheckpoints())
                .save(imported.checkpoint());
        LOG.info("Imported {} into {}; fine-tune with: train --config {} --corpus URI --out {} --resume", from,
                run.root(), run.file(RunDirectory.CONFIG), run.root());
        System.out.println(run.root());
        return ExitCodes.OK;
    }

    static void requireHf(String format) {
        if (!"hf".equals(format)) {
            throw new InputException("--format " + format + " is not supported (only hf, Hugging Face)");
        }
    }
}
