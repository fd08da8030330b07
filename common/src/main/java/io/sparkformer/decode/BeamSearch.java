package io.sparkformer.decode;

import io.sparkformer.config.ConfigException;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Beam search over summed token log-probabilities, ranked at the end with GNMT's length penalty
 * {@code score = logProb / ((5 + length) / 6)^alpha} (Wu et al. 2016), where length counts the
 * generated tokens including the end token. alpha = 0 ranks by raw log-probability, which favours
 * short outputs; larger alpha favours longer ones.
 *
 * <p>Each step expands every live beam in one batched {@link LanguageModel#nextTokenLogits} call and
 * keeps the {@code beamSize} best continuations. A continuation that emits {@code eosId} among those
 * best is set aside as finished and the beam is refilled with the next best unfinished ones (as
 * fairseq does). The search ends after {@code maxTokens} steps, or as soon as {@code beamSize}
 * finished hypotheses exist and no live beam can still beat the worst of them.
 */
public final class BeamSearch {

    /**
     * One output sequence.
     *
     * @param tokens  the generated tokens (not the prompt), ending with eos if it finished
     * @param logProb sum of the tokens' log-probabilities (natural log)
     * @param score   {@code logProb} divided by the length penalty: what the ranking uses
     */
    public record Hypothesis(int[] tokens, double logProb, double score) {
        @Override
        public String toString() {
            return "Hypothesis[tokens=" + Arrays.toString(tokens) + ", logProb=" + logProb + ", score=" + score + "]";
        }
    }

    private record Beam(int[] tokens, double logProb) {
    }

    private record Candidate(int beam, int token, double logProb) {
    }

    private BeamSearch() {
    }

    /**
     * @param lengthPenalty GNMT's alpha, >= 0 (0.6-1.0 is usual)
     * @param eosId         the end token, or -1 for none (then every hypothesis has {@code maxTokens} tokens)
     * @return at most {@code beamSize} hypotheses, best score first
     */
    public static List<Hypothesis> search(LanguageModel lm, int[] prompt, int beamSize, int maxTokens,
                                          double lengthPenalty, int eosId) {
        if (beamSize <= 0) {
            throw new ConfigException("--beam must be > 0, got " + beamSize);
        }
        if (maxTokens <= 0) {
            throw new ConfigException("--max-tokens must be > 0, got " + maxTokens);
        }
        if (!(lengthPenalty >= 0) || Double.isInfinite(lengthPenalty)) {
            throw new ConfigException("length penalty must be finite and >= 0, got " + lengthPenalty);
        }
        int[] start = Generator.startingContext(prompt, Generator.NONE);
        List<Beam> live = List.of(new Beam(new int[0], 0.0));
        List<Hypothesis> finished = new ArrayList<>();
        for (int step = 0; step < maxTokens && !live.isEmpty(); step++) {
            live = expand(lm, start, live, beamSize, eosId, lengthPenalty, finished);
            if (cannotImprove(finished, live, beamSize, maxTokens, lengthPenalty)) {
                return best(finished, beamSize);
            }
        }
        for (Beam b : live) {   // out of tokens: unfinished beams compete too
            finished.add(hypothesis(b.tokens(), b.logProb(), lengthPenalty));
        }
        return best(finished, beamSize);
    }

    /** One step: returns the next live beams and adds newly finished hypotheses to {@code finished}. */
    private static List<Beam> expand(LanguageModel lm, int[] start, List<Beam> live, int beamSize, int eosId,
                                     double alpha, List<Hypothesis> finished) {
        int[][] contexts = new int[live.size()][];
        for (int b = 0; b < live.size(); b++) {
            int[] tokens = live.get(b).tokens();
            contexts[b] = Arrays.copyOf(start, start.length + tokens.length);
            System.arraycopy(tokens, 0, contexts[b], start.length, tokens.length);
        }
        double[][] logits = lm.nextTokenLogits(contexts);
        List<Candidate> candidates = new ArrayList<>();
        for (int b = 0; b < live.size(); b++) {
            double[] logProbs = Logits.logSoftmax(logits[b]);
            // beamSize + 1 per beam suffice: at most one of them is eos. Ranked by the logits
            // themselves so that beam 1 breaks ties exactly as greedy decoding does.
            for (int token : Logits.topIndices(logits[b], beamSize + 1)) {
                candidates.add(new Candidate(b, token, live.get(b).logProb() + logProbs[token]));
            }
        }
        // Stable: equal log-probs stay in beam order, then rank order.
        candidates.sort(Comparator.comparingDouble(Candidate::logProb).reversed());
        List<Beam> next = new ArrayList<>();
        for (int rank = 0; rank < candidates.size() && next.size() < beamSize; rank++) {
            Candidate c = candidates.get(rank);
            int[] parent = live.get(c.beam()).tokens();
            int[] tokens = Arrays.copyOf(parent, parent.length + 1);
            tokens[parent.length] = c.token();
            if (c.token() != eosId) {
                next.add(new Beam(tokens, c.logProb()));
            } else if (rank < beamSize) {
                finished.add(hypothesis(tokens, c.logProb(), alpha));
            }
        }
        return next;
    }

    /**
     * True when {@code beamSize} hypotheses have finished and none of the live beams can reach a
     * better score than the worst of them: extending a beam only lowers its log-probability
     * (log-probs are <= 0), and the penalty grows with length (alpha >= 0) to at most its value at
     * {@code maxTokens}, so {@code logProb / penalty(maxTokens)} bounds every future score.
     */
    private static boolean cannotImprove(List<Hypothesis> finished, List<Beam> live, int beamSize, int maxTokens,
                                         double alpha) {
        if (finished.size() < beamSize) {
            return false;
        }
        double worstKept = best(finished, beamSize).get(beamSize - 1).score();
        double longest = penalty(maxTokens, alpha);
        return live.stream().allMatch(b -> b.logProb() / longest <= worstKept);
    }

    private static List<Hypothesis> best(List<Hypothesis> hypotheses, int limit) {
        List<Hypothesis> sorted = new ArrayList<>(hypotheses);
        sorted.sort(Comparator.comparingDouble(Hypothesis::score).reversed());   // stable: earlier first on ties
        return List.copyOf(sorted.subList(0, Math.min(limit, sorted.size())));
    }

    private static Hypothesis hypothesis(int[] tokens, double logProb, double alpha) {
        return new Hypothesis(tokens, logProb, logProb / penalty(tokens.length, alpha));
    }

    /** GNMT length penalty {@code ((5 + length) / 6)^alpha}. */
    static double penalty(int length, double alpha) {
        return Math.pow((5.0 + length) / 6.0, alpha);
    }
}
