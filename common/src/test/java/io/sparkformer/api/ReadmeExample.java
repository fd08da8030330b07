package io.sparkformer.api;

import io.sparkformer.decode.SamplingConfig;

import java.util.List;

/** The README's Java API example, verbatim between the markers ({@link ReadmeExampleTest} compares them). */
final class ReadmeExample {
    private ReadmeExample() {
    }

    static List<Object> run(String gptRun, String classifierRun, String translationRun) {
        // readme:start
        TextGeneration gpt = Pipelines.textGeneration(gptRun);
        String verse = gpt.generate("ROMEO:", SamplingConfig.greedy(40));

        TextClassification sentiment = Pipelines.textClassification(classifierRun);
        TextClassification.Prediction p = sentiment.classify("a charming and moving film");
        System.out.println(p.label() + " " + p.score() + " " + p.probabilities());

        Translation deEn = Pipelines.translation(translationRun);
        List<String> english = deEn.translate(List.of("ein Hund läuft .", "zwei Katzen schlafen ."));

        FeatureExtraction encoder = Pipelines.featureExtraction(classifierRun);
        float[] vector = encoder.embed("a charming and moving film");
        // readme:end
        return List.of(verse, p, english, vector);
    }
}
