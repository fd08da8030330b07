package io.sparkformer.job.infer;

import io.sparkformer.api.FeatureExtraction;
import io.sparkformer.api.Pipelines;
import io.sparkformer.api.TextClassification;
import io.sparkformer.api.TextGeneration;
import io.sparkformer.api.Translation;
import io.sparkformer.decode.SamplingConfig;
import io.sparkformer.embed.SentenceEmbedder;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;

import java.util.ArrayList;
import java.util.List;

/** The result columns of {@code classify}, {@code embed}, {@code translate} and {@code generate} over a table. */
public final class Predictors {
    public static final String LABEL = "predicted_label";
    public static final String PROBABILITIES = "probabilities";
    public static final String EMBEDDING = "embedding";
    public static final String TRANSLATION = "translation";
    public static final String CONTINUATION = "continuation";

    private Predictors() {
    }

    /** The most probable label and every label's probability (a map in the classifier's label order). */
    public static RowPredictor<TextClassification> classification() {
        return new Classification();
    }

    /** The sentence embedding as {@code array<float>}. */
    public static RowPredictor<FeatureExtraction> embedding(SentenceEmbedder.Pooling pooling) {
        return new Embedding(pooling);
    }

    /** The translation of the source sentence. */
    public static RowPredictor<Translation> translation(int beams, double lengthPenalty, int maxTokens,
                                                        int batchSentences) {
        return new Translating(beams, lengthPenalty, maxTokens, batchSentences);
    }

    /** The text generated after the prompt (sampling seeded per row, so a row's result does not depend on its task). */
    public static RowPredictor<TextGeneration> generation(SamplingConfig sampling, int beams, double lengthPenalty) {
        return new Generation(sampling.temperature(), sampling.topK(), sampling.topP(), sampling.maxTokens(),
                sampling.seed(), beams, lengthPenalty);
    }

    private static StructField field(String name, org.apache.spark.sql.types.DataType type) {
        return DataTypes.createStructField(name, type, true);
    }

    private record Classification() implements RowPredictor<TextClassification> {
        /** Probabilities travel as an array in label order: Spark's Row encoder takes no Java map. */
        @Override
        public List<StructField> fields() {
            return List.of(field(LABEL, DataTypes.StringType),
                    field(PROBABILITIES, DataTypes.createArrayType(DataTypes.DoubleType, false)));
        }

        /** {@code probabilities} becomes {@code map<label, probability>} in the classifier's label order. */
        @Override
        public Dataset<Row> finish(Dataset<Row> table, TextClassification pipeline) {
            Column labels = functions.array(pipeline.labels().stream().map(functions::lit).toArray(Column[]::new));
            return table.withColumn(PROBABILITIES, functions.map_from_arrays(labels, functions.col(PROBABILITIES)));
        }

        @Override
        public TextClassification load(String checkpoint, Configuration conf) {
            return Pipelines.textClassification(checkpoint, conf);
        }

        @Override
        public List<Object[]> predict(TextClassification pipeline, List<String> texts) {
            List<Object[]> out = new ArrayList<>(texts.size());
            List<String> labels = pipeline.labels();
            for (TextClassification.Prediction p : pipeline.classify(texts)) {
                double[] probabilities = new double[labels.size()];
                for (int k = 0; k < probabilities.length; k++) {
                    probabilities[k] = p.probabilities().get(labels.get(k));
                }
                out.add(new Object[] {p.label(), probabilities});
            }
            return out;
        }
    }

    private record Embedding(SentenceEmbedder.Pooling pooling) implements RowPredictor<FeatureExtraction> {
        @Override
        public List<StructField> fields() {
            return List.of(field(EMBEDDING, DataTypes.createArrayType(DataTypes.FloatType, false)));
        }

        @Override
        public FeatureExtraction load(String checkpoint, Configuration conf) {
            return Pipelines.featureExtraction(checkpoint, conf);
        }

        @Override
        public List<Object[]> predict(FeatureExtraction pipeline, List<String> texts) {
            return pipeline.embed(texts, pooling).stream().map(v -> new Object[] {v}).toList();
        }
    }

    private record Translating(int beams, double lengthPenalty, int maxTokens, int batchSentences)
            implements RowPredictor<Translation> {
        @Override
        public List<StructField> fields() {
            return List.of(field(TRANSLATION, DataTypes.StringType));
        }

        @Override
        public Translation load(String checkpoint, Configuration conf) {
            return Pipelines.translation(checkpoint, conf);
        }

        @Override
        public List<Object[]> predict(Translation pipeline, List<String> texts) {
            return pipeline.translate(texts, beams, lengthPenalty, maxTokens, batchSentences).stream()
                    .map(t -> new Object[] {t}).toList();
        }
    }

    private record Generation(double temperature, int topK, double topP, int maxTokens, long seed, int beams,
                              double lengthPenalty) implements RowPredictor<TextGeneration> {
        @Override
        public List<StructField> fields() {
            return List.of(field(CONTINUATION, DataTypes.StringType));
        }

        @Override
        public TextGeneration load(String checkpoint, Configuration conf) {
            return Pipelines.textGeneration(checkpoint, conf);
        }

        @Override
        public List<Object[]> predict(TextGeneration pipeline, List<String> prompts) {
            SamplingConfig sampling = new SamplingConfig(temperature, topK, topP, maxTokens, seed);
            List<Object[]> out = new ArrayList<>(prompts.size());
            for (String prompt : prompts) {
                String text = beams > 1 ? pipeline.beamSearch(prompt, beams, maxTokens, lengthPenalty)
                        : pipeline.generate(prompt, sampling);
                out.add(new Object[] {text.substring(prompt.length())});
            }
            return out;
        }

        @Override
        public int batchRows() {
            return 16;
        }
    }
}
