package io.sparkformer.job.cli;

import io.sparkformer.checkpoint.Checkpoint;
import io.sparkformer.checkpoint.CheckpointStore;
import io.sparkformer.checkpoint.TrainingState;
import io.sparkformer.config.ConfigException;
import io.sparkformer.config.ConfigLoader;
import io.sparkformer.config.SparkformerConfig;
import io.sparkformer.data.InputException;
import io.sparkformer.export.HfImporter;
import io.sparkformer.imports.BertImport;
import io.sparkformer.imports.BertParameters;
import io.sparkformer.imports.BertWeights;
import io.sparkformer.imports.HfBert;
import io.sparkformer.imports.ModelSource;
import io.sparkformer.job.train.RunDirectory;
import io.sparkformer.model.bert.BertGraphBuilder;
import io.sparkformer.model.bert.ClassifierHead;
import org.apache.hadoop.conf.Configuration;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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

    /**
     * A BERT (ONNX or Hugging Face directory) as a step-0 checkpoint: the masked-LM graph our BERT
     * family trains (its MLM head, which an encoder export lacks, keeps its fresh initialisation;
     * embed and finetune use the encoder alone), or, for a {@code BertForSequenceClassification}, a
     * classifier on the [CLS] position with the model's labels, so {@code classify} answers at once.
     * The tokenizer is stored as the file's own text, so it reloads id for id.
     */
    private int importBert(Configuration conf) {
        BertImport.Source source = BertImport.read(from, tokenizer, contextLength, conf);
        BertWeights weights = source.bert().encoder();
        HfBert.Classifier head = source.bert().classifier();
        Map<String, String> derived = new LinkedHashMap<>(BertImport.settings(weights.architecture(),
                source.tokenizer()));
        if (head != null) {
            derived.put("finetune.pooling", "first");  // BertForSequenceClassification pools the [CLS] position
        }
        SparkformerConfig effective = HfImporter.effectiveConfig(derived, config.text(conf), config.origin(),
                config.overrides(), from);
        int vocab = source.tokenizer().vocabSize();
        ComputationGraph graph;
        Map<String, INDArray> params = new LinkedHashMap<>(BertParameters.toParameters(weights,
                effective.model().architecture()));
        if (head == null) {
            graph = BertGraphBuilder.maskedLm(effective, vocab, DataType.FLOAT);
            // The masked-LM head has no pooler; embed pools the hidden states itself.
            params.remove(ClassifierHead.POOLER_WEIGHT);
            params.remove(ClassifierHead.POOLER_BIAS);
        } else {
            List<String> labels = effective.finetune().labels();
            if (!labels.isEmpty() && !labels.equals(head.labels())) {
                throw new ConfigException("finetune.labels " + labels + " disagrees with " + from + "'s labels "
                        + head.labels() + "; leave it out, the labels come from the model");
            }
            effective = effective.withFinetune(effective.finetune().withLabels(head.labels()));
            graph = BertGraphBuilder.classifier(effective, vocab, head.labels().size(), DataType.FLOAT);
            params.putAll(BertParameters.classifier(head));
        }
        assign(params, graph.getLayer(BertGraphBuilder.LAYER), from);

        RunDirectory run = new RunDirectory(out, conf);
        run.claim(overwrite);
        String configText = ConfigLoader.render(effective);
        run.writeString(RunDirectory.CONFIG, configText);
        run.writeString(RunDirectory.TOKENIZER, source.tokenizerJson());
        new CheckpointStore(run.root().toString(), conf, effective.train().keepCheckpoints()).save(
                Checkpoint.of(TrainingState.initial(effective.train().seed()), configText, source.tokenizerJson(), graph));
        LOG.info("Imported the BERT {} ({}, {} parameters, {}) into {}; use it with: embed / finetune --checkpoint {}{}",
                from, weights.architecture(), graph.numParams(), head == null ? "masked-LM graph, fresh MLM head"
                        : "classifier over " + head.labels(), run.root(), run.root(),
                head == null ? "" : " / classify --checkpoint " + run.root());
        System.out.println(run.root());
        return ExitCodes.OK;
    }

    /** Copies every imported tensor into the layer's parameter of that name, refusing unknown names and shapes. */
    static void assign(Map<String, INDArray> params, Layer layer, String origin) {
        for (Map.Entry<String, INDArray> e : params.entrySet()) {
            INDArray target = layer.paramTable().get(e.getKey());
            if (target == null) {
                throw new InputException(origin + ": imported tensor " + e.getKey() + " has no parameter of that name"
                        + " in our BERT");
            }
            if (!Arrays.equals(target.shape(), e.getValue().shape())) {
                throw new InputException(origin + ": imported tensor " + e.getKey() + " has shape "
                        + Arrays.toString(e.getValue().shape()) + " but our BERT's is " + Arrays.toString(target.shape()));
            }
            target.assign(e.getValue());
        }
    }

    static void requireHf(String format) {
        if (!"hf".equals(format)) {
            throw new InputException("--format " + format + " is not supported (only hf, Hugging Face)");
        }
    }
}
