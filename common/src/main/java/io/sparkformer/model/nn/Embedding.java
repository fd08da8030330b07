package io.sparkformer.model.nn;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Arrays;

/** Token lookup and its gradient, plus the fixed sinusoidal position table of the Transformer paper. */
public final class Embedding {
    /** Tables up to this many entries take their gradient as one dense add. */
    private static final long DENSE_LIMIT = 1L << 20;

    private Embedding() {
    }

    /** Rows of the table [V, C] for ids (length N): [N, C]. */
    public static INDArray lookup(INDArray table, int[] ids) {
        return Nd4j.pullRows(table, 1, ids);
    }

    /**
     * Accumulates dTable[ids[i]] += dRows[i]. Repeated ids are summed on the heap first.
     */
    public static void accumulate(INDArray dTable, int[] ids, INDArray dRows) {
        int n = ids.length;
        int width = (int) dRows.size(1);
        int[] order = new int[n];
        Integer[] boxed = new Integer[n];
        for (int i = 0; i < n; i++) {
            boxed[i] = i;
        }
        Arrays.sort(boxed, (a, b) -> Integer.compare(ids[a], ids[b]));
        int distinct = 0;
        int[] uniqueIds = new int[n];
        int[] slot = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = boxed[i];
            if (i == 0 || ids[order[i]] != ids[order[i - 1]]) {
                uniqueIds[distinct++] = ids[order[i]];
            }
            slot[order[i]] = distinct - 1;
        }
        double[] rows = dRows.dup('c').data().asDouble();
        double[] summed = new double[distinct * width];
        for (int i = 0; i < n; i++) {
            int base = slot[i] * width;
            int src = i * width;
            for (int c = 0; c < width; c++) {
                summed[base + c] += rows[src + c];
            }
        }
        long vocab = dTable.size(0);
        if (vocab * width <= DENSE_LIMIT) {
            // Small tables (character vocabularies): one dense add instead of one op per row, which
            // was ~5% of a baby-GPT step (65 rows, ~30 us of op overhead each).
            double[] dense = new double[(int) (vocab * width)];
            for (int j = 0; j < distinct; j++) {
                System.arraycopy(summed, j * width, dense, uniqueIds[j] * width, width);
            }
            dTable.addi(Nd4j.create(dense, new long[] {vocab, width}, 'c').castTo(dTable.dataType()));
            return;
        }
        INDArray updates = Nd4j.create(summed, new long[] {distinct, width}, 'c').castTo(dTable.dataType());
        // ND4J 1.0.0-M2.1's scatter_add into a view of the flat gradient gave wrong rows (caught by
        // GptModelGradientTest), so rows are added one by one: at most min(V, N) small ops.
        for (int j = 0; j < distinct; j++) {
            dTable.getRow(uniqueIds[j]).addi(updates.getRow(j));
        }
    }

    /** PE(t, 2i) = sin(t / 10000^(2i/C)), PE(t, 2i+1) = cos(t / 10000^(2i/C)); shape [T, C]. */
    public static INDArray sinusoidal(int length, int width, org.nd4j.linalg.api.buffer.DataType dataType) {
        double[] pe = new double[length * width];
        for (int t = 0; t < length; t++) {
            for (int i = 0; i < width; i += 2) {
                double angle = t / Math.pow(10000.0, (double) i / width);
                pe[t * width + i] = Math.sin(angle);
                if (i + 1 < width) {
                    pe[t * width + i + 1] = Math.cos(angle);
                }
            }
        }
        return Nd4j.create(pe, new long[] {length, width}, 'c').castTo(dataType);
    }
}
