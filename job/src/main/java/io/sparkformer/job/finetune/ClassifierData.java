package io.sparkformer.job.finetune;

import io.sparkformer.InputException;
import io.sparkformer.config.FinetuneConfig;
import io.sparkformer.config.SparkformerConfig;
import io.sparkformer.data.ClassLabels;
import io.sparkformer.data.LabeledExamples;
import io.sparkformer.data.LabeledTable;
import io.sparkformer.job.table.TableSpec;
import io.sparkformer.tokenize.BertTokens;
import io.sparkformer.tokenize.Tokenizer;
import org.apache.hadoop.conf.Configuration;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * The encoded training and validation examples of a fine-tune and its class labels. Without a
 * validation table, a seeded {@code data.valFraction} of the training rows is held out instead.
 */
record ClassifierData(ClassLabels labels, LabeledExamples train, LabeledExamples validation) {

    static ClassifierData load(String trainUri, String validationUri, TableSpec table, SparkformerConfig config,
                               Tokenizer tokenizer, Configuration conf) {
        FinetuneConfig f = config.finetune();
        List<LabeledTable.Row> rows = LabeledData.read(trainUri, f, table, conf);
        ClassLabels labels = f.labels().isEmpty() ? ClassLabels.of(rows, trainUri) : new ClassLabels(f.labels());
        List<LabeledTable.Row> validation;
        String validationOrigin;
        if (validationUri != null) {
            validation = LabeledData.read(validationUri, f, table, conf);
            validationOrigin = validationUri;
        } else {
            int held = (int) Math.floor(rows.size() * config.data().valFraction());
            if (held < 1) {
                throw new InputException("no validation table: pass --validation, or hold out training rows with"
                        + " data.valFraction > 0 (now " + config.data().valFraction() + " of " + rows.size() + " rows)");
            }
            List<LabeledTable.Row> shuffled = new ArrayList<>(rows);
            Collections.shuffle(shuffled, new Random(config.train().seed()));
            validation = List.copyOf(shuffled.subList(0, held));
            rows = List.copyOf(shuffled.subList(held, shuffled.size()));
            validationOrigin = trainUri + " (held out)";
        }
        BertTokens specials = BertTokens.of(tokenizer);
        int context = config.model().contextLength();
        int types = config.model().typeVocabSize();
        return new ClassifierData(labels,
                LabeledExamples.encode(rows, trainUri, tokenizer, specials, labels, context, types),
                LabeledExamples.encode(validation, validationOrigin, tokenizer, specials, labels, context, types));
    }

    /** Mean tokens per training example ([CLS] and [SEP] included). */
    double meanTrainLength() {
        long sum = 0;
        for (int[] t : train.tokens()) {
            sum += t.length;
        }
        return (double) sum / train.size();
    }
}
