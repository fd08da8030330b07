package io.sparkformer.job.cli;

import io.sparkformer.checkpoint.Checkpoint;
import io.sparkformer.checkpoint.CheckpointStore;
import io.sparkformer.export.HfExporter;
import io.sparkformer.export.RunMetrics;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Write a checkpoint as a Hugging Face model directory (GPT2LMHeadModel: model.safetensors,"
                + " config.json, tokenizer.json, README.md).")
public final class ExportCommand implements Callable<Integer> {
    @Option(names = "--checkpoint", required = true, paramLabel = "URI", description = "Run directory or step directory")
    String checkpoint;

    @Option(names = "--format", paramLabel = "FORMAT", description = "hf (the only format so far)")
    String format = "hf";

    @Option(names = "--out", required = true, paramLabel = "URI", description = "Directory to write (any Hadoop FS)")
    String out;

    @Option(names = "--overwrite", description = "Replace the files of an earlier export in --out")
    boolean overwrite;

    @Override
    public Integer call() {
        ImportCommand.requireHf(format);
        Configuration conf = new Configuration();
        Checkpoint c = CheckpointStore.open(checkpoint, conf);
        List<Path> files = HfExporter.export(c, RunMetrics.beside(checkpoint, c.state().step(), conf), out, conf,
                overwrite);
        files.forEach(System.out::println);
        return ExitCodes.OK;
    }
}
