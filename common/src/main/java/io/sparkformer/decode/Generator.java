package io.sparkformer.decode;

import io.sparkformer.config.ConfigException;

import java.util.Arrays;

/**
 * Autoregressive generation: ask the model for the next-token logits of the prompt plus everything
 * generated so far, pick a token with the config's {@link Sampler}, repeat.
 *
 * @param stopToken  generation ends after this token is emitted (it is included in the output, so
 *                   callers can tell a stop from running out of {@code maxTokens}); {@link #NONE} for none
 * @param startToken the context used when the prompt is empty (e.g. the newline id of a char model,
 *                   GPT-2's end-of-text); it is not part of the output; {@link #NONE} rejects empty prompts
 */
public record Generator(int stopToken, int startToken) {
    public static final int NONE = -1;

    public Generator {
        if (stopToken < NONE || startToken < NONE) {
            throw new IllegalArgumentException("stop and start tokens must be ids >= 0 or NONE (-1), got "
                    + stopToken + " and " + startToken);
        }
    }

    /** Neither a stop token nor a start token. */
    public Generator() {
        this(NONE, NONE);
    }

    /** @return only the new tokens: {@code cfg.maxTokens()} of them, or fewer up to and including the stop token */
    public int[] generate(LanguageModel lm, int[] prompt, SamplingConfig cfg) {
        int[] start = startingContext(prompt, startToken);
        Sampler sampler = Sampler.of(cfg);
        int[] context = Arrays.copyOf(start, start.length + cfg.maxTokens());
        int length = start.length;
        while (length < context.length) {
            int token = sampler.sample(lm.nextTokenLogits(Arrays.copyOf(context, length)));
            context[length++] = token;
            if (token == stopToken) {
                break;
            }
        }
        return Arrays.copyOfRange(context, start.length, length);
    }

    /** The prompt, or {@code [startToken]} for an empty prompt; shared with {@link BeamSearch}. */
    static int[] startingContext(int[] prompt, int startToken) {
        if (prompt.length > 0) {
            return prompt;
        }
        if (startToken == NONE) {
            throw new ConfigException("the prompt is empty and no start token was given: pass --prompt TEXT");
        }
        return new int[] {startToken};
    }
}
