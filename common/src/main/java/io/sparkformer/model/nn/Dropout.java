package io.sparkformer.model.nn;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Inverted dropout: kept units are scaled by 1/(1-p) so inference needs no rescaling. */
public final class Dropout {
    private Dropout() {
    }

    /** A mask of 0 and 1/(1-p) shaped like {@code like}, or null when p == 0. */
    public static INDArray mask(INDArray like, double p) {
        if (p <= 0) {
            return null;
        }
        INDArray u = Nd4j.rand(like.dataType(), like.shape());
        return u.gt(p).castTo(like.dataType()).muli(1.0 / (1.0 - p));
    }

    public static INDArray apply(INDArray x, INDArray mask) {
        return mask == null ? x : x.mul(mask);
    }
}
