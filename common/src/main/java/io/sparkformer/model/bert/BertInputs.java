package io.sparkformer.model.bert;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * How token types (segments) reach a BERT through DL4J's one input: a model with
 * {@code typeVocabSize > 0} reads an input [B, 2T] as ids | types, row by row, when its padding mask
 * is [B, T]; an input [B, T] (or one without a mask) means every type is 0, so single-text data needs
 * no change. Sentence pairs are {@code [CLS] a [SEP] b [SEP]} with types 0 up to the first [SEP]
 * and 1 after it.
 */
public final class BertInputs {
    private BertInputs() {
    }

    /** ids [B, T] and types [B, T] to the packed input [B, 2T], in the ids' data type. */
    public static INDArray pack(INDArray ids, INDArray types) {
        if (!java.util.Arrays.equals(ids.shape(), types.shape()) || ids.rank() != 2) {
            throw new IllegalArgumentException("token ids " + java.util.Arrays.toString(ids.shape())
                    + " and token types " + java.util.Arrays.toString(types.shape()) + " must both be [B, T]");
        }
        return Nd4j.hstack(ids, types.castTo(ids.dataType()));
    }

    /** A packed row-major input of {@code batch} rows, flattened, to {ids, types}, each B*T long. */
    static int[][] unpack(int[] packed, int batch) {
        int width = packed.length / batch;
        int t = width / 2;
        int[] ids = new int[batch * t];
        int[] types = new int[batch * t];
        for (int b = 0; b < batch; b++) {
            System.arraycopy(packed, b * width, ids, b * t, t);
            System.arraycopy(packed, b * width + t, types, b * t, t);
        }
        return new int[][] {ids, types};
    }
}
