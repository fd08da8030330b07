package io.sparkformer.tokenize;

import io.sparkformer.InputException;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.TreeMap;

/**
 * Learns byte-level BPE merges from chunk counts. Each step merges the most frequent adjacent pair
 * of tokens; ties go to the smallest pair of ids (left id, then right id), so the result depends
 * only on the counts, never on map iteration order. Pair counts are updated only in the words that
 * contain the merged pair, and a heap with lazy deletion finds the next pair, so a merge costs time
 * in proportion to the words it touches rather than to the corpus.
 */
public final class BpeTrainer {

    /** Heap entry; stale once {@code count} differs from the pair's current count. */
    private record Candidate(long count, long pair) {}

    private static final Comparator<Candidate> MOST_FREQUENT_FIRST =
            Comparator.comparingLong(Candidate::count).reversed().thenComparingLong(Candidate::pair);

    /** A pair's total count and the words it may occur in (a superset: entries go stale). */
    private static final class PairStats {
        long count;
        int[] words = new int[2];
        int size;

        void addWord(int word) {
            if (size > 0 && words[size - 1] == word) {
                return;
            }
            if (size == words.length) {
                words = Arrays.copyOf(words, size * 2);
            }
            words[size++] = word;
        }

        int[] distinctWords() {
            return Arrays.stream(words, 0, size).sorted().distinct().toArray();
        }
    }

    private final int[][] words;
    private final long[] counts;
    private final Map<Long, PairStats> pairs = new HashMap<>();
    private final PriorityQueue<Candidate> heap = new PriorityQueue<>(MOST_FREQUENT_FIRST);
    private final List<String> vocabulary = new ArrayList<>();
    private final Map<String, Integer> ids = new HashMap<>();
    private final List<int[]> merges = new ArrayList<>();
    private final Set<Long> merged = new HashSet<>();

    private BpeTrainer(Map<String, Long> wordCounts) {
        // Sorted so that word indices, and anything derived from them, are reproducible.
        TreeMap<String, Long> sorted = new TreeMap<>(wordCounts);
        words = new int[sorted.size()][];
        counts = new long[sorted.size()];
        int w = 0;
        for (Map.Entry<String, Long> entry : sorted.entrySet()) {
            words[w] = byteTokens(entry.getKey());
            counts[w] = entry.getValue();
            w++;
        }
        for (int b = 0; b < 256; b++) {
            String symbol = String.valueOf(ByteLevel.symbol(b));
            ids.put(symbol, vocabulary.size());
            vocabulary.add(symbol);
        }
        for (w = 0; w < words.length; w++) {
            for (int i = 0; i + 1 < words[w].length; i++) {
                PairStats stats = pairs.computeIfAbsent(pairOf(words[w], i), key -> new PairStats());
                stats.count += counts[w];
                stats.addWord(w);
            }
        }
        pairs.forEach((pair, stats) -> heap.add(new Candidate(stats.count, pair)));
    }

    /** Trains on the chunks of {@code text}, as split by {@link BpeTokenizer#preTokenize}. */
    public static BpeTokenizer train(CharSequence text, int vocabSize) {
        Map<String, Long> counts = new HashMap<>();
        for (String chunk : BpeTokenizer.preTokenize(text.toString())) {
            counts.merge(chunk, 1L, Long::sum);
        }
        return train(counts, vocabSize);
    }

    /**
     * Trains on counted chunks (from {@link BpeTokenizer#preTokenize}, typically counted by Spark).
     * The result has exactly {@code vocabSize} tokens unless the corpus runs out of pairs first.
     */
    public static BpeTokenizer train(Map<String, Long> wordCounts, int vocabSize) {
        return train(wordCounts, vocabSize, List.of());
    }

    /**
     * As {@link #train(Map, int)}, with special tokens appended after the learned ones; {@code
     * vocabSize} counts them, so it is the final {@link BpeTokenizer#vocabSize()}.
     */
    public static BpeTokenizer train(
            Map<String, Long> wordCounts, int vocabSize, List<String> specialTokens) {
        int minimum = 256 + specialTokens.size();
        if (vocabSize < minimum) {
            throw new InputException(
                    "vocabSize must be at least "
                            + minimum
                            + (specialTokens.isEmpty()
                                    ? " (one token per byte value)"
                                    : " (256 byte tokens + " + specialTokens.size() + " special tokens)")
                            + ", got "
                            + vocabSize);
        }
        wordCounts.forEach(
                (chunk, count) -> {
                    if (count == null || count <= 0) {
                        throw new IllegalArgumentException(
                                "count of chunk '" + chunk + "' must be positive, got " + count);
                    }
                });
        BpeTrainer trainer = new BpeTrainer(wordCounts);
        trainer.learn(vocabSize - specialTokens.size());
        return new BpeTokenizer(trainer.vocabulary, trainer.merges, specialTokens);
    }

    private void learn(int targetTokens) {
        while (vocabulary.size() < targetTokens && !heap.isEmpty()) {
            Candidate best = heap.poll();
            PairStats stats = pairs.get(best.pair());
            if (stats == null || stats.count != best.count()) {
                continue;
            }
            int left = (int) (best.pair() >>> 32);
            int right = (int) best.pair();
            // Two different pairs can spell the same token ("ab"+"c", "a"+"bc"); like Hugging Face's
            // trainer, the second merge reuses the first one's id so the vocabulary stays a map.
            String token = vocabulary.get(left) + vocabulary.get(right);
            Integer id = ids.get(token);
            if (id == null) {
                id = vocabulary.size();
                ids.put(token, id);
                vocabulary.add(token);
            }
            // A pair can only re-form after such a reuse; the encoder already knows its rank then.
            if (merged.add(best.pair())) {
                merges.add(new int[] {left, right});
            }
            mergeEverywhere(stats, left, right, id);
        }
    }

    /** Merges the pair in every word that has it and updates the pair counts by the difference. */
    private void mergeEverywhere(PairStats stats, int left, int right, int id) {
        Map<Long, Long> delta = new HashMap<>();
        for (int w : stats.distinctWords()) {
            int[] before = words[w];
            int[] symbols = before.clone();
            int length = BpeTokenizer.mergePair(symbols, symbols.length, left, right, id);
            if (length == before.length) {
                continue; // a stale entry: the pair left this word in an earlier merge
            }
            int[] after = Arrays.copyOf(symbols, length);
            words[w] = after;
            for (int i = 0; i + 1 < before.length; i++) {
                delta.merge(pairOf(before, i), -counts[w], Long::sum);
            }
            for (int i = 0; i + 1 < after.length; i++) {
                long pair = pairOf(after, i);
                delta.merge(pair, counts[w], Long::sum);
                // Only pairs with the new token can be new to this word.
                if (after[i] == id || after[i + 1] == id) {
                    pairs.computeIfAbsent(pair, key -> new PairStats()).addWord(w);
                }
            }
        }
        delta.forEach(
                (pair, change) -> {
                    if (change == 0) {
                        return;
                    }
                    PairStats changed = pairs.get(pair);
                    changed.count += change;
                    if (changed.count == 0) {
                        pairs.remove(pair); // no word has it any more
                    } else {
                        heap.add(new Candidate(changed.count, pair));
                    }
                });
    }

    private static long pairOf(int[] symbols, int i) {
        return BpeTokenizer.pairKey(symbols[i], symbols[i + 1]);
    }

    /** The chunk's UTF-8 bytes as ids 0..255 (the byte tokens come first, in byte order). */
    private static int[] byteTokens(String chunk) {
        int bad = ByteLevel.unpairedSurrogateIndex(chunk);
        if (bad >= 0) {
            throw new IllegalArgumentException(
                    "chunk '" + chunk + "' has an unpaired UTF-16 surrogate at index " + bad);
        }
        byte[] bytes = chunk.getBytes(StandardCharsets.UTF_8);
        int[] tokens = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            tokens[i] = bytes[i] & 0xFF;
        }
        return tokens;
    }
}
