package io.sparkformer.decode;

import io.sparkformer.config.ConfigException;
import io.sparkformer.model.seq2seq.Seq2SeqGraphBuilder;
import io.sparkformer.model.seq2seq.Seq2SeqModel;
import io.sparkformer.model.seq2seq.Seq2SeqSpec;
import io.sparkformer.tokenize.TranslationTokens;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Translation with a {@link Seq2SeqGraphBuilder} model: each source sentence is encoded once, and
 * decoding is the shared {@link Generator} (greedy) or {@link BeamSearch} over a
 * {@link LanguageModel} whose context is the target prefix {@code <s> y_1 .. y_t} with that encoded
 * source fixed. Sentences are decoded {@code batchSentences} at a time in lockstep (see
 * {@link LockstepBatcher}), so one decoder pass serves every beam of every sentence of a chunk.
 * The decoder re-reads the whole prefix each step (no key/value cache): simple, and cheap at
 * sentence lengths.
 *
 * <p>Not thread-safe: it runs on the wrapped graph's parameters.
 */
public final class Seq2SeqTranslator {

    /**
     * @param beamSize       1 = greedy decoding
     * @param lengthPenalty  GNMT's alpha for ranking beams (ignored by greedy decoding)
     * @param maxTokens      generated tokens at most, {@code </s>} included; a sentence also stops at
     *                       {@code 2 * source length + 10} tokens (fairseq's max_len_a/b idea), so an
     *                       undertrained model that never says {@code </s>} does not run to the limit
     * @param batchSentences sentences decoded together
     */
    public record Options(int beamSize, double lengthPenalty, int maxTokens, int batchSentences) {
        public Options {
            if (beamSize <= 0) {
                throw new ConfigException("--beam must be > 0, got " + beamSize);
            }
            if (!(lengthPenalty >= 0) || Double.isInfinite(lengthPenalty)) {
                throw new ConfigException("--length-penalty must be finite and >= 0, got " + lengthPenalty);
            }
            if (maxTokens <= 0) {
                throw new ConfigException("--max-length must be > 0, got " + maxTokens);
            }
            if (batchSentences <= 0) {
                throw new ConfigException("--batch-size must be > 0, got " + batchSentences);
            }
        }

        public static Options greedy(int maxTokens) {
            return new Options(1, 0.0, maxTokens, 32);
        }
    }

    /**
     * @param tokens  what the decoder generated, ending with {@code </s>} when it finished
     * @param text    the text ids of {@code tokens} (before {@code </s>}, specials dropped)
     * @param logProb sum of the generated tokens' log-probabilities (beam search), NaN for greedy
     */
    public record Translation(int[] tokens, int[] text, double logProb) {
    }

    private final Seq2SeqModel model;
    private final Map<String, INDArray> params;
    private final TranslationTokens source;
    private final TranslationTokens target;

    public Seq2SeqTranslator(ComputationGraph graph, TranslationTokens source, TranslationTokens target) {
        Seq2SeqSpec spec = Seq2SeqGraphBuilder.spec(graph, "the model");
        this.model = new Seq2SeqModel(spec);
        this.params = graph.getLayer(Seq2SeqGraphBuilder.LAYER).paramTable();
        this.source = source;
        this.target = target;
    }

    public int maxLength() {
        return model.spec().maxLength();
    }

    /** The framed source {@code ids </s>}, its text cut to fit the model's maximum length. */
    public int[] frameSource(int[] ids) {
        int n = Math.min(ids.length, maxLength() - 1);
        int[] out = Arrays.copyOf(ids, n + 1);
        out[n] = source.eos();
        return out;
    }

    /** Translates text ids of source sentences (longer ones are cut to the model's maximum length). */
    public List<Translation> translate(List<int[]> sources, Options options) {
        int maxTokens = Math.min(options.maxTokens(), maxLength());
        List<Translation> out = new ArrayList<>(sources.size());
        for (int from = 0; from < sources.size(); from += options.batchSentences()) {
            List<int[]> chunk = sources.subList(from, Math.min(sources.size(), from + options.batchSentences()));
            out.addAll(translateChunk(chunk, options, maxTokens));
        }
        return out;
    }

    private List<Translation> translateChunk(List<int[]> chunk, Options options, int maxTokens) {
        int n = chunk.size();
        int[][] framed = chunk.stream().map(this::frameSource).toArray(int[][]::new);
        int s = Arrays.stream(framed).mapToInt(a -> a.length).max().orElse(1);
        DataType dt = params.get(Seq2SeqModel.TARGET_EMBEDDING).dataType();
        int[] ids = new int[n * s];
        float[] mask = new float[n * s];
        Arrays.fill(ids, source.pad());
        for (int j = 0; j < n; j++) {
            for (int i = 0; i < framed[j].length; i++) {
                ids[j * s + i] = framed[j][i];
                mask[j * s + i] = 1f;
            }
        }
        INDArray padding = Nd4j.create(mask, new long[] {n, s}, 'c').castTo(dt);                     // [N, S]
        Seq2SeqModel.Encoded encoded = model.encode(params, ids, n, padding, false);                  // memory [N*S, C]
        LockstepBatcher batcher = new LockstepBatcher(n,
                requests -> nextTokenLogits(requests, encoded.memory, padding, s));
        int[] prompt = {target.bos()};
        int[] limits = Arrays.stream(framed).mapToInt(f -> Math.min(maxTokens, 2 * f.length + 10)).toArray();
        ExecutorService pool = Executors.newFixedThreadPool(n, r -> {
            Thread t = new Thread(r, "translate");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<Translation>> futures = new ArrayList<>();
            for (int j = 0; j < n; j++) {
                LanguageModel lm = batcher.view(j);
                int limit = limits[j];
                futures.add(pool.submit(() -> {
                    try {
                        return decodeOne(lm, prompt, options, limit);
                    } finally {
                        batcher.leave();
                    }
                }));
            }
            List<Translation> out = new ArrayList<>();
            for (Future<Translation> f : futures) {
                out.add(f.get());
            }
            return out;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException("translation failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("translation was interrupted", e);
        } finally {
            pool.shutdownNow();
        }
    }

    private Translation decodeOne(LanguageModel lm, int[] prompt, Options options, int maxTokens) {
        if (options.beamSize() == 1) {
            int[] tokens = new Generator(target.eos(), Generator.NONE).generate(lm, prompt,
                    SamplingConfig.greedy(maxTokens));
            return new Translation(tokens, target.text(tokens), Double.NaN);
        }
        BeamSearch.Hypothesis best = BeamSearch.search(lm, prompt, options.beamSize(), maxTokens,
                options.lengthPenalty(), target.eos()).get(0);
        return new Translation(best.tokens(), target.text(best.tokens()), best.logProb());
    }

    /**
     * One decoder pass for every context of every request: rows R = all contexts, right-padded to
     * the longest; row r attends to the memory of its request's sentence; logits at each row's last
     * real position only (the output projection over every position would cost R*T*V*C).
     */
    private double[][][] nextTokenLogits(List<LockstepBatcher.Request> requests, INDArray memory, INDArray padding,
                                         int s) {
        int rows = requests.stream().mapToInt(r -> r.contexts.length).sum();
        int t = requests.stream().flatMap(r -> Arrays.stream(r.contexts)).mapToInt(c -> c.length).max().orElse(1);
        int[] ids = new int[rows * t];
        float[] targetMask = new float[rows * t];
        int[] memoryRows = new int[rows * s];
        int[] sentenceOfRow = new int[rows];
        int[] lastPosition = new int[rows];
        boolean ragged = false;
        Arrays.fill(ids, target.pad());
        int r = 0;
        for (LockstepBatcher.Request request : requests) {
            for (int[] context : request.contexts) {
                if (context.length == 0) {
                    throw new IllegalArgumentException("a decoder context needs at least <s>");
                }
                for (int i = 0; i < context.length; i++) {
                    ids[r * t + i] = context[i];
                    targetMask[r * t + i] = 1f;
                }
                ragged |= context.length != t;
                for (int i = 0; i < s; i++) {
                    memoryRows[r * s + i] = request.sentence * s + i;
                }
                sentenceOfRow[r] = request.sentence;
                lastPosition[r] = r * t + context.length - 1;
                r++;
            }
        }
        DataType dt = memory.dataType();
        INDArray rowMemory = Nd4j.pullRows(memory, 1, memoryRows);                                   // [R*S, C]
        INDArray rowPadding = Nd4j.pullRows(padding, 1, sentenceOfRow);                              // [R, S]
        INDArray targetPadding = ragged ? Nd4j.create(targetMask, new long[] {rows, t}, 'c').castTo(dt) : null;
        Seq2SeqModel.Pass pass = model.decode(params, rowMemory, rowPadding, ids, rows, targetPadding, false);
        INDArray last = Nd4j.pullRows(pass.states, 1, lastPosition);                                 // [R, C]
        double[][] logits = model.project(params, last).castTo(DataType.DOUBLE).toDoubleMatrix();     // [R, V]
        double[][][] out = new double[requests.size()][][];
        int row = 0;
        for (int i = 0; i < requests.size(); i++) {
            int k = requests.get(i).contexts.length;
            out[i] = Arrays.copyOfRange(logits, row, row + k);
            row += k;
        }
        return out;
    }

    /**
     * Sum of log p(generated_i | source, {@code <s>} generated_<i) under teacher forcing: the model
     * score of a decoder output, to compare decoding strategies.
     */
    public double logProb(int[] sourceIds, int[] generated) {
        int[] framed = frameSource(sourceIds);
        int[] input = new int[generated.length];
        input[0] = target.bos();
        System.arraycopy(generated, 0, input, 1, generated.length - 1);
        Seq2SeqModel.Encoded e = model.encode(params, framed, 1, null, false);
        Seq2SeqModel.Pass pass = model.decode(params, e.memory, null, input, 1, null, false);
        double[][] logits = model.project(params, pass.states).castTo(DataType.DOUBLE).toDoubleMatrix();
        double sum = 0;
        for (int i = 0; i < generated.length; i++) {
            sum += Logits.logSoftmax(logits[i])[generated[i]];
        }
        return sum;
    }
}
