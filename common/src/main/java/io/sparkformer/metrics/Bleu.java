package io.sparkformer.metrics;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Corpus BLEU (Papineni et al. 2002) computed as sacreBLEU computes it, so that scores compare with
 * published ones: each segment is right-stripped (and lower-cased if asked), tokenized ({@code 13a}
 * by default, or split on whitespace), and contributes its n-gram statistics for n = 1..4: matches
 * clipped by the maximum count in any one reference, and the hypothesis n-gram totals; its length
 * and the length of the closest reference (the shorter on ties). Over the summed statistics:
 * <pre>
 *   p_n  = correct_n / total_n        (orders without a match: "exp" smoothing, as sacreBLEU by default)
 *   BP   = 1 if hyp_len >= ref_len, else exp(1 - ref_len / hyp_len)   (0 for an empty output)
 *   BLEU = 100 * BP * exp(mean_n log p_n)
 * </pre>
 * sacreBLEU's defaults ({@code sacrebleu REF < HYP}, signature
 * {@code nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp}): "exp" smoothing, which only changes an
 * order with no match at all (its precision becomes 1 / (2^k total_n) for the k-th such order), so
 * corpus scores of real systems are the unsmoothed ones. "none", "floor" and "add-k" (Chen and
 * Cherry 2014) and effective order are there for sentence-level use and for checking against
 * sacreBLEU's own test values.
 */
public final class Bleu {
    public static final int MAX_ORDER = 4;
    /** sacreBLEU's log of a zero precision: effectively minus infinity without NaN arithmetic. */
    private static final double LOG_ZERO = -9999999999.0;

    private Bleu() {
    }

    public enum Tokenize { THIRTEEN_A, NONE }

    public enum Smoothing { NONE, EXP, FLOOR, ADD_K }

    /**
     * @param smoothValue floor's value (0.1 when NaN) or add-k's k (1 when NaN); unused otherwise
     * @param effectiveOrder average only over the orders the hypothesis has n-grams of (sentence BLEU)
     */
    public record Options(Tokenize tokenize, Smoothing smoothing, double smoothValue, boolean effectiveOrder,
                          boolean lowercase) {
        /** sacreBLEU's corpus BLEU defaults: 13a tokenization, case-sensitive, "exp" smoothing. */
        public static final Options DEFAULT = new Options(Tokenize.THIRTEEN_A, Smoothing.EXP, Double.NaN, false, false);
        /** The signature sacreBLEU prints for {@link #DEFAULT} (one reference stream). */
        public static final String DEFAULT_SIGNATURE = "nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp";

        public Options withTokenize(Tokenize t) {
            return new Options(t, smoothing, smoothValue, effectiveOrder, lowercase);
        }

        public Options withSmoothing(Smoothing s, double value) {
            return new Options(tokenize, s, value, effectiveOrder, lowercase);
        }

        public Options withEffectiveOrder(boolean e) {
            return new Options(tokenize, smoothing, smoothValue, e, lowercase);
        }

        public Options withLowercase(boolean l) {
            return new Options(tokenize, smoothing, smoothValue, effectiveOrder, l);
        }
    }

    /** Sufficient statistics of one segment or, summed, of a corpus. */
    public record Statistics(long hypLength, long refLength, long[] correct, long[] total) {
        public static Statistics empty() {
            return new Statistics(0, 0, new long[MAX_ORDER], new long[MAX_ORDER]);
        }

        public Statistics plus(Statistics o) {
            long[] c = new long[MAX_ORDER];
            long[] t = new long[MAX_ORDER];
            for (int n = 0; n < MAX_ORDER; n++) {
                c[n] = correct[n] + o.correct[n];
                t[n] = total[n] + o.total[n];
            }
            return new Statistics(hypLength + o.hypLength, refLength + o.refLength, c, t);
        }

        @Override
        public String toString() {
            return "Statistics[hyp=" + hypLength + ", ref=" + refLength + ", correct=" + Arrays.toString(correct)
                    + ", total=" + Arrays.toString(total) + "]";
        }
    }

    /**
     * @param score      BLEU in [0, 100]
     * @param precisions p_n in percent, after smoothing
     */
    public record Score(double score, Statistics statistics, double[] precisions, double brevityPenalty) {
        /** sacreBLEU's summary line, e.g. {@code BLEU = 48.53 82.4/50.0/45.5/37.5 (BP = 0.943 ratio = 0.944 hyp_len = 17 ref_len = 18)}. */
        @Override
        public String toString() {
            Statistics s = statistics;
            double ratio = s.refLength() > 0 ? (double) s.hypLength() / s.refLength() : 0;
            return String.format(Locale.ROOT, "BLEU = %.2f %.1f/%.1f/%.1f/%.1f (BP = %.3f ratio = %.3f hyp_len = %d"
                            + " ref_len = %d)", score, precisions[0], precisions[1], precisions[2], precisions[3],
                    brevityPenalty, ratio, s.hypLength(), s.refLength());
        }
    }

    /**
     * Corpus BLEU of {@code hypotheses} against one or more reference streams, each as long as the
     * hypotheses (stream k holds the k-th reference of every segment).
     */
    public static Score corpus(List<String> hypotheses, List<List<String>> referenceStreams, Options options) {
        if (referenceStreams.isEmpty()) {
            throw new IllegalArgumentException("BLEU needs at least one reference stream");
        }
        for (int k = 0; k < referenceStreams.size(); k++) {
            if (referenceStreams.get(k).size() != hypotheses.size()) {
                throw new IllegalArgumentException("reference stream " + (k + 1) + " has "
                        + referenceStreams.get(k).size() + " segments but there are " + hypotheses.size()
                        + " hypotheses");
            }
        }
        Statistics sum = Statistics.empty();
        for (int i = 0; i < hypotheses.size(); i++) {
            final int segment = i;
            List<String> refs = referenceStreams.stream().map(stream -> stream.get(segment)).toList();
            sum = sum.plus(statistics(hypotheses.get(i), refs, options));
        }
        return score(sum, options);
    }

    /** Corpus BLEU against a single reference per segment, with the default options. */
    public static Score corpus(List<String> hypotheses, List<String> references) {
        return corpus(hypotheses, List.of(references), Options.DEFAULT);
    }

    /** The statistics of one hypothesis against its references. */
    public static Statistics statistics(String hypothesis, List<String> references, Options options) {
        String[] hyp = tokens(hypothesis, options);
        Map<String, Integer> refMax = new HashMap<>();
        long refLength = -1;
        long bestDiff = -1;
        for (String reference : references) {
            String[] ref = tokens(reference, options);
            Map<String, Integer> counts = ngrams(ref);
            counts.forEach((ngram, count) -> refMax.merge(ngram, count, Math::max));
            long diff = Math.abs(hyp.length - ref.length);
            if (bestDiff < 0 || diff < bestDiff || (diff == bestDiff && ref.length < refLength)) {
                bestDiff = diff;
                refLength = ref.length;
            }
        }
        long[] correct = new long[MAX_ORDER];
        long[] total = new long[MAX_ORDER];
        for (Map.Entry<String, Integer> e : ngrams(hyp).entrySet()) {
            int n = order(e.getKey());
            total[n - 1] += e.getValue();
            correct[n - 1] += Math.min(e.getValue(), refMax.getOrDefault(e.getKey(), 0));
        }
        return new Statistics(hyp.length, refLength, correct, total);
    }

    /** BLEU of summed statistics. */
    public static Score score(Statistics s, Options options) {
        double bp = 1.0;
        if (s.hypLength() < s.refLength()) {
            bp = s.hypLength() > 0 ? Math.exp(1.0 - (double) s.refLength() / s.hypLength()) : 0.0;
        }
        double[] precisions = new double[MAX_ORDER];
        if (Arrays.stream(s.correct()).allMatch(c -> c == 0)) {
            return new Score(0.0, s, precisions, bp);
        }
        double value = Double.isNaN(options.smoothValue())
                ? (options.smoothing() == Smoothing.ADD_K ? 1.0 : 0.1) : options.smoothValue();
        double[] correct = Arrays.stream(s.correct()).asDoubleStream().toArray();
        double[] total = Arrays.stream(s.total()).asDoubleStream().toArray();
        double mteval = 1.0;
        int order = MAX_ORDER;
        for (int n = 1; n <= MAX_ORDER; n++) {
            if (options.smoothing() == Smoothing.ADD_K && n > 1) {
                correct[n - 1] += value;
                total[n - 1] += value;
            }
            if (total[n - 1] == 0) {
                break;
            }
            if (options.effectiveOrder()) {
                order = n;
            }
            if (correct[n - 1] == 0) {
                if (options.smoothing() == Smoothing.EXP) {
                    mteval *= 2;
                    precisions[n - 1] = 100.0 / (mteval * total[n - 1]);
                } else if (options.smoothing() == Smoothing.FLOOR) {
                    precisions[n - 1] = 100.0 * value / total[n - 1];
                }
            } else {
                precisions[n - 1] = 100.0 * correct[n - 1] / total[n - 1];
            }
        }
        double logSum = 0;
        for (int n = 0; n < order; n++) {
            logSum += precisions[n] > 0 ? Math.log(precisions[n]) : LOG_ZERO;
        }
        return new Score(bp * Math.exp(logSum / order), s, precisions, bp);
    }

    static String[] tokens(String segment, Options options) {
        String s = options.lowercase() ? segment.toLowerCase(Locale.ROOT) : segment;
        s = Tokenizer13a.rstrip(s);
        if (options.tokenize() == Tokenize.THIRTEEN_A) {
            s = Tokenizer13a.tokenize(s);
        }
        return Tokenizer13a.split(s).toArray(String[]::new);
    }

    /** Counts of every n-gram, n = 1..4, keyed by its tokens joined with a separator no token contains. */
    private static Map<String, Integer> ngrams(String[] tokens) {
        Map<String, Integer> counts = new HashMap<>();
        for (int n = 1; n <= MAX_ORDER; n++) {
            for (int i = 0; i + n <= tokens.length; i++) {
                counts.merge(String.join("\u0001", Arrays.asList(tokens).subList(i, i + n)), 1, Integer::sum);
            }
        }
        return counts;
    }

    private static int order(String ngram) {
        int n = 1;
        for (int i = 0; i < ngram.length(); i++) {
            if (ngram.charAt(i) == '\u0001') {
                n++;
            }
        }
        return n;
    }
}
