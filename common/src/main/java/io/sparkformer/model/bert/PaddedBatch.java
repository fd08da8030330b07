package io.sparkformer.model.bert;

import java.util.Arrays;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Framed sequences of different lengths as one BERT batch for inference: ids padded to the longest
 * (T) and the padding mask that keeps padded keys out of attention, so a sequence's outputs do not
 * depend on its batch.
 *
 * @param ids     B*T token ids, batch-major, {@code pad} after each sequence
 * @param padding [B, T], 1 for real tokens and 0 for padding
 * @param length  T, the longest sequence
 */
public record PaddedBatch(int[] ids, INDArray padding, int length) {

    /** @param dataType the model's (the mask is multiplied into its scores) */
    public static PaddedBatch of(List<int[]> sequences, int pad, DataType dataType) {
        int t = sequences.stream().mapToInt(s -> s.length).max().orElse(0);
        int b = sequences.size();
        int[] ids = new int[b * t];
        Arrays.fill(ids, pad);
        float[] mask = new float[b * t];
        for (int i = 0; i < b; i++) {
            int[] row = sequences.get(i);
            System.arraycopy(row, 0, ids, i * t, row.length);
            Arrays.fill(mask, i * t, i * t + row.length, 1f);
        }
        return new PaddedBatch(ids, Nd4j.createFromArray(mask).reshape(b, t).castTo(dataType), t);
    }

    public int batch() {
        return (int) padding.size(0);
    }
}
