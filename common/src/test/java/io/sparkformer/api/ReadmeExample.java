package io.sparkformer.api;

import io.sparkformer.decode.SamplingConfig;

import java.util.List;

/** The README's Java API example, verbatim between the markers ({@link ReadmeExampleTest} compares them). */
final class ReadmeExample {
    private ReadmeExample() {
    }

    static List<Object> run(String gptRun, String classifierRun, String translationRun, String maskedLmRun) {
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

        FillMask bert = Pipelines.fillMask(maskedLmRun);
        List<FillMask.Candidate> guesses = bert.fill("a dog [MASK] .", 5).get(0);   // one list per [MASK]
        // readme:end
        return List.of(verse, p, english, vector, guesses);
    }
}
