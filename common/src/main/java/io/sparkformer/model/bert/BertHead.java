package io.sparkformer.model.bert;

import io.sparkformer.model.nn.TransformerBlock.ParamSpec;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.List;
import java.util.Map;

/** A task head on the encoder's output [B*T, C]: its parameters, logits, and the way back to dHidden. */
interface BertHead {

    List<ParamSpec> params();

    /**
     * @param hidden   the encoder's output [B*T, C], batch-major
     * @param padding  [B, T] with 1 for real tokens and 0 for padding, or null (no padding)
     * @param selected rows of {@code hidden} whose labels carry loss, or null for all; a head may
     *                 score these rows only (and say so in {@link Pass#rows})
     */
    Pass forward(Map<String, INDArray> p, INDArray hidden, int batch, INDArray padding, int[] selected, boolean training);

    /** Accumulates the head's parameter gradients (and any it shares) into {@code g}; returns dHidden. */
    INDArray backward(Map<String, INDArray> p, Map<String, INDArray> g, Pass pass, INDArray dLogits);

    /** A head's logits plus whatever its backward pass needs (subclassed per head). */
    class Pass {
        INDArray logits;
        /** The label rows {@code logits} holds, or null for all of them. */
        int[] rows;
    }
}
