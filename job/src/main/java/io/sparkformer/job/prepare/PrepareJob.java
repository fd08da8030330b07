package io.sparkformer.job.prepare;

import io.sparkformer.InputException;
import io.sparkformer.UserPaths;
import io.sparkformer.config.ConfigException;
import io.sparkformer.config.SparkformerConfig;
import io.sparkformer.config.TokenizerConfig;
import io.sparkformer.data.CorpusFiles;
import io.sparkformer.data.DataManifest;
import io.sparkformer.data.HadoopConf;
import io.sparkformer.data.TextSplits;
import io.sparkformer.data.TokenShards;
import io.sparkformer.model.FamilyKind;
import io.sparkformer.job.table.TableSpec;
import io.sparkformer.job.table.Tables;
import io.sparkformer.tokenize.BertTokens;
import io.sparkformer.tokenize.BpeTokenizer;
import io.sparkformer.tokenize.BpeTrainer;
import io.sparkformer.tokenize.CharTokenizer;
import io.sparkformer.tokenize.Tokenizer;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple2;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.UUID;

/**
 * {@code prepare}: corpus files (any Hadoop FS, plain or compressed) or a table's text column to a
 * data directory of token shards. The driver lists files and fits the tokenizer from statistics the
 * executors compute (distinct characters, or BPE chunk counts); executors decode (strict UTF-8) and
 * encode one piece each (a line-aligned range of a file, or a table partition) and write its shard. Everything goes to a temporary directory that is renamed into place, manifest last, so
 * a data directory either is complete or does not exist.
 */
public final class PrepareJob {
    private static final Logger LOG = LoggerFactory.getLogger(PrepareJob.class);
    public static final String TOKENIZER_FILE = "tokenizer.json";

    private PrepareJob() {
    }

    public static DataManifest run(JavaSparkContext sc, SparkformerConfig config, String corpusUri, String dataDir) {
        return run(sc, config, corpusUri, TableSpec.FILES, dataDir, Optional.empty());
    }

    /**
     * As {@link #run(JavaSparkContext, SparkformerConfig, String, String)}, but the corpus is read as
     * {@code spec} says (text files or a table's column), and with a tokenizer given (the one of a
     * checkpoint being resumed or fine-tuned) the corpus is encoded with it instead of fitting a new one.
     */
    public static DataManifest run(JavaSparkContext sc, SparkformerConfig config, String corpusUri, TableSpec spec,
                                   String dataDir, Optional<Tokenizer> given) {
        if (given.isEmpty()) {
            requireFittable(config);   // before the corpus is listed and read
        }
        return prepare(sc, config, CheckedCorpus.of(config, corpusUri, spec, new HadoopConf(sc.hadoopConfiguration())),
                dataDir, given);
    }

    /** As above for a corpus whose driver-side checks have passed (its files are not listed or read again). */
    public static DataManifest run(JavaSparkContext sc, SparkformerConfig config, CheckedCorpus corpus,
                                   String dataDir, Optional<Tokenizer> given) {
        if (given.isEmpty()) {
            requireFittable(config);
        }
        return prepare(sc, config, corpus, dataDir, given);
    }

    private static DataManifest prepare(JavaSparkContext sc, SparkformerConfig config, CheckedCorpus corpus,
                                        String dataDir, Optional<Tokenizer> given) {
        String corpusUri = corpus.uri();
        HadoopConf hconf = new HadoopConf(sc.hadoopConfiguration());
        JavaRDD<Tuple2<String, String>> texts = texts(sc, corpus, hconf).cache();
        long nonEmpty = texts.filter(t -> !t._2().isEmpty()).count();
        if (nonEmpty == 0) {
            throw new InputException("corpus " + corpusUri + " is empty");
        }
        Tokenizer tokenizer = given.isPresent() ? given.get()
                : fitTokenizer(config.tokenizer(), specialTokens(config), texts);
        LOG.info("Tokenizer: {} with {} tokens", tokenizer.type(), tokenizer.vocabSize());

        Path target = UserPaths.of(dataDir, "--out");
        Path tmp = new Path(target.getParent(), "." + target.getName() + ".tmp-" + UUID.randomUUID());
        int bytesPerToken = TokenShards.bytesPerToken(tokenizer.vocabSize());
        Broadcast<String> tokenizerJson = sc.broadcast(tokenizer.toJson());
        String tmpDir = tmp.toString();
        List<Tuple2<String, Long>> written = texts
                .zipWithIndex()
                .map(t -> {
                    Tokenizer tok = Tokenizer.fromJson(tokenizerJson.value());
                    int[] ids = tok.encode(t._1()._2());
                    String name = String.format("part-%05d.tok", t._2());
                    String attempt = "attempt-" + TaskContext.get().taskAttemptId();
                    String sha = TokenShards.write(new Path(tmpDir, name), hconf.get(), ids, bytesPerToken, attempt);
                    return new Tuple2<>(t._1()._1() + "\t" + name + "\t" + sha, (long) ids.length);
                })
                .collect();
        texts.unpersist();

        List<DataManifest.Shard> shards = new ArrayList<>();
        long total = 0;
        for (Tuple2<String, Long> w : written) {
            String[] parts = w._1().split("\t");
            if (w._2() == 0) {
                LOG.warn("Corpus piece {} is empty; it contributes no tokens", parts[0]);
            }
            shards.add(new DataManifest.Shard(parts[1], parts[0], w._2(), parts[2]));
            total += w._2();
        }
        long valTokens = (long) Math.floor(total * config.data().valFraction());
        long trainTokens = total - valTokens;
        int window = config.model().contextLength() + 1;
        if (trainTokens < window) {
            deleteQuietly(tmp, hconf);
            throw new InputException("corpus " + corpusUri + " has " + trainTokens + " training tokens, fewer than one window"
                    + " of model.contextLength + 1 = " + window);
        }
        if (valTokens > 0 && valTokens < window) {
            deleteQuietly(tmp, hconf);
            throw new InputException("corpus " + corpusUri + " leaves " + valTokens + " validation tokens, fewer than one"
                    + " window of " + window + ": use a larger corpus or data.valFraction");
        }
        DataManifest manifest = new DataManifest(DataManifest.FORMAT, tokenizer.sha256(), tokenizer.vocabSize(),
                bytesPerToken, shards, trainTokens, valTokens);
        try {
            FileSystem fs = tmp.getFileSystem(hconf.get());
            // Failed or speculative attempts may have left their partial shards behind.
            for (var leftover : fs.globStatus(new Path(tmp, ".*.partial"))) {
                fs.delete(leftover.getPath(), false);
            }
            writeString(fs, new Path(tmp, TOKENIZER_FILE), tokenizer.toJson());
            writeString(fs, new Path(tmp, DataManifest.FILE), manifest.toJson());
            if (fs.exists(target)) {
                throw new InputException("data directory " + target + " already exists");
            }
            fs.mkdirs(target.getParent());
            if (!fs.rename(tmp, target)) {
                throw new IOException("rename " + tmp + " -> " + target + " failed");
            }
        } catch (IOException e) {
            deleteQuietly(tmp, hconf);
            throw new UncheckedIOException("cannot finish data directory " + target + ": " + e.getMessage(), e);
        }
        LOG.info("Prepared {} tokens ({} train, {} validation) in {} shard(s)", total, trainTokens, valTokens,
                shards.size());
        return manifest;
    }

    /** Checked before the corpus is read: a WordPiece vocabulary comes with a pretrained model. */
    public static void requireFittable(SparkformerConfig config) {
        if (config.tokenizer().type() == TokenizerConfig.Type.WORDPIECE) {
            throw new ConfigException("tokenizer.type = wordpiece cannot be fitted on a corpus: it comes with an"
                    + " imported BERT (sparkformer import); use bpe or char");
        }
    }

    /**
     * The driver-side checks of a corpus of text files, before any task starts (and before
     * {@code --overwrite} deletes a run): every file's start ({@link CorpusFiles#checkStart}), a corpus
     * with no text, and one too short for a single training window. The token count is not known
     * before encoding; a file's decompressed bytes bound it (a character or byte-level BPE token
     * covers at least one byte), so only a corpus read whole is refused here, and the exact count is
     * checked again after encoding.
     *
     * @return the corpus's files, in path order
     */
    private static List<String> checkCorpus(SparkformerConfig config, String corpusUri, HadoopConf hconf) {
        List<String> files = CorpusFiles.list(corpusUri, hconf.get());
        long bytes = CorpusFiles.checkStarts(corpusUri, files, hconf.get());
        long trainAtMost = bytes - (long) Math.floor(bytes * config.data().valFraction());
        int window = config.model().contextLength() + 1;
        if (bytes >= 0 && trainAtMost < window && config.tokenizer().type() != TokenizerConfig.Type.WORDPIECE) {
            throw new InputException("corpus " + corpusUri + " has at most " + trainAtMost + " training tokens ("
                    + bytes + " bytes), fewer than one window of model.contextLength + 1 = " + window);
        }
        return files;
    }

    /**
     * A corpus whose driver-side checks passed, made before {@code train} claims its run directory:
     * for text files, the files {@link #checkCorpus} listed (so that preparing does not list them and
     * read their starts again); for a table, none ({@link Tables#requireTexts} checked its column).
     */
    public record CheckedCorpus(String uri, TableSpec spec, List<String> files) {
        public CheckedCorpus {
            files = List.copyOf(files);
        }

        public static CheckedCorpus of(SparkformerConfig config, String uri, TableSpec spec, HadoopConf hconf) {
            if (spec.isTable()) {
                Tables.requireTexts(uri, spec);
                return new CheckedCorpus(uri, spec, List.of());
            }
            return new CheckedCorpus(uri, spec, checkCorpus(config, uri, hconf));
        }
    }

    /**
     * The corpus as {@code (piece name, text)}: a table's column one partition per piece, or text files
     * (decompressed by extension) cut into line-aligned pieces of at most the Hadoop split size, so
     * that no file is read whole by one task. Files are checked on the driver first.
     */
    private static JavaRDD<Tuple2<String, String>> texts(JavaSparkContext sc, CheckedCorpus corpus, HadoopConf hconf) {
        TableSpec spec = corpus.spec();
        if (spec.isTable()) {
            LOG.info("Preparing column '{}' of {} table {}", spec.text(), spec.format().sourceName(), corpus.uri());
            return Tables.texts(sc, corpus.uri(), spec);
        }
        List<String> files = corpus.files();
        List<TextSplits.Split> splits = TextSplits.of(files, hconf.get());
        LOG.info("Preparing {} corpus file(s) in {} piece(s) from {}", files.size(), splits.size(), corpus.uri());
        return sc.parallelize(splits, Math.max(1, splits.size()))
                .flatMap(s -> TextSplits.read(s, hconf.get()).stream()
                        .map(c -> new Tuple2<>(c.name(), c.decode(s.file())))
                        .iterator());
    }

    /** Special tokens the model family needs in its vocabulary (BERT's [PAD], [CLS], [SEP], [MASK]). */
    static List<String> specialTokens(SparkformerConfig config) {
        return FamilyKind.of(config) == FamilyKind.BERT_MLM ? BertTokens.SPECIALS : List.of();
    }

    private static Tokenizer fitTokenizer(TokenizerConfig config, List<String> specials,
                                          JavaRDD<Tuple2<String, String>> texts) {
        if (config.type() == TokenizerConfig.Type.CHAR) {
            TreeSet<Integer> codePoints = texts
                    .map(t -> {
                        TreeSet<Integer> set = new TreeSet<>();
                        t._2().codePoints().forEach(set::add);
                        return set;
                    })
                    .reduce((a, b) -> {
                        a.addAll(b);
                        return a;
                    });
            return CharTokenizer.ofCodePoints(codePoints);
        }
        Map<String, Long> counts = new HashMap<>(texts
                .flatMap(t -> BpeTokenizer.preTokenize(t._2()).iterator())
                .mapToPair(chunk -> new Tuple2<>(chunk, 1L))
                .reduceByKey(Long::sum)
                .collectAsMap());
        return BpeTrainer.train(counts, config.vocabSize(), specials);
    }

    public static String readString(Path path, org.apache.hadoop.conf.Configuration conf) {
        try (var in = path.getFileSystem(conf).open(path)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path + ": " + e.getMessage(), e);
        }
    }

    private static void writeString(FileSystem fs, Path path, String text) throws IOException {
        try (var out = fs.create(path, false)) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        }
    }

    private static void deleteQuietly(Path path, HadoopConf conf) {
        try {
            path.getFileSystem(conf.get()).delete(path, true);
        } catch (IOException e) {
            LOG.warn("Could not remove temporary {}: {}", path, e.getMessage());
        }
    }
}
