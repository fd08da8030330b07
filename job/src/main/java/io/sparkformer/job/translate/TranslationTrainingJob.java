package io.sparkformer.job.translate;

import io.sparkformer.checkpoint.Checkpoint;
import io.sparkformer.checkpoint.CheckpointStore;
import io.sparkformer.checkpoint.TrainingState;
import io.sparkformer.config.ConfigLoader;
import io.sparkformer.config.SparkformerConfig;
import io.sparkformer.config.TrainConfig;
import io.sparkformer.data.PairBatches;
import io.sparkformer.data.ParallelCorpus;
import io.sparkformer.data.TranslationPairs;
import io.sparkformer.job.engine.ResumeChecks;
import io.sparkformer.job.engine.RoundEngine;
import io.sparkformer.job.train.RunDirectory;
import io.sparkformer.job.train.RunIdentity;
import io.sparkformer.model.MemoryEstimate;
import io.sparkformer.model.seq2seq.Seq2SeqGraphBuilder;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Optional;

/**
 * {@code train} for {@code model.family = seq2seq}: an encoder-decoder trained on a parallel corpus
 * with Spark parameter averaging. The corpus is read on the driver (two aligned files or a TSV),
 * the BPE vocabulary fitted from chunk counts made on the executors, the pairs encoded on the
 * executors and broadcast once; each round every worker fits its {@link PairBatches} (a pure
 * function of step and worker, so a resumed run replays the batches of an uninterrupted one) and
 * DL4J averages parameters and Adam state. Evaluations (validation loss, and greedy BLEU on
 * {@code seq2seq.evalSentences} validation pairs) and checkpoints fall exactly on their steps.
 * Without validation files the last {@code data.valFraction} of the pairs is held out.
 */
public final class TranslationTrainingJob {
    private static final Logger LOG = LoggerFactory.getLogger(TranslationTrainingJob.class);

    public record Options(PairFiles train, PairFiles validation, String out, boolean resume, boolean overwrite) {
    }

    /** What a finished run reports. */
    public record Result(long steps, double trainLoss, Double valLoss, Double valBleu, Path runDir) {
    }

    private TranslationTrainingJob() {
    }

    public static Result run(JavaSparkContext sc, SparkformerConfig config, Options options) {
        Configuration conf = sc.hadoopConfiguration();
        RunDirectory run = new RunDirectory(options.out(), conf);
        ParallelCorpus[] split = corpusAndValidation(options, config, conf);   // read whole before --overwrite deletes
        RunIdentity identity = RunIdentity.of("train", ConfigLoader.render(config))
                .withUri("source", options.train().source(), conf).withUri("target", options.train().target(), conf)
                .withUri("corpus", options.train().tsv(), conf)
                .withUri("val-source", options.validation().source(), conf)
                .withUri("val-target", options.validation().target(), conf)
                .withUri("val-corpus", options.validation().tsv(), conf)
                .with("table", options.train().format().describe());
        boolean resume = run.claim(identity, options.resume(), options.overwrite(),
                RunDirectory.Application.of(sc)) == RunDirectory.Start.RESUME;
        TrainConfig t = config.train();
        CheckpointStore store = CheckpointStore.forRun(run.root().toString(), conf, t);
        Optional<Checkpoint> resumed = resume ? store.loadLatest() : Optional.empty();
        resumed.ifPresent(c -> ResumeChecks.require(c, config, run));

        ParallelCorpus corpus = split[0];
        ParallelCorpus validation = split[1];
        LOG.info("Parallel corpus {}: {} training pairs, {} validation pairs", options.train(), corpus.size(),
                validation.size());
        TranslationVocabulary vocabulary = resumed.map(c -> new TranslationVocabulary(c.sourceTokenizer(),
                        c.tokenizer(), c.sourceTokenizerJson() == null))
                .orElseGet(() -> TranslationVocabulary.fit(sc, config, corpus));
        LOG.info("Vocabulary: {} ({} source, {} target tokens)", vocabulary.shared() ? "shared" : "separate",
                vocabulary.source().vocabSize(), vocabulary.target().vocabSize());
        // The off-heap estimate is a decoder's with the larger vocabulary: a lower bound for the encoder-decoder.
        RoundEngine engine = new RoundEngine(sc, config, run, store, MemoryEstimate.Task.SEQ2SEQ,
                Math.max(vocabulary.source().vocabSize(), vocabulary.target().vocabSize()));
        run.writeString(RunDirectory.CONFIG, ConfigLoader.render(config));
        run.writeString(RunDirectory.TOKENIZER, vocabulary.target().toJson());
        if (!vocabulary.shared()) {
            run.writeString("source-" + RunDirectory.TOKENIZER, vocabulary.source().toJson());
        }

        int maxLength = config.model().contextLength();
        TranslationPairs all = vocabulary.encode(sc, corpus);
        TranslationPairs train = all.fitting(maxLength);
        if (train.size() < all.size()) {
            LOG.warn("{} of {} training pairs are longer than model.contextLength = {} tokens on a side (with <s> or"
                    + " </s>) and are left out", all.size() - train.size(), all.size(), maxLength);
        }
        TranslationPairs val = vocabulary.encode(sc, validation).fitting(maxLength);
        ComputationGraph graph = resumed.map(Checkpoint::model).orElseGet(() -> Seq2SeqGraphBuilder.build(config,
                vocabulary.source().vocabSize(), vocabulary.target().vocabSize(), DataType.FLOAT));
        TrainingState state = resumed.map(Checkpoint::state).orElse(TrainingState.initial(t.seed()));
        PairBatches batches = new PairBatches(train, vocabulary.sourceTokens(), vocabulary.targetTokens(),
                t.batchSize(), config.spark().workers(), t.seed());
        double tokensPerStep = (double) train.targetTokens() / train.size() * t.batchSize() * config.spark().workers();
        LOG.info("Model: {} parameters; {} worker(s) x batch {} pairs = ~{} target tokens/step, {} steps/epoch",
                graph.numParams(), config.spark().workers(), t.batchSize(), Math.round(tokensPerStep),
                Math.max(1, batches.batchesPerEpoch() / config.spark().workers()));

        int evalPairs = Math.min(val.size(), t.evalBatches() * t.batchSize());
        TranslationPairs valSubset = new TranslationPairs(java.util.Arrays.copyOf(val.sources(), evalPairs),
                java.util.Arrays.copyOf(val.targets(), evalPairs));
        List<DataSet> valBatches = PairBatches.inOrder(valSubset, t.batchSize(), vocabulary.sourceTokens(),
                vocabulary.targetTokens());
        ParallelCorpus bleuPairs = validation.head(config.seq2seq().evalSentences());
        TranslationFamily family = new TranslationFamily(config, graph, batches, valBatches, bleuPairs, vocabulary,
                tokensPerStep);
        RoundEngine.Outcome o = engine.run(family, state);
        return new Result(o.steps(), o.trainLoss(), o.latest("val_loss"), o.latest("val_bleu"), o.runDir());
    }

    /** {training, validation}: the validation files, or the last {@code data.valFraction} of the pairs. */
    private static ParallelCorpus[] corpusAndValidation(Options options, SparkformerConfig config,
                                                        Configuration conf) {
        ParallelCorpus corpus = options.train().read(conf);
        if (options.validation().isGiven()) {
            return new ParallelCorpus[] {corpus, options.validation().read(conf)};
        }
        return corpus.splitLast((int) Math.floor(corpus.size() * config.data().valFraction()));
    }
}
