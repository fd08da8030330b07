package io.sparkformer.model.nn;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Attention against a plain-loop reference written from the paper's formula. */
class AttentionParityTest {

    /** softmax(q k^T / sqrt(D) + bias) v with loops over double arrays; q [G][T][D], k,v [G][S][D]. */
    static double[][][] naive(double[][][] q, double[][][] k, double[][][] v, boolean[][][] hidden) {
        int g = q.length;
        int t = q[0].length;
        int s = k[0].length;
        int d = q[0][0].length;
        double[][][] out = new double[g][t][d];
        for (int a = 0; a < g; a++) {
            for (int i = 0; i < t; i++) {
                double[] w = new double[s];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < s; j++) {
                    if (hidden[a][i][j]) {
                        w[j] = Double.NEGATIVE_INFINITY;
                        continue;
                    }
                    double dot = 0;
                    for (int c = 0; c < d; c++) {
                        dot += q[a][i][c] * k[a][j][c];
                    }
                    w[j] = dot / Math.sqrt(d);
                    max = Math.max(max, w[j]);
                }
                double sum = 0;
                for (int j = 0; j < s; j++) {
                    w[j] = hidden[a][i][j] ? 0 : Math.exp(w[j] - max);
                    sum += w[j];
                }
                for (int j = 0; j < s; j++) {
                    for (int c = 0; c < d; c++) {
                        out[a][i][c] += w[j] / sum * v[a][j][c];
                    }
                }
            }
        }
        return out;
    }

    @Test
    void causalPaddedAttentionEqualsNaiveLoops() {
        int batch = 2;
        int heads = 2;
        int t = 5;
        int d = 3;
        Nd4j.getRandom().setSeed(7);
        INDArray q = Nd4j.randn(DataType.DOUBLE, batch * heads, t, d);
        INDArray k = Nd4j.randn(DataType.DOUBLE, batch * heads, t, d);
        INDArray v = Nd4j.randn(DataType.DOUBLE, batch * heads, t, d);
        INDArray padding = Nd4j.createFromArray(new double[][] {{1, 1, 1, 1, 1}, {0, 1, 1, 1, 0}});
        INDArray bias = AttentionMask.bias(batch, heads, t, t, true, padding, DataType.DOUBLE);
        INDArray out = Attention.forward(q, k, v, bias, 0.0, null);

        boolean[][][] hidden = new boolean[batch * heads][t][t];
        for (int a = 0; a < batch * heads; a++) {
            for (int i = 0; i < t; i++) {
                for (int j = 0; j < t; j++) {
                    boolean paddedKey = padding.getDouble(a / heads, j) == 0;
                    hidden[a][i][j] = j > i || paddedKey;
                }
                // A query whose every key is hidden has no defined reference value; skip it below.
            }
        }
        double[][][] ref = naive(toArray(q), toArray(k), toArray(v), hidden);
        int compared = 0;
        for (int a = 0; a < batch * heads; a++) {
            for (int i = 0; i < t; i++) {
                boolean anyVisible = false;
                for (int j = 0; j < t; j++) {
                    anyVisible |= !hidden[a][i][j];
                }
                if (!anyVisible) {
                    continue;
                }
                for (int c = 0; c < d; c++) {
                    assertEquals(ref[a][i][c], out.getDouble(a, i, c), 1e-6, "g=" + a + " t=" + i + " c=" + c);
                    compared++;
                }
            }
        }
        assertEquals(batch * heads * t * d - heads * d, compared, "only the all-padded query row is skipped");
    }

    @Test
    void splitThenMergeHeadsIsIdentityAndHeadsAreContiguousColumns() {
        INDArray x = Nd4j.arange(2 * 3 * 4).reshape(6, 4).castTo(DataType.DOUBLE);   // B=2, L=3, C=4
        INDArray heads = Attention.splitHeads(x, 2, 3, 2);                              // [4, 3, 2]
        assertEquals(x.getDouble(1, 2), heads.getDouble(1, 1, 0), 0.0);                 // b0 h1 t1 d0 = row 1, col 2
        assertEquals(x.getDouble(4, 1), heads.getDouble(2, 1, 1), 0.0);                 // b1 h0 t1 d1 = row 4, col 1
        assertEquals(x, Attention.mergeHeads(heads, 2, 2));
    }

    private static double[][][] toArray(INDArray x) {
        int g = (int) x.size(0);
        int t = (int) x.size(1);
        int d = (int) x.size(2);
        double[][][] out = new double[g][t][d];
        for (int a = 0; a < g; a++) {
            for (int i = 0; i < t; i++) {
                for (int c = 0; c < d; c++) {
                    out[a][i][c] = x.getDouble(a, i, c);
                }
            }
        }
        return out;
    }
}
