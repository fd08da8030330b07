package io.sparkformer.model.bert;

import io.sparkformer.model.nn.Dropout;
import io.sparkformer.model.nn.Linear;
import io.sparkformer.model.nn.TransformerBlock.Init;
import io.sparkformer.model.nn.TransformerBlock.ParamSpec;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.util.List;
import java.util.Map;

/**
 * BERT's sequence classifier on the first ([CLS]) position, K classes:
 * <pre>
 *   c      = h[:, 0]                       [B, C]
 *   pooled = tanh(c W_p + b_p)             [B, C]   BERT's pooler
 *   logits = drop(pooled) W_c + b_c        [B, K]
 * </pre>
 */
final class ClassifierHead implements BertHead {
    static final String POOLER_WEIGHT = "pooler.W";
    static final String POOLER_BIAS = "pooler.b";
    static final String CLASSIFIER_WEIGHT = "classifier.W";
    static final String CLASSIFIER_BIAS = "classifier.b";

    private final BertSpec spec;
    private final int classes;

    ClassifierHead(BertSpec spec, int classes) {
        if (classes < 2) {
            throw new IllegalArgumentException("a classifier needs at least 2 classes, got " + classes);
        }
        this.spec = spec;
        this.classes = classes;
    }

    @Override
    public List<ParamSpec> params() {
        long c = spec.embedDim();
        return List.of(
                new ParamSpec(POOLER_WEIGHT, new long[] {c, c}, Init.NORMAL),
                new ParamSpec(POOLER_BIAS, new long[] {c}, Init.ZERO),
                new ParamSpec(CLASSIFIER_WEIGHT, new long[] {c, classes}, Init.NORMAL),
                new ParamSpec(CLASSIFIER_BIAS, new long[] {classes}, Init.ZERO));
    }

    private static final class ClassifierPass extends Pass {
        int length;
        INDArray first;
        INDArray pooled;
        INDArray dropMask;
        INDArray dropped;
    }

    @Override
    public Pass forward(Map<String, INDArray> p, INDArray hidden, int batch, int[] selected, boolean training) {
        ClassifierPass pass = new ClassifierPass();
        pass.length = (int) (hidden.size(0) / batch);
        pass.first = hidden.reshape('c', batch, pass.length, spec.embedDim())
                .get(NDArrayIndex.all(), NDArrayIndex.point(0), NDArrayIndex.all()).dup('c');          // [B, C]
        pass.pooled = Transforms.tanh(Linear.forward(pass.first, p.get(POOLER_WEIGHT), p.get(POOLER_BIAS)), false);
        pass.dropMask = Dropout.mask(pass.pooled, training ? spec.dropout() : 0.0);
        pass.dropped = Dropout.apply(pass.pooled, pass.dropMask);
        pass.logits = Linear.forward(pass.dropped, p.get(CLASSIFIER_WEIGHT), p.get(CLASSIFIER_BIAS));  // [B, K]
        return pass;
    }

    @Override
    public INDArray backward(Map<String, INDArray> p, Map<String, INDArray> g, Pass head, INDArray dLogits) {
        ClassifierPass pass = (ClassifierPass) head;
        INDArray dDropped = Linear.backward(pass.dropped, p.get(CLASSIFIER_WEIGHT), dLogits,
                g.get(CLASSIFIER_WEIGHT), g.get(CLASSIFIER_BIAS));                                  // [B, C]
        INDArray dPre = Dropout.apply(dDropped, pass.dropMask)
                .muli(pass.pooled.mul(pass.pooled).rsubi(1.0));                                    // tanh' = 1 - y^2
        INDArray dFirst = Linear.backward(pass.first, p.get(POOLER_WEIGHT), dPre, g.get(POOLER_WEIGHT),
                g.get(POOLER_BIAS));
        long batch = dFirst.size(0);
        INDArray dHidden = Nd4j.zeros(dFirst.dataType(), batch, pass.length, spec.embedDim());       // [B, T, C]
        dHidden.get(NDArrayIndex.all(), NDArrayIndex.point(0), NDArrayIndex.all()).assign(dFirst);
        return dHidden.reshape('c', batch * pass.length, spec.embedDim());
    }
}
