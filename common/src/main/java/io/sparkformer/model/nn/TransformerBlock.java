package io.sparkformer.model.nn;

import io.sparkformer.model.kernel.Gemm;
import io.sparkformer.config.ModelConfig;
import io.sparkformer.model.Architecture;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One pre-LayerNorm Transformer block (GPT-2 layout), usable as encoder block, decoder block, or
 * decoder block with cross-attention over an encoder's output:
 * <pre>
 *   x1 = x  + drop(SelfAttn(LN1(x)))            self-attention, causal and/or key-padding masked
 *   x2 = x1 + drop(CrossAttn(LNc(x1), memory))  only with cross-attention; memory padding masked
 *   y  = x2 + drop(W2 gelu(W1 LN2(x2) + b1) + b2)
 * </pre>
 * BERT's post-LayerNorm order and exact erf GELU are options of {@link Architecture} (see
 * {@link PostNorm}); the path above is unchanged by them.
 * Rows are batch-major: x [B*T, C], memory [B*S, C]. Parameters are looked up by name under a
 * prefix in a map of views (values or gradients), so a block is stateless and a model is just a
 * naming of its parameters.
 */
public final class TransformerBlock {
    private final String prefix;
    private final int embedDim;
    private final int heads;
    private final int ffnDim;
    private final boolean crossAttention;
    private final double eps;
    private final double dropout;
    /** BERT's order: LayerNorm after each residual sum instead of before each sublayer. */
    private final boolean postNorm;
    /** Exact erf GELU ({@link ErfGelu}) instead of the tanh form ({@link Gelu}). */
    private final boolean erfGelu;

    /** A pre-LayerNorm block with tanh GELU (GPT-2's). */
    public TransformerBlock(String prefix, int embedDim, int heads, int ffnDim, boolean crossAttention,
                            double eps, double dropout) {
        this(prefix, embedDim, heads, ffnDim, crossAttention, eps, dropout, false, false);
    }

    /** A block of {@code arch}'s norm placement and activation (post-LN has no cross-attention). */
    public TransformerBlock(String prefix, Architecture arch, boolean crossAttention) {
        this(prefix, arch.embedDim(), arch.heads(), arch.ffnDim(), crossAttention, arch.layerNormEpsilon(),
                arch.dropout(), arch.postNorm(), arch.activation() == ModelConfig.Activation.GELU_ERF);
    }

    private TransformerBlock(String prefix, int embedDim, int heads, int ffnDim, boolean crossAttention,
                             double eps, double dropout, boolean postNorm, boolean erfGelu) {
        if (postNorm && crossAttention) {
            throw new IllegalArgumentException("post-LayerNorm blocks have no cross-attention (encoder only)");
        }
        this.postNorm = postNorm;
        this.erfGelu = erfGelu;
        this.prefix = prefix;
        this.embedDim = embedDim;
        this.heads = heads;
        this.ffnDim = ffnDim;
        this.crossAttention = crossAttention;
        this.eps = eps;
        this.dropout = dropout;
    }

    /** A parameter's name and shape; matrices are weights (decayed), vectors gains and biases. */
    public record ParamSpec(String name, long[] shape, Init init) {
        public boolean isMatrix() {
            return shape.length == 2;
        }
    }

    /** How a parameter starts: GPT-2's normal(0, 0.02), scaled down on residual projections. */
    public enum Init { NORMAL, RESIDUAL_NORMAL, ZERO, ONE }

    public List<ParamSpec> params() {
        long c = embedDim;
        List<ParamSpec> p = new ArrayList<>();
        p.add(new ParamSpec(prefix + "ln1.g", new long[] {c}, Init.ONE));
        p.add(new ParamSpec(prefix + "ln1.b", new long[] {c}, Init.ZERO));
        p.add(new ParamSpec(prefix + "attn.qkv.W", new long[] {c, 3 * c}, Init.NORMAL));
        p.add(new ParamSpec(prefix + "attn.qkv.b", new long[] {3 * c}, Init.ZERO));
        p.add(new ParamSpec(prefix + "attn.proj.W", new long[] {c, c}, Init.RESIDUAL_NORMAL));
        p.add(new ParamSpec(prefix + "attn.proj.b", new long[] {c}, Init.ZERO));
        if (crossAttention) {
            p.add(new ParamSpec(prefix + "cross.ln.g", new long[] {c}, Init.ONE));
            p.add(new ParamSpec(prefix + "cross.ln.b", new long[] {c}, Init.ZERO));
            p.add(new ParamSpec(prefix + "cross.q.W", new long[] {c, c}, Init.NORMAL));
            p.add(new ParamSpec(prefix + "cross.q.b", new long[] {c}, Init.ZERO));
            p.add(new ParamSpec(prefix + "cross.kv.W", new long[] {c, 2 * c}, Init.NORMAL));
            p.add(new ParamSpec(prefix + "cross.kv.b", new long[] {2 * c}, Init.ZERO));
            p.add(new ParamSpec(prefix + "cross.proj.W", new long[] {c, c}, Init.RESIDUAL_NORMAL));
            p.add(new ParamSpec(prefix + "cross.proj.b", new long[] {c}, Init.ZERO));
        }
        p.add(new ParamSpec(prefix + "ln2.g", new long[] {c}, Init.ONE));
        p.add(new ParamSpec(prefix + "ln2.b", new long[] {c}, Init.ZERO));
        p.add(new ParamSpec(prefix + "mlp.fc.W", new long[] {c, ffnDim}, Init.NORMAL));
        p.add(new ParamSpec(prefix + "mlp.fc.b", new long[] {ffnDim}, Init.ZERO));
        p.add(new ParamSpec(prefix + "mlp.proj.W", new long[] {ffnDim, c}, Init.RESIDUAL_NORMAL));
        p.add(new ParamSpec(prefix + "mlp.proj.b", new long[] {c}, Init.ZERO));
        return p;
    }

    /** Everything the backward pass needs from one forward pass. */
    public static final class Cache {
        INDArray x;
        INDArray memory;
        LayerNorm.Cache ln1;
        INDArray a1;
        Attention.Cache self;
        INDArray selfMerged;
        INDArray dropSelf;
        INDArray x1;
        LayerNorm.Cache lnc;
        INDArray ac;
        Attention.Cache cross;
        INDArray crossMerged;
        INDArray dropCross;
        INDArray x2;
        LayerNorm.Cache ln2;
        INDArray a2;
        INDArray hidden;
        INDArray sigmoid;
        INDArray act;
        INDArray dropMlp;
    }

    /**
     * @param x        [B*T, C]
     * @param selfBias [B*H, T, T] additive mask bias or null
     * @param memory   [B*S, C] encoder output (cross-attention only), else null
     * @param crossBias [B*H, T, S] or null
     */
    public INDArray forward(Map<String, INDArray> p, INDArray x, int batch, INDArray selfBias,
                            INDArray memory, INDArray crossBias, boolean training, Cache cache) {
        double drop = training ? dropout : 0.0;
        if (postNorm) {
            return PostNorm.forward(this, p, x, batch, selfBias, drop, cache);
        }
        long c = embedDim;
        long t = x.size(0) / batch;
        LayerNorm.Cache[] lnc = new LayerNorm.Cache[1];
        Attention.Cache[] ac = new Attention.Cache[1];

        // Self-attention sublayer.
        INDArray a1 = LayerNorm.forward(x, p.get(prefix + "ln1.g"), p.get(prefix + "ln1.b"), eps, lnc);
        cache.ln1 = lnc[0];
        INDArray qkv = Linear.forward(a1, p.get(prefix + "attn.qkv.W"), p.get(prefix + "attn.qkv.b"));  // [N, 3C]
        INDArray heads3 = Attention.splitStacked(qkv, batch, t, 3, heads);                           // [3, G, T, D]
        INDArray att = Attention.forward(Attention.slice(heads3, 0), Attention.slice(heads3, 1),
                Attention.slice(heads3, 2), selfBias, drop, ac);
        cache.self = ac[0];
        INDArray merged = Attention.mergeHeads(att, batch, heads);                                     // [N, C]
        INDArray x1;
        if (drop > 0) {
            INDArray proj = Linear.forward(merged, p.get(prefix + "attn.proj.W"), p.get(prefix + "attn.proj.b"));
            cache.dropSelf = Dropout.mask(proj, drop);
            x1 = x.add(Dropout.apply(proj, cache.dropSelf));
        } else {
            x1 = Linear.forwardPlus(merged, p.get(prefix + "attn.proj.W"), p.get(prefix + "attn.proj.b"), x);
        }
        cache.x = x;
        cache.a1 = a1;
        cache.selfMerged = merged;
        cache.x1 = x1;

        // Cross-attention sublayer.
        INDArray x2 = x1;
        if (crossAttention) {
            long s = memory.size(0) / batch;
            INDArray acIn = LayerNorm.forward(x1, p.get(prefix + "cross.ln.g"), p.get(prefix + "cross.ln.b"), eps, lnc);
            cache.lnc = lnc[0];
            INDArray cq = Linear.forward(acIn, p.get(prefix + "cross.q.W"), p.get(prefix + "cross.q.b"));   // [N, C]
            INDArray kv = Linear.forward(memory, p.get(prefix + "cross.kv.W"), p.get(prefix + "cross.kv.b")); // [B*S, 2C]
            INDArray qh = Attention.splitHeads(cq, batch, t, heads);
            INDArray kvh = Attention.splitStacked(kv, batch, s, 2, heads);                          // [2, G, S, D]
            INDArray catt = Attention.forward(qh, Attention.slice(kvh, 0), Attention.slice(kvh, 1), crossBias, drop, ac);
            cache.cross = ac[0];
            INDArray cmerged = Attention.mergeHeads(catt, batch, heads);
            INDArray cproj = Linear.forward(cmerged, p.get(prefix + "cross.proj.W"), p.get(prefix + "cross.proj.b"));
            cache.dropCross = Dropout.mask(cproj, drop);
            x2 = x1.add(Dropout.apply(cproj, cache.dropCross));
            cache.memory = memory;
            cache.ac = acIn;
            cache.crossMerged = cmerged;
        }
        cache.x2 = x2;

        // Position-wise feed-forward sublayer.
        INDArray a2 = LayerNorm.forward(x2, p.get(prefix + "ln2.g"), p.get(prefix + "ln2.b"), eps, lnc);
        cache.ln2 = lnc[0];
        INDArray hidden = Gemm.multiply(a2, p.get(prefix + "mlp.fc.W"), false, false);                      // [N, F]
        INDArray[] sigmoid = new INDArray[1];
        INDArray act = activate(hidden, p.get(prefix + "mlp.fc.b"), sigmoid);    // adds the bias into hidden
        cache.a2 = a2;
        cache.hidden = hidden;
        cache.sigmoid = sigmoid[0];
        cache.act = act;
        if (drop <= 0) {
            return Linear.forwardPlus(act, p.get(prefix + "mlp.proj.W"), p.get(prefix + "mlp.proj.b"), x2);
        }
        INDArray out = Linear.forward(act, p.get(prefix + "mlp.proj.W"), p.get(prefix + "mlp.proj.b"));  // [N, C]
        cache.dropMlp = Dropout.mask(out, drop);
        return x2.add(Dropout.apply(out, cache.dropMlp));
    }

    /**
     * Accumulates parameter gradients into {@code g} (views named like the parameters); returns
     * dx, and adds the memory gradient into {@code dMemory} when this block has cross-attention.
     */
    public INDArray backward(Map<String, INDArray> p, Map<String, INDArray> g, Cache cache, INDArray dy,
                             int batch, INDArray dMemory) {
        if (postNorm) {
            return PostNorm.backward(this, p, g, cache, dy, batch);
        }
        long c = embedDim;
        // Feed-forward sublayer: y = x2 + drop(out).
        INDArray dOut = Dropout.apply(dy, cache.dropMlp);
        INDArray dAct = Linear.backward(cache.act, p.get(prefix + "mlp.proj.W"), dOut,
                g.get(prefix + "mlp.proj.W"), g.get(prefix + "mlp.proj.b"));
        INDArray dHidden = activationBackward(cache.hidden, cache.sigmoid, dAct);
        INDArray dA2 = Linear.backward(cache.a2, p.get(prefix + "mlp.fc.W"), dHidden,
                g.get(prefix + "mlp.fc.W"), g.get(prefix + "mlp.fc.b"));
        INDArray dx2 = LayerNorm.backwardPlus(cache.ln2, p.get(prefix + "ln2.g"), dA2,
                g.get(prefix + "ln2.g"), g.get(prefix + "ln2.b"), dy);

        // Cross-attention sublayer: x2 = x1 + drop(cproj).
        INDArray dx1 = dx2;
        if (crossAttention) {
            INDArray dCproj = Dropout.apply(dx2, cache.dropCross);
            INDArray dCmerged = Linear.backward(cache.crossMerged, p.get(prefix + "cross.proj.W"), dCproj,
                    g.get(prefix + "cross.proj.W"), g.get(prefix + "cross.proj.b"));
            INDArray dOutHeads = Attention.splitHeads(dCmerged, batch, dCmerged.size(0) / batch, heads);
            INDArray dkvStacked = Nd4j.createUninitialized(dOutHeads.dataType(), 2, cache.cross.k().size(0),
                    cache.cross.k().size(1), cache.cross.k().size(2));                                // [2, G, S, D]
            INDArray[] dqkv = Attention.backward(cache.cross, dOutHeads, null, Attention.slice(dkvStacked, 0),
                    Attention.slice(dkvStacked, 1));
            INDArray dq = Attention.mergeHeads(dqkv[0], batch, heads);                                // [N, C]
            INDArray dkv = Attention.mergeStacked(dkvStacked, batch, heads);                          // [B*S, 2C]
            dMemory.addi(Linear.backward(cache.memory, p.get(prefix + "cross.kv.W"), dkv,
                    g.get(prefix + "cross.kv.W"), g.get(prefix + "cross.kv.b")));
            INDArray dAc = Linear.backward(cache.ac, p.get(prefix + "cross.q.W"), dq,
                    g.get(prefix + "cross.q.W"), g.get(prefix + "cross.q.b"));
            dx1 = dx2.add(LayerNorm.backward(cache.lnc, p.get(prefix + "cross.ln.g"), dAc,
                    g.get(prefix + "cross.ln.g"), g.get(prefix + "cross.ln.b")));
        }

        // Self-attention sublayer: x1 = x + drop(proj).
        INDArray dProj = Dropout.apply(dx1, cache.dropSelf);
        INDArray dMerged = Linear.backward(cache.selfMerged, p.get(prefix + "attn.proj.W"), dProj,
                g.get(prefix + "attn.proj.W"), g.get(prefix + "attn.proj.b"));
        long t = dMerged.size(0) / batch;
        INDArray dAtt = Attention.splitHeads(dMerged, batch, t, heads);                               // [G, T, D]
        // Uninitialised: Attention.backward's products write every slice (zeroing cost 1.9% of a bf16 step).
        INDArray dStacked = Nd4j.createUninitialized(dAtt.dataType(), 3, dAtt.size(0), dAtt.size(1), dAtt.size(2));
        Attention.backward(cache.self, dAtt, Attention.slice(dStacked, 0), Attention.slice(dStacked, 1),
                Attention.slice(dStacked, 2));
        INDArray dQkv = Attention.mergeStacked(dStacked, batch, heads);                               // [N, 3C]
        INDArray dA1 = Linear.backward(cache.a1, p.get(prefix + "attn.qkv.W"), dQkv,
                g.get(prefix + "attn.qkv.W"), g.get(prefix + "attn.qkv.b"));
        return LayerNorm.backwardPlus(cache.ln1, p.get(prefix + "ln1.g"), dA1,
                g.get(prefix + "ln1.g"), g.get(prefix + "ln1.b"), dx1);
    }

    /** The feed-forward nonlinearity; {@code aux[0]} receives what its backward needs. */
    INDArray activate(INDArray hidden, INDArray[] aux) {
        return erfGelu ? ErfGelu.forward(hidden, aux) : Gelu.forward(hidden, aux);
    }

    /** {@link #activate} of hidden + bias; hidden becomes hidden + bias (fused with tanh GELU). */
    INDArray activate(INDArray hidden, INDArray bias, INDArray[] aux) {
        return erfGelu ? ErfGelu.forward(hidden.addiRowVector(bias), aux) : Gelu.forward(hidden, bias, aux);
    }

    INDArray activationBackward(INDArray hidden, INDArray aux, INDArray dAct) {
        return erfGelu ? ErfGelu.backward(hidden, aux, dAct) : Gelu.backward(hidden, aux, dAct);
    }

    String prefix() {
        return prefix;
    }

    int heads() {
        return heads;
    }

    double eps() {
        return eps;
    }
}
