package io.sparkformer.model;

import io.sparkformer.config.ModelConfig;
import io.sparkformer.model.gpt.GptModel;
import io.sparkformer.model.gpt.GptSpec;
import io.sparkformer.model.nn.TransformerBlock.ParamSpec;

/**
 * ND4J off-heap bytes one training replica of a GPT needs (float32), so a job can refuse to start
 * on executors that are too small instead of being killed by the cluster manager mid-run.
 * With B = batch, T = context, C = embedDim, F = ffnDim, H = heads, L = layers, V = vocabulary:
 * <pre>
 *   state       = 4 x params                      parameters, gradients, Adam m and v
 *   activations = L x B x T x (8C + 2F + 2HT)     what the explicit backward pass keeps per block:
 *                                                 x, LN1, qkv, attention out, LN2, projections (8C),
 *                                                 FFN pre-activation and GELU (2F), attention
 *                                                 probabilities before and after dropout (2HT)
 *   logits      = 2 x B x T x V                   logits and their gradient
 *   runtime     = 64 MiB                          ND4J's own buffers (BLAS, workspaces, javacpp)
 * </pre>
 * With F = 4C the activation term is the usual L x B x T x (16C + 2HT). It is an estimate of the
 * peak, not an exact account: temporaries of one op come and go within it.
 */
public record MemoryEstimate(long params, long stateBytes, long activationBytes, long logitBytes) {
    public static final long FLOAT_BYTES = 4;
    public static final long RUNTIME_BYTES = 64L << 20;

    public static MemoryEstimate of(ModelConfig model, int vocabSize, int batchSize) {
        long params = new GptModel(GptSpec.of(model, vocabSize)).params().stream()
                .mapToLong(MemoryEstimate::size).sum();
        long tokens = (long) batchSize * model.contextLength();
        long perToken = 8L * model.embedDim() + 2L * model.ffnDim() + 2L * model.heads() * model.contextLength();
        return new MemoryEstimate(params,
                4 * params * FLOAT_BYTES,
                model.layers() * tokens * perToken * FLOAT_BYTES,
                2 * tokens * vocabSize * FLOAT_BYTES);
    }

    /** Off-heap bytes of one replica that trains: state, activations, logits and ND4J's runtime. */
    public long trainingBytes() {
        return stateBytes + activationBytes + logitBytes + RUNTIME_BYTES;
    }

    /** Off-heap bytes for {@code replicas} training in one JVM (they share one ND4J runtime). */
    public long trainingBytes(int replicas) {
        return replicas * (stateBytes + activationBytes + logitBytes) + RUNTIME_BYTES;
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
