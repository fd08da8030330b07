package io.sparkformer.model.nn;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Map;

/**
 * The post-LayerNorm order of a {@link TransformerBlock} (BERT's original, and what pretrained BERTs
 * were trained with), same parameters and names as the pre-LN block:
 * <pre>
 *   x1 = LN1(x  + drop(SelfAttn(x)))          [N, C]
 *   y  = LN2(x1 + drop(W2 gelu(W1 x1 + b1) + b2))
 * </pre>
 * Kept apart from the pre-LN path so that path (every model trained here) stays as it was.
 */
final class PostNorm {
    private PostNorm() {
    }

    static INDArray forward(TransformerBlock b, Map<String, INDArray> p, INDArray x, int batch, INDArray selfBias,
                            double drop, TransformerBlock.Cache cache) {
        String pre = b.prefix();
        long t = x.size(0) / batch;
        LayerNorm.Cache[] lnc = new LayerNorm.Cache[1];
        Attention.Cache[] ac = new Attention.Cache[1];

        INDArray qkv = Linear.forward(x, p.get(pre + "attn.qkv.W"), p.get(pre + "attn.qkv.b"));      // [N, 3C]
        INDArray heads3 = Attention.splitStacked(qkv, batch, t, 3, b.heads());                        // [3, G, T, D]
        INDArray att = Attention.forward(Attention.slice(heads3, 0), Attention.slice(heads3, 1),
                Attention.slice(heads3, 2), selfBias, drop, ac);
        cache.self = ac[0];
        INDArray merged = Attention.mergeHeads(att, batch, b.heads());                                // [N, C]
        INDArray proj = Linear.forward(merged, p.get(pre + "attn.proj.W"), p.get(pre + "attn.proj.b"));
        cache.dropSelf = Dropout.mask(proj, drop);
        INDArray x1 = LayerNorm.forward(x.add(Dropout.apply(proj, cache.dropSelf)), p.get(pre + "ln1.g"),
                p.get(pre + "ln1.b"), b.eps(), lnc);
        cache.ln1 = lnc[0];
        cache.x = x;
        cache.a1 = x;
        cache.selfMerged = merged;
        cache.x1 = x1;

        INDArray hidden = Linear.forward(x1, p.get(pre + "mlp.fc.W"), p.get(pre + "mlp.fc.b"));       // [N, F]
        INDArray[] aux = new INDArray[1];
        INDArray act = b.activate(hidden, aux);
        INDArray out = Linear.forward(act, p.get(pre + "mlp.proj.W"), p.get(pre + "mlp.proj.b"));     // [N, C]
        cache.dropMlp = Dropout.mask(out, drop);
        INDArray y = LayerNorm.forward(x1.add(Dropout.apply(out, cache.dropMlp)), p.get(pre + "ln2.g"),
                p.get(pre + "ln2.b"), b.eps(), lnc);
        cache.ln2 = lnc[0];
        cache.a2 = x1;
        cache.hidden = hidden;
        cache.sigmoid = aux[0];
        cache.act = act;
        return y;
    }

    static INDArray backward(TransformerBlock b, Map<String, INDArray> p, Map<String, INDArray> g,
                             TransformerBlock.Cache cache, INDArray dy, int batch) {
        String pre = b.prefix();
        // Feed-forward sublayer: y = LN2(r2), r2 = x1 + drop(out).
        INDArray dr2 = LayerNorm.backward(cache.ln2, p.get(pre + "ln2.g"), dy, g.get(pre + "ln2.g"),
                g.get(pre + "ln2.b"));
        INDArray dOut = Dropout.apply(dr2, cache.dropMlp);
        INDArray dAct = Linear.backward(cache.act, p.get(pre + "mlp.proj.W"), dOut,
                g.get(pre + "mlp.proj.W"), g.get(pre + "mlp.proj.b"));
        INDArray dHidden = b.activationBackward(cache.hidden, cache.sigmoid, dAct);
        INDArray dx1 = dr2.add(Linear.backward(cache.a2, p.get(pre + "mlp.fc.W"), dHidden,
                g.get(pre + "mlp.fc.W"), g.get(pre + "mlp.fc.b")));

        // Self-attention sublayer: x1 = LN1(r1), r1 = x + drop(proj).
        INDArray dr1 = LayerNorm.backward(cache.ln1, p.get(pre + "ln1.g"), dx1, g.get(pre + "ln1.g"),
                g.get(pre + "ln1.b"));
        INDArray dProj = Dropout.apply(dr1, cache.dropSelf);
        INDArray dMerged = Linear.backward(cache.selfMerged, p.get(pre + "attn.proj.W"), dProj,
                g.get(pre + "attn.proj.W"), g.get(pre + "attn.proj.b"));
        long t = dMerged.size(0) / batch;
        INDArray dAtt = Attention.splitHeads(dMerged, batch, t, b.heads());                          // [G, T, D]
        INDArray dStacked = Nd4j.createUninitialized(dAtt.dataType(), 3, dAtt.size(0), dAtt.size(1), dAtt.size(2));
        Attention.backward(cache.self, dAtt, Attention.slice(dStacked, 0), Attention.slice(dStacked, 1),
                Attention.slice(dStacked, 2));
        INDArray dQkv = Attention.mergeStacked(dStacked, batch, b.heads());                          // [N, 3C]
        return dr1.add(Linear.backward(cache.a1, p.get(pre + "attn.qkv.W"), dQkv,
                g.get(pre + "attn.qkv.W"), g.get(pre + "attn.qkv.b")));
    }
}
