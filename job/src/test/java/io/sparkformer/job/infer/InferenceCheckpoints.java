package io.sparkformer.job.infer;

import io.sparkformer.checkpoint.Checkpoint;
import io.sparkformer.checkpoint.CheckpointStore;
import io.sparkformer.checkpoint.TrainingState;
import io.sparkformer.config.ConfigLoader;
import io.sparkformer.config.SparkformerConfig;
import io.sparkformer.model.bert.BertGraphBuilder;
import io.sparkformer.model.gpt.GptGraphBuilder;
import io.sparkformer.model.seq2seq.Seq2SeqGraphBuilder;
import io.sparkformer.tokenize.BertTokens;
import io.sparkformer.tokenize.BpeTokenizer;
import io.sparkformer.tokenize.BpeTrainer;
import io.sparkformer.tokenize.CharTokenizer;
import io.sparkformer.tokenize.Tokenizer;
import io.sparkformer.tokenize.TranslationTokens;
import org.apache.hadoop.conf.Configuration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Tiny seeded checkpoints of the inference families written to disk (the weights are their seeded
 * initialisation: batch inference must reproduce the driver's answers, whatever they are), and the
 * synthetic sentences the tables hold.
 */
final class InferenceCheckpoints {
    static final String[] WORDS = {"the", "film", "was", "brilliant", "dull", "and", "lovely", "boring", "a", "plot",
            "ein", "Hund", "läuft", "zwei", "Katzen", "schlafen", "dog", "runs", "cats", "sleep", "."};
    private static final List<String> TINY = List.of("model.layers=1", "model.heads=2", "model.embedDim=16",
            "model.ffnDim=32", "model.contextLength=16", "train.seed=3");

    private InferenceCheckpoints() {
    }

    /** {@code n} sentences of 1 to 12 words drawn with {@code seed}. */
    static List<String> sentences(int n, long seed) {
        Random random = new Random(seed);
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            StringBuilder s = new StringBuilder();
            for (int w = 1 + random.nextInt(12); w > 0; w--) {
                s.append(s.length() == 0 ? "" : " ").append(WORDS[random.nextInt(WORDS.length)]);
            }
            out.add(s.toString());
        }
        return out;
    }

    private static SparkformerConfig config(String... more) {
        List<String> sets = new ArrayList<>(TINY);
        sets.addAll(List.of(more));
        return ConfigLoader.defaults(sets);
    }

    private static Tokenizer bpe(List<String> specials) {
        Map<String, Long> counts = new HashMap<>();
        BpeTokenizer.preTokenize(String.join(" ", sentences(200, 1))).forEach(c -> counts.merge(c, 1L, Long::sum));
        return BpeTrainer.train(counts, 300, specials);
    }

    private static String save(Path dir, String name, SparkformerConfig config, Tokenizer tokenizer,
                               ComputationGraph graph) {
        String uri = dir.resolve(name).toString();
        new CheckpointStore(uri, new Configuration(), 1).save(Checkpoint.of(TrainingState.initial(3), config,
                tokenizer, graph));
        return uri;
    }

    /** A BERT classifier with labels negative, positive, neutral; its run directory. */
    static String classifier(Path dir) {
        Tokenizer t = bpe(BertTokens.SPECIALS);
        SparkformerConfig c = config("model.family=bert", "tokenizer.type=bpe",
                "finetune.labels=[negative,positive,neutral]");
        return save(dir, "classifier", c, t, BertGraphBuilder.classifier(c, t.vocabSize(), 3, DataType.FLOAT));
    }

    /** An encoder-decoder whose two sides share one tokenizer; its run directory. */
    static String translator(Path dir) {
        Tokenizer t = bpe(TranslationTokens.SPECIALS);
        SparkformerConfig c = config("model.family=seq2seq", "tokenizer.type=bpe");
        return save(dir, "translator", c, t, Seq2SeqGraphBuilder.build(c, t.vocabSize(), t.vocabSize(),
                DataType.FLOAT));
    }

    /** A character-level GPT over {@link #WORDS}; its run directory. */
    static String gpt(Path dir) {
        Tokenizer t = CharTokenizer.fit(String.join(" ", WORDS) + "\n");
        SparkformerConfig c = config();
        return save(dir, "gpt", c, t, GptGraphBuilder.build(c, t.vocabSize(), DataType.FLOAT));
    }
}
