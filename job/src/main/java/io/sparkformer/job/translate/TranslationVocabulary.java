package io.sparkformer.job.translate;

import io.sparkformer.config.SparkformerConfig;
import io.sparkformer.data.ParallelCorpus;
import io.sparkformer.data.TranslationPairs;
import io.sparkformer.tokenize.BpeTokenizer;
import io.sparkformer.tokenize.BpeTrainer;
import io.sparkformer.tokenize.Tokenizer;
import io.sparkformer.tokenize.TranslationTokens;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import scala.Tuple2;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The tokenizers of a translation model, one per side (the same one with a shared vocabulary),
 * and encoding with them. Fitting counts BPE chunks on the executors and trains on the driver, as
 * {@code prepare} does; encoding runs on the executors. Each tokenizer is a byte-level BPE of
 * {@code tokenizer.vocabSize} tokens, {@code [PAD] <s> </s>} included.
 */
public record TranslationVocabulary(Tokenizer source, Tokenizer target, boolean shared) implements Serializable {

    public TranslationTokens sourceTokens() {
        return TranslationTokens.of(source);
    }

    public TranslationTokens targetTokens() {
        return TranslationTokens.of(target);
    }

    /** The source tokenizer's JSON for a checkpoint: null when it is the target's. */
    public String separateSourceJson() {
        return shared ? null : source.toJson();
    }

    public static TranslationVocabulary fit(JavaSparkContext sc, SparkformerConfig config, ParallelCorpus corpus) {
        int vocab = config.tokenizer().vocabSize();
        if (config.seq2seq().sharedVocabulary()) {
            List<String> both = new ArrayList<>(corpus.sources());
            both.addAll(corpus.targets());
            Tokenizer t = train(sc, both, vocab);
            return new TranslationVocabulary(t, t, true);
        }
        return new TranslationVocabulary(train(sc, corpus.sources(), vocab), train(sc, corpus.targets(), vocab), false);
    }

    private static Tokenizer train(JavaSparkContext sc, List<String> lines, int vocabSize) {
        Map<String, Long> counts = new HashMap<>(sc.parallelize(lines, partitions(sc, lines.size()))
                .flatMap(line -> BpeTokenizer.preTokenize(line).iterator())
                .mapToPair(chunk -> new Tuple2<>(chunk, 1L))
                .reduceByKey(Long::sum)
                .collectAsMap());
        return BpeTrainer.train(counts, vocabSize, TranslationTokens.SPECIALS);
    }

    /** Text ids of every pair (no special tokens), encoded on the executors. */
    public TranslationPairs encode(JavaSparkContext sc, ParallelCorpus corpus) {
        return new TranslationPairs(encode(sc, source, corpus.sources()), encode(sc, target, corpus.targets()));
    }

    private static int[][] encode(JavaSparkContext sc, Tokenizer tokenizer, List<String> lines) {
        Broadcast<String> json = sc.broadcast(tokenizer.toJson());
        JavaRDD<String> rdd = sc.parallelize(lines, partitions(sc, lines.size()));
        List<int[]> ids = rdd.mapPartitions(it -> {
            Tokenizer t = Tokenizer.fromJson(json.value());
            List<int[]> out = new ArrayList<>();
            it.forEachRemaining(line -> out.add(t.encode(line)));
            return out.iterator();
        }).collect();
        return ids.toArray(int[][]::new);
    }

    private static int partitions(JavaSparkContext sc, int lines) {
        return Math.max(1, Math.min(sc.defaultParallelism(), lines / 1000 + 1));
    }
}
