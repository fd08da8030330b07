package io.sparkformer.job.translate;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkformer.checkpoint.Checkpoint;
import io.sparkformer.checkpoint.TrainingState;
import io.sparkformer.config.SparkformerConfig;
import io.sparkformer.data.PairBatches;
import io.sparkformer.data.ParallelCorpus;
import io.sparkformer.decode.Seq2SeqTranslator;
import io.sparkformer.job.engine.Family;
import io.sparkformer.train.LossEvaluator;
import io.sparkformer.train.TranslationEvaluator;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.dataset.DataSet;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The encoder-decoder on the round engine: {@link PairBatches} of sentence pairs, validation loss
 * and greedy BLEU at each evaluation, a checkpoint every {@code train.checkpointEvery} steps or
 * minutes (the engine's default) that carries the source tokenizer when the vocabularies are separate.
 */
record TranslationFamily(SparkformerConfig config, ComputationGraph graph, PairBatches batches,
                         List<DataSet> valBatches, ParallelCorpus bleuPairs, TranslationVocabulary vocabulary,
                         double tokensPerStep) implements Family {

    @Override
    public String plotTitle(String runName) {
        return "Sparkformer seq2seq: " + runName;
    }

    @Override
    public void roundFields(ObjectNode line, long step) {
        line.put("epoch", batches.epochs(step));
    }

    @Override
    public Map<String, Double> evaluate() {
        Map<String, Double> m = new LinkedHashMap<>();
        if (!valBatches.isEmpty()) {
            m.put("val_loss", LossEvaluator.meanLoss(graph, valBatches));
        }
        if (bleuPairs.size() > 0) {
            m.put("val_bleu", new TranslationEvaluator(graph, vocabulary.source(), vocabulary.target())
                    .bleu(bleuPairs, Seq2SeqTranslator.Options.greedy(config.model().contextLength())).score());
        }
        return m;
    }

    @Override
    public String progressSuffix(long step, Map<String, Double> latest) {
        Double bleu = latest.get("val_bleu");
        return (bleu == null ? "" : String.format(Locale.ROOT, " | BLEU %.2f", bleu))
                + String.format(Locale.ROOT, " | epoch %.2f", batches.epochs(step));
    }

    @Override
    public long dataCursor(long step) {
        return step * config.spark().workers() * (long) config.train().batchSize();
    }

    @Override
    public Checkpoint checkpoint(TrainingState state) {
        return Checkpoint.of(state, config, vocabulary.target(), graph)
                .withSourceTokenizer(vocabulary.separateSourceJson());
    }
}
