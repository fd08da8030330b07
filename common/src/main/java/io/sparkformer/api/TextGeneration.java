package io.sparkformer.api;

import io.sparkformer.checkpoint.Checkpoint;
import io.sparkformer.decode.BeamSearch;
import io.sparkformer.decode.Generator;
import io.sparkformer.decode.GptLanguageModel;
import io.sparkformer.decode.SamplingConfig;
import io.sparkformer.model.gpt.GptLayer;
import io.sparkformer.tokenize.Tokenizer;

/** Continues prompts with a GPT checkpoint: sampling (greedy at temperature 0) or beam search. */
public final class TextGeneration {
    private final Tokenizer tokenizer;
    private final GptLanguageModel model;

    TextGeneration(Checkpoint checkpoint, String uri) {
        Pipelines.layer(checkpoint, GptLayer.class, uri);
        this.tokenizer = checkpoint.tokenizer();
        this.model = new GptLanguageModel(checkpoint.model());
    }

    /** The prompt followed by its continuation; an empty prompt starts after a newline. */
    public String generate(String prompt, SamplingConfig sampling) {
        int[] generated = new Generator(Generator.NONE, start()).generate(model, tokenizer.encode(prompt), sampling);
        return prompt + tokenizer.decode(generated);
    }

    /** The prompt followed by the best of {@code beams} beams (GNMT length penalty {@code lengthPenalty}). */
    public String beamSearch(String prompt, int beams, int maxTokens, double lengthPenalty) {
        int[] context = tokenizer.encode(prompt);
        int[] input = context.length == 0 ? new int[] {start()} : context;
        return prompt + tokenizer.decode(BeamSearch.search(model, input, beams, maxTokens, lengthPenalty, -1).get(0)
                .tokens());
    }

    private int start() {
        return tokenizer.encode("\n")[0];
    }
}
