package io.sparkformer.data;

import io.sparkformer.tokenize.BertTokens;

import java.io.Serializable;
import java.util.SplittableRandom;

/**
 * BERT's masked-LM corruption of one sequence, a pure function of (seed, sequence index): of the
 * n text tokens (never [CLS], [SEP], [PAD] or another special token) about p * n are selected
 * (floor(p * n + u) with u uniform in [0, 1), so exactly p * n on average, without the upward bias of
 * rounding up short sequences), uniformly without replacement. Each selected token becomes [MASK]
 * with probability 0.8, a uniformly random text token with 0.1, and stays unchanged with 0.1. The
 * loss is taken at the selected positions only: their weight is 1, every other position's 0.
 */
public final class MlmMasking implements Serializable {
    public static final double MASK_SHARE = 0.8;
    public static final double RANDOM_SHARE = 0.1;
    /** Keeps this stream of random numbers apart from the window starts drawn from the same seed. */
    private static final long SALT = 0x6D61736B4C4DL;

    private final double probability;
    private final long seed;
    private final BertTokens tokens;

    public MlmMasking(double probability, long seed, BertTokens tokens) {
        if (!(probability > 0 && probability < 1)) {
            throw new IllegalArgumentException("mask probability must be within (0, 1), got " + probability);
        }
        this.probability = probability;
        this.seed = seed;
        this.tokens = tokens;
    }

    /**
     * @param input   what the model reads: ids with the selected positions corrupted
     * @param labels  the original ids
     * @param weights 1 at selected positions, 0 elsewhere (the label mask)
     */
    public record Masked(int[] input, int[] labels, float[] weights) {
    }

    public Masked apply(int[] ids, long sequenceIndex) {
        SplittableRandom random = new SplittableRandom(BatchPlan.mix(seed ^ BatchPlan.mix(sequenceIndex ^ SALT)));
        int[] eligible = new int[ids.length];
        int n = 0;
        for (int i = 0; i < ids.length; i++) {
            if (!tokens.isSpecial(ids[i])) {
                eligible[n++] = i;
            }
        }
        int selected = (int) Math.floor(probability * n + random.nextDouble());
        int[] input = ids.clone();
        float[] weights = new float[ids.length];
        for (int j = 0; j < selected; j++) {                 // partial Fisher-Yates: a uniform j-subset
            int pick = j + random.nextInt(n - j);
            int position = eligible[pick];
            eligible[pick] = eligible[j];
            eligible[j] = position;
            weights[position] = 1f;
            double u = random.nextDouble();
            if (u < MASK_SHARE) {
                input[position] = tokens.mask();
            } else if (u < MASK_SHARE + RANDOM_SHARE) {
                input[position] = random.nextInt(tokens.regularTokens());
            }
        }
        return new Masked(input, ids.clone(), weights);
    }
}
