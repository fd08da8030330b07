package io.sparkformer.job.train;

import io.sparkformer.InputException;
import io.sparkformer.checkpoint.Checkpoint;
import io.sparkformer.checkpoint.CheckpointStore;
import io.sparkformer.checkpoint.TrainingState;
import io.sparkformer.config.ConfigLoader;
import io.sparkformer.config.SparkformerConfig;
import io.sparkformer.config.TrainConfig;
import io.sparkformer.data.BatchPlan;
import io.sparkformer.data.DataManifest;
import io.sparkformer.data.HadoopConf;
import io.sparkformer.data.ShardedTokenSource;
import io.sparkformer.data.UnigramEntropy;
import io.sparkformer.job.engine.ResumeChecks;
import io.sparkformer.job.engine.RoundEngine;
import io.sparkformer.job.prepare.PrepareJob;
import io.sparkformer.job.table.TableSpec;
import io.sparkformer.model.MemoryEstimate;
import io.sparkformer.tokenize.Tokenizer;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Optional;

/**
 * {@code train} for GPT and BERT: claims the run directory, prepares (or finds) the token shards,
 * builds or resumes the model and hands it to the {@link RoundEngine} as a {@link LanguageModelFamily}.
 */
public final class TrainingJob {
    private static final Logger LOG = LoggerFactory.getLogger(TrainingJob.class);

    /** What the user asked for on the command line besides the config; {@code table}: how --corpus is read. */
    public record Options(String corpus, TableSpec table, String out, boolean resume, boolean overwrite) {
        /** A corpus of text files (or a prepared data directory). */
        public Options(String corpus, String out, boolean resume, boolean overwrite) {
            this(corpus, TableSpec.FILES, out, resume, overwrite);
        }
    }

    /**
     * What a finished run reports.
     * {@code meanTokensPerSecond}: training tokens of this session over its wall time (evaluation and
     * checkpoints included); {@code trainingTokensPerSecond}: over the time spent in training rounds only;
     * {@code valUnigram}: the validation tokens' unigram entropy (null without validation tokens).
     */
    public record Result(long steps, double trainLoss, Double valLoss, Double valUnigram, double meanTokensPerSecond,
                         double trainingTokensPerSecond, Path runDir) {
    }

    private TrainingJob() {
    }

    public static Result run(JavaSparkContext sc, SparkformerConfig config, Options options) {
        HadoopConf hconf = new HadoopConf(sc.hadoopConfiguration());
        RunDirectory run = new RunDirectory(options.out(), hconf.get());
        // Every check that needs no run is made before the claim, which deletes the run under --overwrite.
        // What was checked is passed on: a prepared --corpus is not read again, nor a corpus's files listed again.
        boolean prepared = !options.table().isTable() && RunDirectory.isPrepared(options.corpus(), hconf.get());
        Optional<PreparedData> preparedCorpus = Optional.empty();
        Optional<PrepareJob.CheckedCorpus> corpus = Optional.empty();
        int vocabularyAtLeast = 2;   // the smallest vocabulary a model takes
        if (prepared) {
            PreparedData data = PreparedData.read(options.corpus(), hconf);
            vocabularyAtLeast = data.tokenizer().vocabSize();
            FamilyTraining.of(config, data.tokenizer()).plan(data.manifest().trainTokens());   // a split too short
            preparedCorpus = Optional.of(data);
        } else {
            corpus = Optional.of(PrepareJob.CheckedCorpus.of(config, options.corpus(), options.table(), hconf));
        }
        if (options.overwrite() && !options.resume()) {
            // A new run: its tokenizer is fitted here (unless the data is prepared), its vocabulary is at least
            // this large, and the off-heap estimate grows with the vocabulary.
            if (!prepared) {
                PrepareJob.requireFittable(config);
            }
            MemoryEstimate.Task task = MemoryEstimate.Task.of(config.model());
            OffHeapBudget.check(sc, config, task, vocabularyAtLeast);
            // Spark's limits on a round's results, for a model at least this large (SparkRounds checks the built one).
            long resultBytes = JvmMemory.resultBytes(MemoryEstimate.of(config, task, vocabularyAtLeast));
            RoundSizeLimits.check(sc.getConf(), resultBytes, config.spark().workers());
        }
        boolean resume = run.claim(RunIdentity.of("train", ConfigLoader.render(config))
                        .withUri("corpus", options.corpus(), hconf.get()).with("table", options.table().describe()),
                options.resume(), options.overwrite(),
                RunDirectory.Application.of(sc)) == RunDirectory.Start.RESUME;
        TrainConfig t = config.train();
        CheckpointStore store = CheckpointStore.forRun(run.root().toString(), hconf.get(), t);
        Optional<Checkpoint> resumed = resume ? store.loadLatest() : Optional.empty();
        if (resume && resumed.isEmpty()) {
            LOG.info("No checkpoint in {}: starting a new run", run.root());
        }
        resumed.ifPresent(c -> ResumeChecks.require(c, config, run));

        String dataDir = preparedCorpus.isPresent() ? options.corpus()
                : dataDirectory(sc, config, corpus.orElseThrow(), run, hconf, resumed.map(Checkpoint::tokenizer));
        PreparedData data = preparedCorpus.isPresent() ? preparedCorpus.get() : PreparedData.read(dataDir, hconf);
        DataManifest manifest = data.manifest();
        Tokenizer tokenizer = data.tokenizer();
        resumed.ifPresent(c -> ResumeChecks.requireSameTokenizer(c, tokenizer, dataDir));
        RoundEngine engine = new RoundEngine(sc, config, run, store, MemoryEstimate.Task.of(config.model()),
                tokenizer.vocabSize());   // off-heap check
        run.writeString(RunDirectory.CONFIG, ConfigLoader.render(config));
        run.writeString(RunDirectory.TOKENIZER, tokenizer.toJson());

        FamilyTraining family = FamilyTraining.of(config, tokenizer);
        ComputationGraph graph = resumed.map(Checkpoint::model).orElseGet(() -> family.newGraph(tokenizer.vocabSize()));
        TrainingState state = resumed.map(Checkpoint::state).orElse(TrainingState.initial(t.seed()));
        LOG.info("Model: {} parameters, vocabulary {}, {} worker(s) x batch {} x context {} = {} tokens/step",
                graph.numParams(), tokenizer.vocabSize(), config.spark().workers(), t.batchSize(),
                config.model().contextLength(), config.tokensPerStep());

        ShardedTokenSource train = ShardedTokenSource.train(dataDir, manifest, hconf);
        ShardedTokenSource val = ShardedTokenSource.validation(dataDir, manifest, hconf);
        BatchPlan plan = family.plan(manifest.trainTokens());
        double unigram = UnigramEntropy.nats(val);
        if (!Double.isNaN(unigram)) {
            LOG.info("Validation split: {} tokens; a model that ignores context scores at best {} nats/token on it "
                    + "(its unigram entropy)", val.size(), Progress.loss(unigram));
        }
        RoundEngine.Outcome o = engine.run(new LanguageModelFamily(config, tokenizer, graph, plan,
                family.trainBatches(train, plan), family.validation(val)), state);
        return new Result(o.steps(), o.trainLoss(), o.latest("val_loss"), Double.isNaN(unigram) ? null : unigram,
                o.meanTokensPerSecond(),
                o.trainingTokensPerSecond(), o.runDir());
    }

    /**
     * A prepared data directory's manifest and tokenizer, checked against each other and each shard's
     * length against the manifest (file metadata only: the shards' checksums are verified when read).
     */
    record PreparedData(DataManifest manifest, Tokenizer tokenizer) {
        static PreparedData read(String dataDir, HadoopConf hconf) {
            DataManifest manifest = DataManifest.fromJson(PrepareJob.readString(new Path(dataDir, DataManifest.FILE),
                    hconf.get()), dataDir + "/" + DataManifest.FILE);
            Tokenizer tokenizer = Tokenizer.fromJson(
                    PrepareJob.readString(new Path(dataDir, PrepareJob.TOKENIZER_FILE), hconf.get()));
            if (!tokenizer.sha256().equals(manifest.tokenizerSha256())) {
                throw new InputException("tokenizer.json in " + dataDir + " does not match its manifest");
            }
            for (DataManifest.Shard s : manifest.shards()) {
                Path shard = new Path(dataDir, s.file());
                long expected = s.tokens() * manifest.bytesPerToken();
                long actual;
                try {
                    actual = shard.getFileSystem(hconf.get()).getFileStatus(shard).getLen();
                } catch (java.io.FileNotFoundException e) {
                    throw new InputException("token shard " + shard + " is missing: the data directory is corrupt");
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException("cannot read token shard " + shard + ": " + e.getMessage(), e);
                }
                if (actual != expected) {
                    throw new InputException("token shard " + shard + " has " + actual + " bytes, expected " + expected
                            + " (" + s.tokens() + " tokens): the data directory is corrupt");
                }
            }
            return new PreparedData(manifest, tokenizer);
        }
    }

    /**
     * The prepared data to train on when {@code --corpus} is not prepared data itself: data prepared
     * earlier in the run, or the corpus prepared now, with the resumed checkpoint's tokenizer if there
     * is one (so that an imported model can be fine-tuned on new text).
     */
    private static String dataDirectory(JavaSparkContext sc, SparkformerConfig config, PrepareJob.CheckedCorpus corpus,
                                        RunDirectory run, HadoopConf hconf, Optional<Tokenizer> resumedTokenizer) {
        String dataDir = run.file(RunDirectory.DATA).toString();
        if (RunDirectory.isPrepared(dataDir, hconf.get())) {
            LOG.info("Using the data prepared earlier in {}", dataDir);
            return dataDir;
        }
        PrepareJob.run(sc, config, corpus, dataDir, resumedTokenizer);
        return dataDir;
    }
}
