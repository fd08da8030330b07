package io.sparkformer.job.cli;

import io.sparkformer.InputException;
import io.sparkformer.checkpoint.Checkpoint;
import io.sparkformer.checkpoint.CheckpointStore;
import io.sparkformer.config.ConfigLoader;
import io.sparkformer.config.SparkformerConfig;
import io.sparkformer.export.HfImporter;
import io.sparkformer.imports.BertCheckpoints;
import io.sparkformer.imports.BertImport;
import io.sparkformer.imports.HfBert;
import io.sparkformer.imports.ModelSource;
import io.sparkformer.job.train.RunDirectory;
import io.sparkformer.job.train.RunLease;
import org.apache.hadoop.conf.Configuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

/**
 * A pretrained model into a new run directory holding a step-0 checkpoint, its effective config and
 * tokenizer: a Hugging Face GPT-2 directory ({@code train --resume} fine-tunes it, {@code generate}
 * samples it), or a BERT, as an ONNX file or a Hugging Face directory ({@code finetune} and {@code
 * embed} take it; a {@code BertForSequenceClassification} also {@code classify}).
 */
@Command(name = "import", mixinStandardHelpOptions = true,
        description = "Read a pretrained model into a new run directory as a step-0 checkpoint: a Hugging Face"
                + " GPT-2 or BERT directory (config.json, model.safetensors, tokenizer.json) or an ONNX BERT.")
public final class ImportCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(ImportCommand.class);

    @Mixin
    ConfigOptions config;

    @Option(names = "--format", paramLabel = "FORMAT", description = "hf (the only format so far)")
    String format = "hf";

    @Option(names = "--from", required = true, paramLabel = "URI",
            description = "Hugging Face model directory (model_type gpt2 or bert), or an ONNX BERT file (.onnx)")
    String from;

    @Option(names = "--out", required = true, paramLabel = "URI", description = "Run directory to create (any Hadoop FS)")
    String out;

    @Option(names = "--tokenizer", paramLabel = "URI",
            description = "BERT: its tokenizer.json (default: the one in --from, or beside the ONNX file)")
    String tokenizer;

    @Option(names = "--context-length", paramLabel = "N",
            description = "BERT: longest sequence the checkpoint takes (default: the model's max_position_embeddings)")
    int contextLength;

    @Option(names = "--overwrite", description = "Replace a run already in --out")
    boolean overwrite;

    @Override
    public Integer call() {
        requireHf(format);
        Configuration conf = new Configuration();
        if (ModelSource.of(from, conf).isBert()) {
            return importBert(conf);
        }
        if (tokenizer != null || contextLength != 0) {
            throw new InputException("--tokenizer and --context-length are for BERT imports; " + from + " is a GPT-2");
        }
        HfImporter.Imported imported = HfImporter.read(from, config.text(conf), config.origin(), config.overrides(),
                conf);
        RunDirectory run = new RunDirectory(out, conf);
        try (RunLease lease = run.claim(overwrite)) {
            run.writeString(RunDirectory.CONFIG, ConfigLoader.render(imported.config()));
            run.writeString(RunDirectory.TOKENIZER, imported.checkpoint().tokenizerJson());
            new CheckpointStore(run.root().toString(), conf, imported.config().train().keepCheckpoints())
                    .save(imported.checkpoint());
        }
        LOG.info("Imported {} into {}; fine-tune with: train --config {} --corpus URI --out {} --resume", from,
                run.root(), run.file(RunDirectory.CONFIG), run.root());
        System.out.println(run.root());
        return ExitCodes.OK;
    }

    /**
     * A BERT (ONNX or Hugging Face directory) as a step-0 checkpoint ({@link BertCheckpoints#fromHf}):
     * a classifier with the model's labels for a {@code BertForSequenceClassification}, otherwise the
     * masked-LM graph (with a {@code BertForMaskedLM}'s head, else a fresh one). The tokenizer is
     * stored as the file's own text, so it reloads id for id.
     */
    private int importBert(Configuration conf) {
        BertImport.Source source = BertImport.read(from, tokenizer, contextLength, conf);
        Checkpoint checkpoint = BertCheckpoints.fromHf(source, config.text(conf), config.origin(), config.overrides());
        RunDirectory run = new RunDirectory(out, conf);
        try (RunLease lease = run.claim(overwrite)) {
            run.writeString(RunDirectory.CONFIG, checkpoint.configText());
            run.writeString(RunDirectory.TOKENIZER, source.tokenizerJson());
            new CheckpointStore(run.root().toString(), conf, checkpoint.config().train().keepCheckpoints())
                    .save(checkpoint);
        }
        HfBert bert = source.bert();
        LOG.info("Imported the BERT {} ({}, {} parameters, {}) into {}; use it with: embed / finetune --checkpoint {}{}",
                from, bert.encoder().architecture(), checkpoint.model().numParams(), bert.modelClass(), run.root(),
                run.root(), bert.classifier() != null ? " / classify --checkpoint " + run.root()
                        : bert.maskedLm() != null ? " / fill-mask --checkpoint " + run.root() : "");
        System.out.println(run.root());
        return ExitCodes.OK;
    }

    static void requireHf(String format) {
        if (!"hf".equals(format)) {
            throw new InputException("--format " + format + " is not supported (only hf, Hugging Face)");
        }
    }
}
