package io.sparkformer.model;

import io.sparkformer.config.ModelConfig;
import io.sparkformer.config.SparkformerConfig;
import io.sparkformer.model.bert.BertModel;
import io.sparkformer.model.bert.BertSpec;
import io.sparkformer.model.gpt.GptModel;
import io.sparkformer.model.gpt.GptSpec;
import io.sparkformer.model.nn.TransformerBlock.ParamSpec;
import io.sparkformer.model.seq2seq.Seq2SeqModel;
import io.sparkformer.model.seq2seq.Seq2SeqSpec;

import java.util.List;

/**
 * ND4J off-heap bytes one training replica needs (float32), per model family, so a job can refuse
 * to start on executors that are too small instead of being killed by the cluster manager mid-run.
 * With N = B x T tokens of a batch (B = batch, T = context), C = embedDim, F = ffnDim, H = heads,
 * L = layers, V = vocabulary, P = parameters, in floats:
 * <pre>
 *   state       = 4 P                              parameters, gradients, Adam m and v
 *   activations = N x (L x forward + backward + head) + V C
 *     forward, per block     14.3 C + 3.05 F + 1.0 H T       (+ 4.0 (2C + H T) with dropout)
 *       decoder block        + cross 12.3 C + 1.0 H T        (+ 4.3 (C + H T) with dropout)
 *     backward, one block    13.2 C + 2.2 F + 1.1 H T        (+ 0.55 (2C + H T) with dropout)
 *       decoder block        + cross 13.3 C + 1.0 H T        (+ 0.55 (C + H T) with dropout)
 *     head                   6.5 C + 1.1 L C; encoder-decoder 20.5 C + 2.2 L C (embeddings, final
 *                            LayerNorms, each block's input gradient)
 *   logits      = 4.2 x rows x V                   logits, softmax, their gradient (4.6 with label
 *                                                  smoothing: an encoder-decoder)
 *   runtime     = 64 MiB                           ND4J's own buffers (BLAS, javacpp), not measured here
 * </pre>
 * The coefficients are fitted to measurements, not derived (bench/memory-fit.sh and
 * bench/memory/fit.py, 2026-12-03, with every fused kernel on): DL4J's forward working memory keeps
 * every op's output until the step ends, so it holds the sum of the forward's outputs per block;
 * the backward's intermediates live in one block's workspace that every block reuses
 * ({@code BackwardWorkspace.throughBlocks}), so they count once. The GPT terms come from GPTs that vary
 * one of C, F, H, T, L and B at a time (every row within 0.1% of the fit), dropout and the
 * cross-attention from one variant each. The shipped configs' figures are pinned in
 * {@code MemoryEstimateTest}, so a model change that moves them shows up there. Rows scored: a GPT
 * and an encoder-decoder every position, BERT's masked-LM head the selected share (about 15%), a
 * classifier none worth counting.
 */
public record MemoryEstimate(Task task, long params, long stateBytes, long activationBytes, long logitBytes) {
    public static final long FLOAT_BYTES = 4;
    public static final long RUNTIME_BYTES = 64L << 20;

    /** What one replica trains: the family's model and its objective. */
    public enum Task {
        GPT, BERT_MLM, BERT_CLASSIFIER, SEQ2SEQ;

        /** What {@code train} trains for the config's family ({@code finetune} trains {@link #BERT_CLASSIFIER}). */
        public static Task of(ModelConfig model) {
            return switch (model.family()) {
                case GPT -> GPT;
                case BERT -> BERT_MLM;
                case SEQ2SEQ -> SEQ2SEQ;
            };
        }
    }

    /** The estimate for what {@code train} trains with this config (the family decides). */
    public static MemoryEstimate of(SparkformerConfig config, int vocabSize) {
        return of(config, Task.of(config.model()), vocabSize);
    }

    /**
     * The estimate for {@code task} with this config's architecture and batch; a classifier has as
     * many classes as {@code finetune.labels} lists (2 when it lists none: they come from the data).
     */
    public static MemoryEstimate of(SparkformerConfig config, Task task, int vocabSize) {
        ModelConfig m = config.model();
        long b = config.train().batchSize();
        long t = m.contextLength();
        double tokens = b * t;
        int classes = Math.max(2, config.finetune().labels().size());
        List<ParamSpec> specs = switch (task) {
            case GPT -> new GptModel(GptSpec.of(m, vocabSize)).params();
            case BERT_MLM -> BertModel.maskedLm(BertSpec.of(m, vocabSize)).params();
            case BERT_CLASSIFIER -> BertModel.classifier(BertSpec.of(m, vocabSize), classes,
                    config.finetune().pooling()).params();
            case SEQ2SEQ -> new Seq2SeqModel(Seq2SeqSpec.of(m, config.seq2seq(), vocabSize, vocabSize)).params();
        };
        long params = specs.stream().mapToLong(MemoryEstimate::size).sum();
        Architecture a = m.architecture();
        double c = a.embedDim();
        double ht = (double) a.heads() * t;
        boolean dropout = a.dropout() > 0;
        double l = a.layers();
        double forward = 14.3 * c + 3.05 * a.ffnDim() + 1.0 * ht + (dropout ? 4.0 * (2 * c + ht) : 0);
        double backward = 13.2 * c + 2.2 * a.ffnDim() + 1.1 * ht + (dropout ? 0.55 * (2 * c + ht) : 0);
        double crossForward = 12.3 * c + 1.0 * ht + (dropout ? 4.3 * (c + ht) : 0);
        double crossBackward = 13.3 * c + 1.0 * ht + (dropout ? 0.55 * (c + ht) : 0);
        double perToken = switch (task) {
            case GPT, BERT_MLM, BERT_CLASSIFIER -> l * forward + backward + (6.5 + 1.1 * l) * c;
            case SEQ2SEQ -> l * (2 * forward + crossForward) + backward + crossBackward + (20.5 + 2.2 * l) * c;
        };
        long activations = (long) (tokens * perToken) + (long) vocabSize * a.embedDim();
        double rows = switch (task) {
            case GPT, SEQ2SEQ -> tokens;
            case BERT_MLM -> tokens * config.bert().maskProbability();
            case BERT_CLASSIFIER -> 0;
        };
        double perLogit = task == Task.SEQ2SEQ && config.seq2seq().labelSmoothing() > 0 ? 4.6 : 4.2;
        long logits = (long) (perLogit * rows * vocabSize);
        return new MemoryEstimate(task, params, 4 * params * FLOAT_BYTES, activations * FLOAT_BYTES,
                logits * FLOAT_BYTES);
    }

    /** Off-heap bytes of one replica's arrays: state, activations and logits, without ND4J's runtime. */
    public long replicaBytes() {
        return stateBytes + activationBytes + logitBytes;
    }

    /** Off-heap bytes of one replica that trains: state, activations, logits and ND4J's runtime. */
    public long trainingBytes() {
        return replicaBytes() + RUNTIME_BYTES;
    }

    /** Off-heap bytes for {@code replicas} training in one JVM (they share one ND4J runtime). */
    public long trainingBytes(int replicas) {
        return replicas * replicaBytes() + RUNTIME_BYTES;
    }

    /** "1.2 GiB", "300 MiB": sizes as a user reads them. */
    public static String human(long bytes) {
        if (bytes >= 10L << 30) {
            return (bytes >> 30) + " GiB";
        }
        if (bytes >= 1L << 30) {
            return String.format(java.util.Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30));
        }
        return Math.max(1, (bytes + (1L << 20) - 1) >> 20) + " MiB";
    }

    private static long size(ParamSpec p) {
        long n = 1;
        for (long d : p.shape()) {
            n *= d;
        }
        return n;
    }
}
