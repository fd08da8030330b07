package io.sparkformer.model.seq2seq;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * How a batch of (source, decoder input) pairs travels through DL4J as ONE features array, so that
 * the whole encoder-decoder stays one DL4J layer (one input, one output, tied embeddings possible)
 * and DL4J's Spark training, masks and serialisation apply unchanged: features [B, 2L] hold the
 * source ids in columns [0, L) and the decoder input ids in columns [L, 2L), each side right-padded
 * to L, the longer of the batch's longest source and longest decoder input. The features mask
 * [B, 2L] is split the same way into the source and target padding masks. Labels [B, L] are the
 * decoder's next tokens, the labels mask [B, L] marks real ones. Padding the shorter side to the
 * longer costs a little compute (source and target lengths are close in translation); a fixed split
 * in the layer config would instead pad every batch to the maximum length.
 */
public final class PackedPairs {
    private PackedPairs() {
    }

    /** L of a packed features array (or mask) [B, 2L]. */
    public static int sideLength(INDArray packed) {
        return sideLength(packed.size(1));
    }

    private static int sideLength(long width) {
        if (width % 2 != 0) {
            throw new IllegalArgumentException("a packed seq2seq batch has an even width 2L (source | target), got "
                    + width);
        }
        return (int) (width / 2);
    }

    /** Columns [0, L): the source side. */
    public static INDArray source(INDArray packed) {
        int l = sideLength(packed);
        return packed.get(NDArrayIndex.all(), NDArrayIndex.interval(0, l)).dup('c');
    }

    /** Columns [L, 2L): the target (decoder input) side. */
    public static INDArray target(INDArray packed) {
        int l = sideLength(packed);
        return packed.get(NDArrayIndex.all(), NDArrayIndex.interval(l, 2 * l)).dup('c');
    }

    /** The source ids [B*L] of packed ids [B*2L] (row-major). */
    public static int[] sourceIds(int[] packed, int batch) {
        return side(packed, batch, 0);
    }

    /** The target (decoder input) ids [B*L] of packed ids [B*2L] (row-major). */
    public static int[] targetIds(int[] packed, int batch) {
        return side(packed, batch, 1);
    }

    private static int[] side(int[] packed, int batch, int which) {
        int l = sideLength(packed.length / batch);
        int[] out = new int[batch * l];
        for (int r = 0; r < batch; r++) {
            System.arraycopy(packed, (2 * r + which) * l, out, r * l, l);
        }
        return out;
    }

    /** Packs ids [B][<=L] per side into features [B*2L] (row-major) with {@code pad} in unused cells. */
    public static float[] pack(int[][] sources, int[][] targets, int length, int sourcePad, int targetPad) {
        int b = sources.length;
        float[] out = new float[b * 2 * length];
        for (int r = 0; r < b; r++) {
            int base = r * 2 * length;
            for (int i = 0; i < length; i++) {
                out[base + i] = i < sources[r].length ? sources[r][i] : sourcePad;
                out[base + length + i] = i < targets[r].length ? targets[r][i] : targetPad;
            }
        }
        return out;
    }

    /** The features mask [B*2L] (row-major) for the same sequences: 1 real, 0 padding. */
    public static float[] mask(int[][] sources, int[][] targets, int length) {
        int b = sources.length;
        float[] out = new float[b * 2 * length];
        for (int r = 0; r < b; r++) {
            int base = r * 2 * length;
            for (int i = 0; i < sources[r].length; i++) {
                out[base + i] = 1f;
            }
            for (int i = 0; i < targets[r].length; i++) {
                out[base + length + i] = 1f;
            }
        }
        return out;
    }
}
