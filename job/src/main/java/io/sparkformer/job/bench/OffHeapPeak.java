package io.sparkformer.job.bench;

import io.sparkformer.config.SparkformerConfig;
import io.sparkformer.data.ArrayTokenSource;
import io.sparkformer.data.Batches;
import io.sparkformer.data.ExampleBatches;
import io.sparkformer.data.LabeledExamples;
import io.sparkformer.data.MlmBatches;
import io.sparkformer.data.MlmMasking;
import io.sparkformer.data.PairBatches;
import io.sparkformer.data.TranslationPairs;
import io.sparkformer.model.MemoryEstimate;
import io.sparkformer.model.bert.BertGraphBuilder;
import io.sparkformer.model.gpt.GptGraphBuilder;
import io.sparkformer.model.seq2seq.Seq2SeqGraphBuilder;
import io.sparkformer.tokenize.BertTokens;
import io.sparkformer.tokenize.TranslationTokens;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntFunction;

/**
 * Measures the ND4J off-heap bytes one training replica of a config needs, to hold
 * {@link MemoryEstimate} against. One replica trains in this thread on random full-length batches
 * (every sequence as long as the context, so nothing is shorter than the worst case). The figure:
 * <pre>
 *   peak = max over a step of libnd4j's held bytes (sampled every ~50 us in a second thread; the
 *          step starts from a collected heap, so garbage of earlier steps is not in it)
 *        + the reserved size of this thread's workspaces (allocated once, reused, not in the counter)
 *        - the held bytes before the model was built (ND4J's own constants)
 * </pre>
 * libnd4j's counter ({@code Environment.getDeviceCouner(0)}) is every array buffer allocated outside a
 * workspace and not yet freed. A step during which the JVM collected garbage (which could hide a
 * step's garbage) is measured again, up to 3 times; the result says whether one still ran.
 */
public final class OffHeapPeak {
    /** The measured figure and its parts, in bytes. */
    public record Result(long baseline, long live, long stepPeak, long workspaces, boolean collected) {
        public long peak() {
            return stepPeak - baseline + workspaces;
        }
    }

    private OffHeapPeak() {
    }

    /** Trains {@code warm} steps, then measures {@code measured} steps and returns the largest. */
    public static Result measure(SparkformerConfig c, MemoryEstimate.Task task, int vocab, int classes, int warm,
                                 int measured) {
        long baseline = collectedHeld();
        Random random = new Random(c.train().seed());
        ComputationGraph graph;
        IntFunction<DataSet> batches;
        int b = c.train().batchSize();
        int t = c.model().contextLength();
        switch (task) {
            case GPT -> {
                graph = GptGraphBuilder.build(c, vocab, DataType.FLOAT);
                ArrayTokenSource source = new ArrayTokenSource(random.ints(b * (t + 1) * 8, 0, vocab).toArray());
                batches = s -> Batches.of(source, starts(s, b, t + 1, source.size()), t);
            }
            case BERT_MLM -> {
                graph = BertGraphBuilder.maskedLm(c, vocab, DataType.FLOAT);
                BertTokens tokens = new BertTokens(vocab - 4, vocab - 3, vocab - 2, vocab - 1, vocab - 4);
                ArrayTokenSource source = new ArrayTokenSource(random.ints(b * t * 8, 0, vocab - 4).toArray());
                MlmBatches mlm = new MlmBatches(source, new MlmMasking(c.bert().maskProbability(), 1, tokens),
                        tokens, t);
                int text = BertTokens.textLength(t);
                batches = s -> mlm.of(starts(s, b, text, source.size()), (long) s * b);
            }
            case BERT_CLASSIFIER -> {
                graph = BertGraphBuilder.classifier(c, vocab, classes, DataType.FLOAT);
                int[][] texts = new int[b * 8][];
                int[] labels = new int[texts.length];
                for (int i = 0; i < texts.length; i++) {
                    texts[i] = new BertTokens(vocab - 4, vocab - 3, vocab - 2, vocab - 1, vocab - 4)
                            .frame(random.ints(BertTokens.textLength(t), 0, vocab - 4).toArray(), t);
                    labels[i] = random.nextInt(classes);
                }
                LabeledExamples examples = new LabeledExamples(texts, labels, 0);
                batches = s -> ExampleBatches.of(examples, rows(s, b, texts.length), vocab - 4);
            }
            case SEQ2SEQ -> {
                graph = Seq2SeqGraphBuilder.build(c, vocab, vocab, DataType.FLOAT);
                int[][] sources = new int[b * 8][];
                int[][] targets = new int[sources.length][];
                for (int i = 0; i < sources.length; i++) {
                    sources[i] = random.ints(t - 1, 0, vocab - 3).toArray();
                    targets[i] = random.ints(t - 1, 0, vocab - 3).toArray();
                }
                TranslationPairs pairs = new TranslationPairs(sources, targets);
                TranslationTokens tokens = new TranslationTokens(vocab - 3, vocab - 2, vocab - 1, vocab - 3);
                batches = s -> PairBatches.of(pairs, rows(s, b, sources.length), tokens, tokens);
            }
            default -> throw new IllegalArgumentException("unknown task " + task);
        }
        for (int s = 0; s < warm; s++) {
            graph.fit(batches.apply(s));
        }
        Result worst = null;
        for (int s = warm; s < warm + measured; s++) {
            Result r = null;
            for (int attempt = 0; attempt < 3 && (r == null || r.collected()); attempt++) {
                r = step(graph, batches.apply(s), baseline);
            }
            if (worst == null || r.peak() > worst.peak()) {
                worst = r;
            }
        }
        return worst;
    }

    /**
     * One measured step; {@code collected} when a garbage collection ran during it (then garbage the
     * step left outside workspaces may have been freed before the sampler saw it).
     */
    private static Result step(ComputationGraph graph, DataSet batch, long baseline) {
        long live = collectedHeld();
        long collections = collections();
        AtomicBoolean done = new AtomicBoolean();
        AtomicLong max = new AtomicLong(live);
        Thread sampler = new Thread(() -> {
            while (!done.get()) {
                max.accumulateAndGet(Nd4j.getEnvironment().getDeviceCouner(0), Math::max);
                LockSupport.parkNanos(50_000);
            }
        }, "off-heap sampler");
        sampler.setDaemon(true);
        sampler.start();
        graph.fit(batch);
        Nd4j.getExecutioner().commit();
        max.accumulateAndGet(Nd4j.getEnvironment().getDeviceCouner(0), Math::max);
        done.set(true);
        try {
            sampler.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        long workspaces = 0;
        for (MemoryWorkspace w : Nd4j.getWorkspaceManager().getAllWorkspacesForCurrentThread()) {
            workspaces += w.getCurrentSize();
            System.err.printf("off-heap peak: workspace %s %,d bytes%n", w.getId(), w.getCurrentSize());
        }
        return new Result(baseline, live, max.get(), workspaces, collections() != collections);
    }

    /** libnd4j's held bytes once the garbage of earlier steps is collected and freed. */
    private static long collectedHeld() {
        long held = Long.MAX_VALUE;
        for (int i = 0; i < 20; i++) {
            System.gc();
            LockSupport.parkNanos(100_000_000L);
            Nd4j.getExecutioner().commit();
            long now = Nd4j.getEnvironment().getDeviceCouner(0);
            if (now >= held) {
                return now;
            }
            held = now;
        }
        return held;
    }

    private static long collections() {
        long n = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            n += Math.max(0, gc.getCollectionCount());
        }
        return n;
    }

    private static long[] starts(int step, int batch, int window, long tokens) {
        long[] out = new long[batch];
        for (int r = 0; r < batch; r++) {
            out[r] = ((long) (step * batch + r) * window) % (tokens - window);
        }
        return out;
    }

    private static int[] rows(int step, int batch, int examples) {
        int[] out = new int[batch];
        for (int r = 0; r < batch; r++) {
            out[r] = (step * batch + r) % examples;
        }
        return out;
    }
}
