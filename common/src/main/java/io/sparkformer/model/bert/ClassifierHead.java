package io.sparkformer.model.bert;

import io.sparkformer.config.FinetuneConfig;
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
 * BERT's sequence classifier, K classes, on the first ([CLS]) position or on the mean of the real
 * positions:
 * <pre>
 *   c      = h[:, 0]                       [B, C]   FIRST
 *          | sum_t w[:, t] h[:, t]         [B, C]   MEAN: w = padding mask / real tokens per row
 *   pooled = tanh(c W_p + b_p)             [B, C]   BERT's pooler
 *   logits = drop(pooled) W_c + b_c        [B, K]
 * </pre>
 * Masked-LM pretraining trains every position's output but never [CLS]'s (it is never predicted),
 * so MEAN lets a classifier start from representations pretraining shaped.
 */
public final class ClassifierHead implements BertHead {
    public static final String POOLER_WEIGHT = "pooler.W";
    public static final String POOLER_BIAS = "pooler.b";
    static final String CLASSIFIER_WEIGHT = "classifier.W";
    static final String CLASSIFIER_BIAS = "classifier.b";

    private final BertSpec spec;
    private final int classes;
    private final FinetuneConfig.Pooling pooling;

    ClassifierHead(BertSpec spec, int classes, FinetuneConfig.Pooling pooling) {
        if (classes < 2) {
            throw new IllegalArgumentException("a classifier needs at least 2 classes, got " + classes);
        }
        this.spec = spec;
        this.classes = classes;
        this.pooling = pooling;
    }

    @Override
    public List<ParamSpec> params() {
        long c = spec.arch().embedDim();
        return List.of(
                new ParamSpec(POOLER_WEIGHT, new long[] {c, c}, Init.NORMAL),
                new ParamSpec(POOLER_BIAS, new long[] {c}, Init.ZERO),
                new ParamSpec(CLASSIFIER_WEIGHT, new long[] {c, classes}, Init.NORMAL),
                new ParamSpec(CLASSIFIER_BIAS, new long[] {classes}, Init.ZERO));
    }

    private static final class ClassifierPass extends Pass {
        int length;
        /** [B, 1, T] pooling weights (MEAN only). */
        INDArray weights;
        INDArray first;
        INDArray pooled;
        INDArray dropMask;
        INDArray dropped;
    }

    @Override
    public Pass forward(Map<String, INDArray> p, INDArray hidden, int batch, INDArray padding, int[] selected,
                        boolean training) {
        ClassifierPass pass = new ClassifierPass();
        pass.length = (int) (hidden.size(0) / batch);
        INDArray h = hidden.reshape('c', batch, pass.length, spec.arch().embedDim());                        // [B, T, C]
        if (pooling == FinetuneConfig.Pooling.MEAN) {
            INDArray real = padding == null ? Nd4j.ones(hidden.dataType(), batch, pass.length)
                    : padding.castTo(hidden.dataType()).reshape('c', batch, pass.length);
            pass.weights = real.divColumnVector(real.sum(true, 1)).reshape('c', batch, 1, pass.length); // [B, 1, T]
            pass.first = Nd4j.matmul(pass.weights, h).reshape('c', batch, spec.arch().embedDim());         // [B, C]
        } else {
            pass.first = h.get(NDArrayIndex.all(), NDArrayIndex.point(0), NDArrayIndex.all()).dup('c'); // [B, C]
        }
        pass.pooled = Transforms.tanh(Linear.forward(pass.first, p.get(POOLER_WEIGHT), p.get(POOLER_BIAS)), false);
        pass.dropMask = Dropout.mask(pass.pooled, training ? spec.arch().dropout() : 0.0);
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
        INDArray dHidden;
        if (pass.weights != null) {
            // dh[b, t] = w[b, t] dc[b]: [B, T, 1] x [B, 1, C]
            dHidden = Nd4j.matmul(pass.weights, dFirst.reshape('c', batch, 1, spec.arch().embedDim()), null, true, false, false);
        } else {
            dHidden = Nd4j.zeros(dFirst.dataType(), batch, pass.length, spec.arch().embedDim());            // [B, T, C]
            dHidden.get(NDArrayIndex.all(), NDArrayIndex.point(0), NDArrayIndex.all()).assign(dFirst);
        }
        return dHidden.reshape('c', batch * pass.length, spec.arch().embedDim());
    }
}
