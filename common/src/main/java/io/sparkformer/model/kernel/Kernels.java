package io.sparkformer.model.kernel;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * Fused element-wise loops (Vector API, {@link VectorLoops}) over the off-heap buffers of dense
 * float arrays, in place of chains of ND4J ops that each make a pass and allocate an array. Callers
 * ask {@link #accepts} first and keep their ND4J code as the reference path for anything else:
 * double arrays (gradient checks), strided views, a non-CPU backend, or a JVM started without
 * {@code --add-modules=jdk.incubator.vector} (a user's own spark-submit), which is detected once and
 * logged in one line. {@code SPARKFORMER_KERNELS} (environment: {@code none}, or a comma list of
 * {@code gelu,layernorm,adam,softmax,residual,heads,sums,updater,adamw}, or {@code all}; {@code residual} also
 * covers {@link #addTiled}) picks kernels for A/B measurements. Unset:
 * {@link #DEFAULT}: every kernel (interleaved A/B on the baby GPT: 1.05x over the first three alone; the
 * memory estimate is fitted with all of them on, README "Performance").
 * This class itself references no Vector API type, so it loads without the module.
 */
public final class Kernels {
    /** The fused loops, each replacing one ND4J op chain. */
    public enum Kernel { GELU, LAYERNORM, ADAM, SOFTMAX, RESIDUAL, HEADS, SUMS, UPDATER, ADAMW }

    /** On unless SPARKFORMER_KERNELS says otherwise. */
    private static final Set<Kernel> DEFAULT = Collections.unmodifiableSet(EnumSet.allOf(Kernel.class));

    private static final Logger LOG = LoggerFactory.getLogger(Kernels.class);
    private static final String MODULE = "jdk.incubator.vector";
    private static final Set<Kernel> ENABLED = load();
    /** Element loops split at multiples of this (a multiple of every vector length, 64 bytes). */
    private static final int BLOCK = 1024;

    private Kernels() {
    }

    /** Whether {@code kernel} runs for these arrays: all dense row-major float in host memory. */
    public static boolean accepts(Kernel kernel, INDArray... arrays) {
        if (!ENABLED.contains(kernel)) {
            return false;
        }
        for (INDArray a : arrays) {
            if (!dense(a)) {
                return false;
            }
        }
        return true;
    }

    /** The kernels this JVM runs (empty without the Vector API module). */
    public static Set<Kernel> active() {
        return Set.copyOf(ENABLED);
    }

    /** gelu-tanh of x [any shape]; {@code sigmoidOut[0]} receives s = sigmoid(2z) for the backward. */
    public static INDArray geluForward(INDArray x, float c1, float c3, INDArray[] sigmoidOut) {
        INDArray y = like(x);
        INDArray s = like(x);
        ByteBuffer xb = bytes(x);
        ByteBuffer yb = bytes(y);
        ByteBuffer sb = bytes(s);
        int n = (int) x.length();
        elements(n, (from, to) -> VectorLoops.geluForward(xb, x.offset() + from, yb, y.offset() + from, sb,
                s.offset() + from, to - from, c1, c3));
        sigmoidOut[0] = s;
        return y;
    }

    /** x [N, F] += bias [F] in place, then as {@link #geluForward}: one pass for both. */
    public static INDArray geluForwardBias(INDArray x, INDArray bias, float c1, float c3, INDArray[] sigmoidOut) {
        INDArray y = like(x);
        INDArray s = like(x);
        int rows = (int) x.size(0);
        int cols = (int) x.size(1);
        ByteBuffer xb = bytes(x);
        ByteBuffer bb = bytes(bias);
        ByteBuffer yb = bytes(y);
        ByteBuffer sb = bytes(s);
        KernelThreads.run(rows, KernelThreads.chunks(rows, x.length()), (chunk, from, to) -> {
            long r = (long) from * cols;
            VectorLoops.geluForwardBias(xb, x.offset() + r, bb, bias.offset(), yb, y.offset() + r, sb, s.offset() + r,
                    to - from, cols, c1, c3);
        });
        sigmoidOut[0] = s;
        return y;
    }

    /** dx = dy * gelu'(x), from x and s = sigmoid(2z). */
    public static INDArray geluBackward(INDArray x, INDArray s, INDArray dy, float c1, float c3) {
        INDArray dx = like(x);
        ByteBuffer xb = bytes(x);
        ByteBuffer sb = bytes(s);
        ByteBuffer dyb = bytes(dy);
        ByteBuffer dxb = bytes(dx);
        elements((int) x.length(), (from, to) -> VectorLoops.geluBackward(xb, x.offset() + from, sb,
                s.offset() + from, dyb, dy.offset() + from, dxb, dx.offset() + from, to - from, c1, c3));
        return dx;
    }

    /** LayerNorm of rows x [N, C]: returns {y, xhat [N, C], rstd [N, 1]}. */
    public static INDArray[] layerNormForward(INDArray x, INDArray gain, INDArray bias, float eps) {
        int rows = (int) x.size(0);
        int cols = (int) x.size(1);
        INDArray y = like(x);
        INDArray xhat = like(x);
        INDArray rstd = Nd4j.createUninitialized(DataType.FLOAT, rows, 1);
        ByteBuffer xb = bytes(x);
        ByteBuffer gb = bytes(gain);
        ByteBuffer bb = bytes(bias);
        ByteBuffer yb = bytes(y);
        ByteBuffer hb = bytes(xhat);
        ByteBuffer rb = bytes(rstd);
        KernelThreads.run(rows, KernelThreads.chunks(rows, x.length()), (chunk, from, to) ->
                VectorLoops.layerNormForward(xb, x.offset() + (long) from * cols, gb, gain.offset(), bb,
                        bias.offset(), yb, y.offset() + (long) from * cols, hb, xhat.offset() + (long) from * cols,
                        rb, rstd.offset() + from, to - from, cols, eps));
        return new INDArray[] {y, xhat, rstd};
    }

    /**
     * LayerNorm backward: returns dx [N, C] (plus {@code residual} [N, C] when not null); adds the
     * column sums of dy and dy*xhat to dbias, dgain.
     */
    public static INDArray layerNormBackward(INDArray xhat, INDArray rstd, INDArray gain, INDArray dy,
                                             INDArray dgain, INDArray dbias, INDArray residual) {
        int rows = (int) xhat.size(0);
        int cols = (int) xhat.size(1);
        INDArray dx = like(xhat);
        ByteBuffer hb = bytes(xhat);
        ByteBuffer rb = bytes(rstd);
        ByteBuffer gb = bytes(gain);
        ByteBuffer dyb = bytes(dy);
        ByteBuffer dxb = bytes(dx);
        ByteBuffer resb = residual == null ? null : bytes(residual);
        long reso = residual == null ? 0 : residual.offset();
        int chunks = KernelThreads.chunks(rows, xhat.length());
        float[][] sumDy = new float[chunks][cols];          // per chunk, added in chunk order: deterministic
        float[][] sumDyXhat = new float[chunks][cols];
        KernelThreads.run(rows, chunks, (chunk, from, to) -> {
            long r = (long) from * cols;
            VectorLoops.layerNormBackward(hb, xhat.offset() + r, rb, rstd.offset() + from, gb, gain.offset(), dyb,
                    dy.offset() + r, dxb, dx.offset() + r, resb, reso + r, sumDy[chunk], sumDyXhat[chunk], to - from,
                    cols);
        });
        for (int c = 0; c < chunks; c++) {
            VectorLoops.addInto(bytes(dbias), dbias.offset(), sumDy[c]);
            VectorLoops.addInto(bytes(dgain), dgain.offset(), sumDyXhat[c]);
        }
        return dx;
    }

    /** y [N, C] += bias [C] (per row) + residual [N, C], in place. */
    public static void biasResidual(INDArray y, INDArray bias, INDArray residual) {
        int rows = (int) y.size(0);
        int cols = (int) y.size(1);
        ByteBuffer yb = bytes(y);
        ByteBuffer bb = bytes(bias);
        ByteBuffer rb = bytes(residual);
        KernelThreads.run(rows, KernelThreads.chunks(rows, y.length()), (chunk, from, to) ->
                VectorLoops.biasResidual(yb, y.offset() + (long) from * cols, bb, bias.offset(), rb,
                        residual.offset() + (long) from * cols, to - from, cols));
    }

    /**
     * y += b repeated over y's consecutive blocks of b's length, in place: a bias [M] on every row of
     * y [N, M], or positions [T, C] on every sequence of y [B*T, C]. Replaces libnd4j's broadcast ops
     * (a TAD lookup and op set-up each) on the forward pass.
     */
    public static void addTiled(INDArray y, INDArray b) {
        int cols = (int) b.length();
        if (cols == 0 || y.length() % cols != 0) {
            throw new IllegalArgumentException("cannot tile " + Arrays.toString(b.shape()) + " over "
                    + Arrays.toString(y.shape()));
        }
        int rows = (int) (y.length() / cols);
        ByteBuffer yb = bytes(y);
        ByteBuffer bb = bytes(b);
        KernelThreads.run(rows, KernelThreads.chunks(rows, y.length()), (chunk, from, to) ->
                VectorLoops.addRowVector(yb, y.offset() + (long) from * cols, bb, b.offset(), to - from, cols));
    }

    /**
     * target [M] += the column sums of x [N, M] (bias gradients): rows split over the task's threads,
     * each chunk summed into its own heap array, the chunks added in order (deterministic).
     */
    public static void addColumnSums(INDArray x, INDArray target) {
        int rows = (int) x.size(0);
        int cols = (int) x.size(1);
        ByteBuffer xb = bytes(x);
        int chunks = KernelThreads.chunks(rows, x.length());
        float[][] sums = new float[chunks][cols];
        KernelThreads.run(rows, chunks, (chunk, from, to) ->
                VectorLoops.columnSums(xb, x.offset() + (long) from * cols, to - from, cols, sums[chunk]));
        ByteBuffer tb = bytes(target);
        for (float[] s : sums) {
            VectorLoops.addInto(tb, target.offset(), s);
        }
    }

    /** Rows x [B*L, k*H*D] (k stacked projections) to heads [k, B*H, L, D], one copy. */
    public static INDArray splitHeads(INDArray x, int batch, int length, int k, int heads) {
        int d = (int) (x.size(1) / k / heads);
        INDArray out = Nd4j.createUninitialized(DataType.FLOAT, new long[] {k, (long) batch * heads, length, d}, 'c');
        copyHeads(x, out, batch, length, k, heads, d, true);
        return out;
    }

    /** Heads [k, B*H, L, D] (or [B*H, L, D] for k = 1) to rows [B*L, k*H*D], one copy. */
    public static INDArray mergeHeads(INDArray x, int batch, int k, int heads) {
        int length = (int) x.size(x.rank() - 2);
        int d = (int) x.size(x.rank() - 1);
        INDArray out = Nd4j.createUninitialized(DataType.FLOAT, new long[] {(long) batch * length, (long) k * heads * d}, 'c');
        copyHeads(out, x, batch, length, k, heads, d, false);
        return out;
    }

    private static void copyHeads(INDArray rows, INDArray heads, int batch, int length, int k, int h, int d,
                                  boolean split) {
        ByteBuffer rb = bytes(rows);
        ByteBuffer hb = bytes(heads);
        KernelThreads.run(batch, KernelThreads.chunks(batch, rows.length()), (chunk, from, to) ->
                VectorLoops.copyHeads(rb, rows.offset(), hb, heads.offset(), batch, from, to, length, k, h, d, split));
    }

    /** Adam on n elements in place: m, v updated; g becomes the update alphaT m / (sqrt(v) + eps). */
    public static void adam(INDArray g, INDArray m, INDArray v, int n, float beta1, float beta2, float epsilon,
                            float alphaT) {
        ByteBuffer gb = bytes(g);
        ByteBuffer mb = bytes(m);
        ByteBuffer vb = bytes(v);
        elements(n, (from, to) -> VectorLoops.adam(gb, g.offset() + from, mb, m.offset() + from, vb,
                v.offset() + from, to - from, beta1, beta2, epsilon, alphaT));
    }

    /**
     * Clip scale, Adam and decoupled weight decay in one pass over n elements (VectorLoops#adamW): g and p
     * hold exactly those n, m and v (an updater block's state) from element {@code stateAt}.
     */
    public static void adamW(INDArray g, INDArray p, INDArray m, INDArray v, long stateAt, int n, float clip,
                             float beta1, float beta2, float epsilon, float alphaT, boolean decays, float decay) {
        ByteBuffer gb = bytes(g);
        ByteBuffer pb = bytes(p);
        ByteBuffer mb = bytes(m);
        ByteBuffer vb = bytes(v);
        long mo = m.offset() + stateAt;
        long vo = v.offset() + stateAt;
        elements(n, (from, to) -> VectorLoops.adamW(gb, g.offset() + from, mb, mo + from, vb, vo + from, pb,
                p.offset() + from, to - from, clip, beta1, beta2, epsilon, alphaT, decays, decay));
    }

    /**
     * Attention scores [G, T, S] to probabilities in place: softmax(scores scale + bias) per row;
     * {@code causal} masks keys after each query by index instead (bias then unused, may be null).
     */
    public static void attentionSoftmax(INDArray scores, float scale, INDArray bias, boolean causal) {
        int t = (int) scores.size(1);
        int s = (int) scores.size(2);
        INDArray b = causal ? null : bias;
        ByteBuffer xb = bytes(scores);
        ByteBuffer bb = b == null ? null : bytes(b);
        long bo = b == null ? 0 : b.offset();
        int groups = (int) scores.size(0);     // chunks start at a group, so row % t stays the query index
        KernelThreads.run(groups, KernelThreads.chunks(groups, scores.length()), (chunk, from, to) -> {
            long r = (long) from * t * s;
            VectorLoops.softmaxForward(xb, scores.offset() + r, bb, bo + r, (to - from) * t, t, s, scale, causal);
        });
    }

    /** The gradient of {@link #attentionSoftmax} in place: dProbs [G, T, S] becomes dScores. */
    public static void attentionSoftmaxBackward(INDArray probs, INDArray dProbs, float scale, boolean causal) {
        int t = (int) probs.size(1);
        int s = (int) probs.size(2);
        ByteBuffer pb = bytes(probs);
        ByteBuffer db = bytes(dProbs);
        int groups = (int) probs.size(0);
        KernelThreads.run(groups, KernelThreads.chunks(groups, probs.length()), (chunk, from, to) -> {
            long r = (long) from * t * s;
            VectorLoops.softmaxBackward(pb, probs.offset() + r, db, dProbs.offset() + r, (to - from) * t, t, s,
                    scale, causal);
        });
    }

    /** A loop over elements [from, to) of flat arrays. */
    private interface Elements {
        void run(int from, int to);
    }

    /** The sum of the squares of x's elements (each chunk's in float vectors, chunks added in double). */
    public static double sumOfSquares(INDArray x) {
        double total = 0;
        for (double v : perChunk(x, VectorLoops::sumOfSquares)) {
            total += v;
        }
        return total;
    }

    /** Whether every element of x is finite (no NaN, no infinity); a read of x, never overflowing as a sum can. */
    public static boolean allFinite(INDArray x) {
        for (double v : perChunk(x, (b, from, n) -> VectorLoops.allFinite(b, from, n) ? 0 : Double.NaN)) {
            if (Double.isNaN(v)) {
                return false;
            }
        }
        return true;
    }

    /** A reduction of n elements of a buffer from element {@code from}. */
    private interface Reduction {
        double of(ByteBuffer b, long from, int n);
    }

    /** {@code reduction} of each chunk of whole blocks of x, split over the threads: one result per chunk. */
    private static double[] perChunk(INDArray x, Reduction reduction) {
        ByteBuffer xb = bytes(x);
        int n = (int) x.length();
        int blocks = (n + BLOCK - 1) / BLOCK;
        int chunks = KernelThreads.chunks(blocks, n);
        double[] results = new double[chunks];
        KernelThreads.run(blocks, chunks, (chunk, from, to) -> results[chunk] =
                reduction.of(xb, x.offset() + (long) from * BLOCK, Math.min(n, to * BLOCK) - from * BLOCK));
        return results;
    }

    /** x *= a in place. */
    public static void scale(INDArray x, float a) {
        ByteBuffer xb = bytes(x);
        elements((int) x.length(), (from, to) -> VectorLoops.scale(xb, x.offset() + from, to - from, a));
    }

    /** y += a x in place (x and y of one length). */
    public static void axpy(float a, INDArray x, INDArray y) {
        ByteBuffer xb = bytes(x);
        ByteBuffer yb = bytes(y);
        elements((int) y.length(), (from, to) -> VectorLoops.axpy(a, xb, x.offset() + from, yb, y.offset() + from,
                to - from));
    }

    /** x = 0. */
    public static void zero(INDArray x) {
        ByteBuffer xb = bytes(x);
        elements((int) x.length(), (from, to) -> VectorLoops.fill(xb, x.offset() + from, to - from, 0f));
    }

    /** Runs an element loop over [0, n) in chunks of whole vectors (see {@link KernelThreads}). */
    private static void elements(int n, Elements loop) {
        int blocks = (n + BLOCK - 1) / BLOCK;
        KernelThreads.run(blocks, KernelThreads.chunks(blocks, n), (chunk, from, to) ->
                loop.run(from * BLOCK, Math.min(n, to * BLOCK)));
    }

    private static INDArray like(INDArray x) {
        return Nd4j.createUninitialized(DataType.FLOAT, x.shape(), 'c');
    }

    /** The whole off-heap buffer of {@code a} in native order (byte 0 = buffer element 0). */
    private static ByteBuffer bytes(INDArray a) {
        return a.data().asNio().order(ByteOrder.nativeOrder());
    }

    /** Float, row-major contiguous, host memory, addressable with int byte offsets. */
    static boolean dense(INDArray a) {
        return a != null && a.dataType() == DataType.FLOAT && !a.isEmpty() && rowMajorContiguous(a)
                && (a.offset() + a.length()) * Float.BYTES <= Integer.MAX_VALUE
                && Nd4j.getEnvironment().isCPU();
    }

    /** Strides of a packed row-major array, ignoring axes of size 1 (whose stride ND4J sets freely). */
    private static boolean rowMajorContiguous(INDArray a) {
        long[] shape = a.shape();
        long[] stride = a.stride();
        long expected = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1 && stride[i] != expected) {
                return false;
            }
            expected *= shape[i];
        }
        return true;
    }

    private static Set<Kernel> load() {
        if (ModuleLayer.boot().findModule(MODULE).isEmpty()) {
            LOG.warn("{} is not in this JVM (start it with --add-modules={}): element-wise work runs as ND4J ops",
                    MODULE, MODULE);
            return EnumSet.noneOf(Kernel.class);
        }
        String spec = System.getenv("SPARKFORMER_KERNELS");
        EnumSet<Kernel> on = EnumSet.copyOf(DEFAULT);
        if (spec != null && spec.trim().equals("all")) {
            on = EnumSet.allOf(Kernel.class);
        } else if (spec != null && !spec.isBlank()) {
            on = EnumSet.noneOf(Kernel.class);
            for (String name : spec.split(",")) {
                String n = name.trim().toUpperCase(Locale.ROOT);
                if (Arrays.stream(Kernel.values()).anyMatch(k -> k.name().equals(n))) {
                    on.add(Kernel.valueOf(n));
                } else if (!n.isEmpty() && !n.equals("NONE")) {
                    LOG.warn("SPARKFORMER_KERNELS: unknown kernel '{}' ignored (gelu, layernorm, adam, softmax, residual, heads, sums, updater, adamw)", name);
                }
            }
        }
        LOG.info("Vector API kernels {} ({}-bit vectors)", on, VectorLoops.vectorBits());
        return on;
    }
}
