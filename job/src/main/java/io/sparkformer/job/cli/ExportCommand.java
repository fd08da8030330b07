package io.sparkformer.job.cli;

import io.sparkformer.InputException;
import io.sparkformer.checkpoint.Checkpoint;
import io.sparkformer.checkpoint.CheckpointStore;
import io.sparkformer.export.HfExporter;
import io.sparkformer.export.RunMetrics;
import io.sparkformer.imports.BertCheckpoints;
import io.sparkformer.imports.HfBertWriter;
import io.sparkformer.model.FamilyKind;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Write a checkpoint as a Hugging Face model directory: a GPT as GPT2LMHeadModel (model.safetensors,"
                + " config.json, tokenizer.json, README.md); a BERT classifier as BertForSequenceClassification, a"
                + " BERT masked LM as BertForMaskedLM, or with --encoder either as BertModel (model.safetensors,"
                + " config.json, tokenizer.json).")
public final class ExportCommand implements Callable<Integer> {
    @Option(names = "--checkpoint", required = true, paramLabel = "URI", description = "Run directory or step directory")
    String checkpoint;

    @Option(names = "--format", paramLabel = "FORMAT", description = "hf (the only format so far)")
    String format = "hf";

    @Option(names = "--out", required = true, paramLabel = "URI", description = "Directory to write (any Hadoop FS)")
    String out;

    @Option(names = "--encoder", description = "BERT: write the encoder alone as BertModel (the head left behind);"
            + " what an imported encoder (ONNX, BertModel) is, since its masked-LM head was never trained")
    boolean encoder;

    @Option(names = "--overwrite", description = "Replace the files of an earlier export in --out")
    boolean overwrite;

    @Override
    public Integer call() {
        ImportCommand.requireHf(format);
        Configuration conf = new Configuration();
        Checkpoint c = CheckpointStore.open(checkpoint, conf);
        FamilyKind kind = FamilyKind.of(c).orElse(null);
        List<Path> files;
        if (kind == FamilyKind.BERT_MLM || kind == FamilyKind.BERT_CLASSIFIER) {
            files = HfBertWriter.write(BertCheckpoints.toHf(c, encoder, checkpoint), out, conf, overwrite);
        } else if (encoder) {
            throw new InputException("--encoder is for BERT checkpoints; " + checkpoint + " holds "
                    + (kind == null ? "another model" : kind.describe()));
        } else {
            files = HfExporter.export(c, RunMetrics.beside(checkpoint, c.state().step(), conf), out, conf, overwrite);
        }
        files.forEach(System.out::println);
        return ExitCodes.OK;
    }
}
