import io.sparkformer.model.kernel.Gemm;
import io.sparkformer.model.nn.Reductions;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas_nolapack;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Every matrix product one GPT training step runs (model/nn/TransformerBlock, Attention, Linear,
 * Reductions, gpt/GptModel), made with the very calls the model makes (Gemm.multiply on 'c'-order
 * [rows, cols] arrays, Nd4j.matmul on [G, T, D] stacks), each timed alone: median of the repetitions
 * after a warm-up. Prints one row per product with m, n, k, transposes, calls per step, ms per call,
 * GFLOP/s and ms per step, and the sum. Run by bench/gemm-inventory.sh.
 *   java -cp CLASSPATH GemmInventory.java LAYERS HEADS EMBED CONTEXT BATCH VOCAB [REPS]
 */
public class GemmInventory {
    /** ms: into an output allocated once (as in the model's workspaces); fresh: a new output per call. */
    record Row(String name, long m, long n, long k, String trans, int calls, double ms, double fresh) {
        double gflops() {
            return 2.0 * m * n * k / (ms * 1e6);
        }
    }

    static final List<Row> ROWS = new ArrayList<>();
    static int reps;

    interface Op {
        void run();
    }

    static double time(Op op) {
        for (int i = 0; i < 3; i++) {
            op.run();
        }
        double[] t = new double[reps];
        for (int i = 0; i < reps; i++) {
            long s = System.nanoTime();
            op.run();
            t[i] = (System.nanoTime() - s) / 1e6;
        }
        Arrays.sort(t);
        return t[reps / 2];
    }

    static INDArray rnd(long... shape) {
        return Nd4j.rand(DataType.FLOAT, shape).subi(0.5);
    }

    /** C = op(A) op(B) with the model's call: Nd4j.gemm(a, b, ta, tb), a and b 'c' order. */
    static void gemm(String name, int calls, long m, long n, long k, boolean ta, boolean tb, boolean accumulate) {
        INDArray a = ta ? rnd(k, m) : rnd(m, k);
        INDArray b = tb ? rnd(n, k) : rnd(k, n);
        INDArray c = Nd4j.zeros(DataType.FLOAT, m, n);
        boolean gemv = m == 1 || n == 1;   // Reductions' GEMVs call ND4J directly
        double ms = time(() -> {
            if (gemv) {
                Nd4j.gemm(a, b, c, ta, tb, 1.0, accumulate ? 1.0 : 0.0);
            } else {
                Gemm.multiply(a, b, c, ta, tb, accumulate ? 1.0 : 0.0);
            }
        });
        double fresh = accumulate ? Double.NaN : time(() -> Gemm.multiply(a, b, ta, tb));
        ROWS.add(new Row(name, m, n, k, (ta ? "T" : "N") + (tb ? "T" : "N") + (accumulate ? " +=" : ""), calls,
                ms, fresh));
        // The same product as one direct cblas_sgemm call into the OpenBLAS ND4J loaded, no ND4J op.
        FloatPointer pa = (FloatPointer) a.data().addressPointer();
        FloatPointer pb = (FloatPointer) b.data().addressPointer();
        FloatPointer pc = (FloatPointer) c.data().addressPointer();
        double beta = accumulate ? 1.0 : 0.0;
        ROWS.add(new Row("  same as direct cblas_sgemm", m, n, k, (ta ? "T" : "N") + (tb ? "T" : "N"), 0,
                time(() -> openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasRowMajor,
                        ta ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans,
                        tb ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans, (int) m, (int) n, (int) k,
                        1.0f, pa, (int) (ta ? m : k), pb, (int) (tb ? k : n), (float) beta, pc, (int) n)),
                Double.NaN));
        if (!ta && !tb && !accumulate) {
            // PyTorch's nn.Linear layout: W stored [out, in], y = x W^T (row-major NT).
            INDArray bt = rnd(n, k);
            ROWS.add(new Row("  same with W stored [out, in]", m, n, k, "NT", 0,
                    time(() -> Nd4j.gemm(a, bt, c, false, true, 1.0, 0.0)), Double.NaN));
        }
    }

    /**
     * The model's bias-gradient call (Reductions.addColumnSums: the vector kernel with the Vector API
     * module, else the GEMV above): {@code calls} per step, 0 for a comparison row.
     */
    static void columnSums(int calls, long rows, long cols) {
        INDArray x = rnd(rows, cols);
        INDArray target = Nd4j.zeros(DataType.FLOAT, cols);
        ROWS.add(new Row("  same as Reductions.addColumnSums (the model's call)", 1, cols, rows, "NN +=", calls,
                time(() -> Reductions.addColumnSums(x, target)), Double.NaN));
    }

    /** G products [m, k] x [k, n] as the model makes them: one Nd4j.matmul on rank-3 stacks. */
    static void batched(String name, int calls, long g, long m, long n, long k, boolean ta, boolean tb) {
        INDArray a = ta ? rnd(g, k, m) : rnd(g, m, k);
        INDArray b = tb ? rnd(g, n, k) : rnd(g, k, n);
        INDArray c = Nd4j.create(DataType.FLOAT, g, m, n);
        double ms = time(() -> Gemm.batched(a, b, c, ta, tb));
        double fresh = time(() -> Gemm.batched(a, b, null, ta, tb));
        ROWS.add(new Row(name + " (matmul rank 3, G=" + g + ")", m, n, k,
                (ta ? "T" : "N") + (tb ? "T" : "N"), calls, ms / g, fresh / g));
        // The same products as G plain 2-D BLAS calls on views of the stacks.
        double loop = time(() -> {
            for (long i = 0; i < g; i++) {
                Nd4j.gemm(a.get(NDArrayIndex.point(i)), b.get(NDArrayIndex.point(i)), c.get(NDArrayIndex.point(i)),
                        ta, tb, 1.0, 0.0);
            }
        });
        ROWS.add(new Row("  same as G x Nd4j.gemm on 2-D views", m, n, k, (ta ? "T" : "N") + (tb ? "T" : "N"),
                0, loop / g, Double.NaN));
    }

    public static void main(String[] args) {
        int layers = Integer.parseInt(args[0]);
        int heads = Integer.parseInt(args[1]);
        long c = Long.parseLong(args[2]);
        long t = Long.parseLong(args[3]);
        long batch = Long.parseLong(args[4]);
        long vocab = Long.parseLong(args[5]);
        reps = args.length > 6 ? Integer.parseInt(args[6]) : 20;
        long n = batch * t;
        long f = 4 * c;
        long g = batch * heads;
        long d = c / heads;
        System.out.printf("# GEMM inventory: %dL/%dH/%d, ctx %d, batch %d, vocab %d (N = B*T = %d, G = B*H = %d, D = %d); "
                + "threads: OMP %s, OpenBLAS %s; median of %d%n", layers, heads, c, t, batch, vocab, n, g, d,
                System.getenv("OMP_NUM_THREADS"), System.getenv("OPENBLAS_NUM_THREADS"), reps);
        // Forward, per block.
        gemm("fwd qkv  x W", layers, n, 3 * c, c, false, false, false);
        batched("fwd scores q k^T", layers, g, t, t, d, false, true);
        batched("fwd ctx  P v", layers, g, t, d, t, false, false);
        gemm("fwd attn.proj", layers, n, c, c, false, false, false);
        gemm("fwd mlp.fc", layers, n, f, c, false, false, false);
        gemm("fwd mlp.proj", layers, n, c, f, false, false, false);
        gemm("fwd logits h wte^T", 1, n, vocab, c, false, true, false);
        // Backward.
        gemm("bwd logits dwte = dL^T h", 1, vocab, c, n, true, false, false);
        gemm("bwd logits dh = dL wte", 1, n, c, vocab, false, false, false);
        gemm("bwd mlp.proj dW = a^T dy", layers, f, c, n, true, false, true);
        gemm("bwd mlp.proj dx = dy W^T", layers, n, f, c, false, true, false);
        gemm("bwd mlp.fc dW", layers, c, f, n, true, false, true);
        gemm("bwd mlp.fc dx", layers, n, c, f, false, true, false);
        gemm("bwd attn.proj dW", layers, c, c, n, true, false, true);
        gemm("bwd attn.proj dx", layers, n, c, c, false, true, false);
        batched("bwd dv = P^T dO", layers, g, t, d, t, true, false);
        batched("bwd dP = dO v^T", layers, g, t, t, d, false, true);
        batched("bwd dq = dS k", layers, g, t, d, t, false, false);
        batched("bwd dk = dS^T q", layers, g, t, d, t, true, false);
        gemm("bwd qkv dW", layers, c, 3 * c, n, true, false, true);
        gemm("bwd qkv dx", layers, n, c, 3 * c, false, true, false);
        // GEMVs of Reductions: bias/LN column sums (ones[1,N] x [N,w]) and LN row means ([N,C] x [C,1]).
        gemm("gemv colsum [N,C] (ln g/b, proj.b, mproj.b)", 6 * layers + 2, 1, c, n, false, false, true);
        columnSums(2 * layers + 2, n, c);
        gemm("gemv colsum [N,3C] (qkv.b)", layers, 1, 3 * c, n, false, false, true);
        columnSums(0, n, 3 * c);
        gemm("gemv colsum [N,F] (fc.b)", layers, 1, f, n, false, false, true);
        columnSums(0, n, f);
        gemm("gemv rowmean [N,C] x [C,1] (LN bwd)", 4 * layers + 2, n, 1, c, false, false, false);

        double total = 0;
        double flops = 0;
        System.out.println("| product | m | n | k | op (row-major) | calls/step | ms/call | GFLOP/s | ms/step "
                + "| ms/call, new output each call |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|");
        for (Row r : ROWS) {
            int calls = r.calls();
            boolean batchedRow = r.name().contains("rank 3");
            long perCall = batchedRow ? g : 1;
            double stepMs = r.ms() * perCall * calls;
            total += stepMs;
            flops += 2.0 * r.m() * r.n() * r.k() * perCall * calls;
            System.out.println(String.format(Locale.ROOT, "| %s | %d | %d | %d | %s | %s | %.4f | %.1f | %s | %s |",
                    r.name(), r.m(), r.n(), r.k(), r.trans(), calls == 0 ? "-" : (batchedRow ? calls + " x " + g : calls),
                    r.ms(), r.gflops(), calls == 0 ? "-" : String.format(Locale.ROOT, "%.2f", stepMs),
                    Double.isNaN(r.fresh()) ? "-" : String.format(Locale.ROOT, "%.4f", r.fresh())));
        }
        System.out.println(String.format(Locale.ROOT, "TOTAL %.1f ms/step, %.2f GFLOP/step, %.1f GFLOP/s average",
                total, flops / 1e9, flops / 1e9 / (total / 1e3)));
    }
}
