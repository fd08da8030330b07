package io.sparkformer.job.finetune;

import io.sparkformer.InputException;
import io.sparkformer.checkpoint.Checkpoint;
import io.sparkformer.checkpoint.CheckpointStore;
import io.sparkformer.checkpoint.TrainingState;
import io.sparkformer.config.ConfigLoader;
import io.sparkformer.config.SparkformerConfig;
import io.sparkformer.model.FamilyKind;
import io.sparkformer.job.engine.ResumeChecks;
import io.sparkformer.job.engine.RoundEngine;
import io.sparkformer.job.table.TableSpec;
import io.sparkformer.job.train.RunDirectory;
import io.sparkformer.job.train.RunIdentity;
import io.sparkformer.model.MemoryEstimate;
import io.sparkformer.model.bert.BertGraphBuilder;
import io.sparkformer.model.bert.BertLayer;
import io.sparkformer.tokenize.Tokenizer;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Locale;
import java.util.Optional;

/**
 * {@code finetune}: a BERT classifier trained on a labeled table, starting from a BERT checkpoint's
 * encoder (or, with {@code fromScratch}, from its architecture and tokenizer only: the baseline).
 * Rounds of Spark parameter averaging as in {@code train}; every {@code train.evalEvery} steps the
 * validation accuracy is measured, a checkpoint is written when it is the best so far (so the run's
 * LATEST is always the best model), and training stops after {@code finetune.patience} evaluations
 * without a gain.
 *
 * <p>The architecture and the tokenizer come from the checkpoint; the fine-tune config gives
 * {@code train.*}, {@code spark.*}, {@code finetune.*} and {@code model.dropout}.
 */
public final class FinetuneJob {
    private static final Logger LOG = LoggerFactory.getLogger(FinetuneJob.class);

    /**
     * What the user asked for on the command line besides the config; {@code validation} may be null;
     * {@code table}: how the labeled tables are read (files per {@code finetune.format}, or Spark SQL).
     */
    public record Options(String checkpoint, boolean fromScratch, String train, String validation, TableSpec table,
                          String out, boolean overwrite) {
        /** Labeled TSV/CSV files. */
        public Options(String checkpoint, boolean fromScratch, String train, String validation, String out,
                       boolean overwrite) {
            this(checkpoint, fromScratch, train, validation, TableSpec.FILES, out, overwrite);
        }
    }

    /** What a finished fine-tune reports: the best validation accuracy and where it was reached. */
    public record Result(long steps, double bestAccuracy, long bestStep, boolean stoppedEarly, Path runDir) {
    }

    private FinetuneJob() {
    }

    public static Result run(JavaSparkContext sc, SparkformerConfig fineTuneConfig, Options options) {
        Configuration conf = sc.hadoopConfiguration();
        Checkpoint start = CheckpointStore.open(options.checkpoint(), conf);
        BertGraphBuilder.layer(start.model(), BertLayer.class, "checkpoint " + options.checkpoint());
        SparkformerConfig config = effectiveConfig(fineTuneConfig, start.config());
        Tokenizer tokenizer = start.tokenizer();
        // Every input is read and checked before the run directory is claimed (--overwrite deletes).
        ClassifierData data = ClassifierData.load(options.train(), options.validation(), options.table(), config,
                tokenizer, conf);
        config = config.withFinetune(config.finetune().withLabels(data.labels().values()));
        LOG.info("Effective config:\n{}", ConfigLoader.render(config));
        LOG.info("{} training and {} validation examples, labels {}", data.train().size(), data.validation().size(),
                data.labels().values());
        RunDirectory run = new RunDirectory(options.out(), conf);
        RunIdentity identity = RunIdentity.of("finetune", ConfigLoader.render(config))
                .withUri("checkpoint", options.checkpoint(), conf)
                .with("from-scratch", options.fromScratch() ? "true" : null)
                .withUri("train", options.train(), conf).withUri("validation", options.validation(), conf)
                .with("table", options.table().describe());
        boolean resume = run.claim(identity, false, options.overwrite(), RunDirectory.Application.of(sc))
                == RunDirectory.Start.RESUME;
        CheckpointStore store = CheckpointStore.forRun(run.root().toString(), conf, config.train());
        Optional<Checkpoint> resumed = resume ? store.loadLatest() : Optional.empty();
        if (resumed.isPresent()) {
            ResumeChecks.require(resumed.get(), config, run);
        }

        RoundEngine engine = new RoundEngine(sc, config, run, store, MemoryEstimate.Task.BERT_CLASSIFIER,
                tokenizer.vocabSize());   // off-heap check
        ComputationGraph graph;
        if (resumed.isPresent()) {
            // LATEST is the best checkpoint so far: the steps after it are trained again, as before.
            graph = resumed.get().model();
            LOG.info("Resuming the fine-tune in {} from its best checkpoint {}", run.root(), resumed.get().name());
        } else {
            graph = BertGraphBuilder.classifier(config, tokenizer.vocabSize(), data.labels().size(), DataType.FLOAT);
            if (options.fromScratch()) {
                LOG.info("From scratch: random initialisation (architecture and tokenizer of {})", start.name());
            } else {
                long copied = BertGraphBuilder.copyEncoder(start.model(), graph);
                LOG.info("Encoder ({} parameters) from {} {}; new classifier head", copied, options.checkpoint(),
                        start.name());
            }
        }
        run.writeString(RunDirectory.CONFIG, ConfigLoader.render(config));
        run.writeString(RunDirectory.TOKENIZER, tokenizer.toJson());
        // On SIGTERM the fine-tune stops after its round without a checkpoint: LATEST is kept the best
        // model, and a rerun replays the steps after it.
        ClassifierFamily family = new ClassifierFamily(config, graph, data, tokenizer);
        RoundEngine.Outcome o = engine.run(family,
                resumed.map(Checkpoint::state).orElse(TrainingState.initial(config.train().seed())));
        return new Result(o.steps(), family.best().best(), family.best().bestStep(), o.stoppedEarly(), o.runDir());
    }

    /** The fine-tune's settings on the checkpoint's architecture (with the fine-tune's dropout) and tokenizer. */
    static SparkformerConfig effectiveConfig(SparkformerConfig fineTune, SparkformerConfig pretrained) {
        if (FamilyKind.of(pretrained) != FamilyKind.BERT_MLM) {
            throw new InputException("finetune needs a BERT checkpoint; this one is model.family = "
                    + FamilyKind.of(pretrained).configName());
        }
        return fineTune.withArchitecture(pretrained.model().withDropout(fineTune.model().dropout()),
                pretrained.tokenizer());
    }
}
