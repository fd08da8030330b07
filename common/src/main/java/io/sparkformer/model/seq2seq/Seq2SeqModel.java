package io.sparkformer.model.seq2seq;

import io.sparkformer.model.kernel.Gemm;
import io.sparkformer.model.layer.BackwardWorkspace;
import io.sparkformer.model.nn.AttentionMask;
import io.sparkformer.model.nn.Dropout;
import io.sparkformer.model.nn.Embedding;
import io.sparkformer.model.nn.LayerNorm;
import io.sparkformer.model.nn.Linear;
import io.sparkformer.model.nn.TransformerBlock;
import io.sparkformer.model.nn.TransformerBlock.Init;
import io.sparkformer.model.nn.TransformerBlock.ParamSpec;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Broadcast;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Encoder-decoder Transformer (pre-LayerNorm blocks) on plain ND4J with an explicit backward pass.
 * Dimensions: B batch, S source length, T target length, C embedDim, V target vocabulary.
 * <pre>
 *   x0 = E_src[src] (* sqrt(C)) + pos                [B*S, C]
 *   m  = LN_enc(encoder blocks(x0))                  [B*S, C]  self-attention, source padding masked
 *   y0 = E_tgt[tgt_in] (* sqrt(C)) + pos             [B*T, C]  tgt_in = &lt;s&gt; y_1 .. y_{n}: targets shifted right
 *   h  = LN_dec(decoder blocks(y0, m))               [B*T, C]  causal (+ target padding) self-attention,
 *                                                              cross-attention over m, source padding masked
 *   logits = h W_out                                 [B*T, V]  W_out = E_tgt^T when tied
 * </pre>
 * E_src is E_tgt when embeddings are shared. Parameters are named views (see {@link #params()});
 * the model itself holds no state.
 */
public final class Seq2SeqModel {
    public static final String SOURCE_EMBEDDING = "enc.wte";
    public static final String TARGET_EMBEDDING = "dec.wte";
    public static final String SOURCE_POSITIONS = "enc.wpe";
    public static final String TARGET_POSITIONS = "dec.wpe";
    public static final String ENCODER_NORM_GAIN = "enc.lnf.g";
    public static final String ENCODER_NORM_BIAS = "enc.lnf.b";
    public static final String DECODER_NORM_GAIN = "dec.lnf.g";
    public static final String DECODER_NORM_BIAS = "dec.lnf.b";
    public static final String OUTPUT_WEIGHT = "head.W";

    private final Seq2SeqSpec spec;
    private final List<TransformerBlock> encoder = new ArrayList<>();
    private final List<TransformerBlock> decoder = new ArrayList<>();

    public Seq2SeqModel(Seq2SeqSpec spec) {
        this.spec = spec;
        for (int i = 0; i < spec.arch().layers(); i++) {
            encoder.add(new TransformerBlock("enc.h" + i + ".", spec.arch().embedDim(), spec.arch().heads(), spec.arch().ffnDim(), false,
                    spec.arch().layerNormEpsilon(), spec.arch().dropout()));
            decoder.add(new TransformerBlock("dec.h" + i + ".", spec.arch().embedDim(), spec.arch().heads(), spec.arch().ffnDim(), true,
                    spec.arch().layerNormEpsilon(), spec.arch().dropout()));
        }
    }

    public Seq2SeqSpec spec() {
        return spec;
    }

    /** Every parameter in storage order. */
    public List<ParamSpec> params() {
        long c = spec.arch().embedDim();
        List<ParamSpec> p = new ArrayList<>();
        if (!spec.sharedEmbeddings()) {
            p.add(new ParamSpec(SOURCE_EMBEDDING, new long[] {spec.sourceVocabSize(), c}, Init.NORMAL));
        }
        p.add(new ParamSpec(TARGET_EMBEDDING, new long[] {spec.targetVocabSize(), c}, Init.NORMAL));
        if (!spec.arch().sinusoidalPositions()) {
            p.add(new ParamSpec(SOURCE_POSITIONS, new long[] {spec.maxLength(), c}, Init.NORMAL));
            p.add(new ParamSpec(TARGET_POSITIONS, new long[] {spec.maxLength(), c}, Init.NORMAL));
        }
        for (TransformerBlock b : encoder) {
            p.addAll(b.params());
        }
        p.add(new ParamSpec(ENCODER_NORM_GAIN, new long[] {c}, Init.ONE));
        p.add(new ParamSpec(ENCODER_NORM_BIAS, new long[] {c}, Init.ZERO));
        for (TransformerBlock b : decoder) {
            p.addAll(b.params());
        }
        p.add(new ParamSpec(DECODER_NORM_GAIN, new long[] {c}, Init.ONE));
        p.add(new ParamSpec(DECODER_NORM_BIAS, new long[] {c}, Init.ZERO));
        if (!spec.tiedOutput()) {
            p.add(new ParamSpec(OUTPUT_WEIGHT, new long[] {c, spec.targetVocabSize()}, Init.NORMAL));
        }
        return p;
    }

    /** The token table the encoder reads. */
    public String sourceTable() {
        return spec.sharedEmbeddings() ? TARGET_EMBEDDING : SOURCE_EMBEDDING;
    }

    /** The encoder's activations; {@link #memory} is what the decoder attends to. */
    public static final class Encoded {
        int batch;
        int length;
        int[] ids;
        INDArray embedDrop;
        final List<TransformerBlock.Cache> blocks = new ArrayList<>();
        LayerNorm.Cache finalNorm;
        /** [B, S] 1 = real source token, 0 = padding; null when nothing is padded. */
        public INDArray padding;
        /** [B*S, C] the encoder output. */
        public INDArray memory;

        public int batch() {
            return batch;
        }

        public int length() {
            return length;
        }
    }

    /** The decoder's activations (and the encoder's, for a training pass), kept for the backward pass. */
    public static final class Pass {
        Encoded encoded;
        int batch;
        int length;
        int[] ids;
        INDArray memory;
        INDArray embedDrop;
        final List<TransformerBlock.Cache> blocks = new ArrayList<>();
        LayerNorm.Cache finalNorm;
        /** [B*T, C] the decoder's final LayerNorm output. */
        public INDArray states;
        /** [B*T, V] next-token scores; null when only {@link #states} were asked for. */
        public INDArray logits;
    }

    /**
     * Teacher-forced pass over a batch: encoder, decoder and logits at every target position.
     *
     * @param sourceIds     B*S ids, batch-major
     * @param targetIds     B*T decoder input ids ({@code <s> y_1 ..}), batch-major
     * @param sourcePadding [B, S] or null
     * @param targetPadding [B, T] or null
     */
    public Pass forward(Map<String, INDArray> p, int[] sourceIds, int[] targetIds, int batch, INDArray sourcePadding,
                        INDArray targetPadding, boolean training) {
        Encoded encoded = encode(p, sourceIds, batch, sourcePadding, training);
        Pass pass = decode(p, encoded.memory, sourcePadding, targetIds, batch, targetPadding, training);
        pass.encoded = encoded;
        pass.logits = project(p, pass.states);
        return pass;
    }

    /** The encoder over B*S source ids. */
    public Encoded encode(Map<String, INDArray> p, int[] sourceIds, int batch, INDArray sourcePadding,
                          boolean training) {
        int s = sourceIds.length / batch;
        checkIds("source", sourceIds, spec.sourceVocabSize(), s);
        DataType dt = p.get(TARGET_EMBEDDING).dataType();
        Encoded e = new Encoded();
        e.batch = batch;
        e.length = s;
        e.ids = sourceIds;
        e.padding = sourcePadding;
        INDArray[] drop = new INDArray[1];
        INDArray x = embed(p, sourceTable(), SOURCE_POSITIONS, sourceIds, batch, s, training, drop);   // [B*S, C]
        e.embedDrop = drop[0];
        INDArray bias = AttentionMask.bias(batch, spec.arch().heads(), s, s, false, sourcePadding, dt);         // [B*H, S, S]
        for (TransformerBlock block : encoder) {
            TransformerBlock.Cache cache = new TransformerBlock.Cache();
            x = block.forward(p, x, batch, bias, null, null, training, cache);
            e.blocks.add(cache);
        }
        LayerNorm.Cache[] ln = new LayerNorm.Cache[1];
        e.memory = LayerNorm.forward(x, p.get(ENCODER_NORM_GAIN), p.get(ENCODER_NORM_BIAS), spec.arch().layerNormEpsilon(), ln);
        e.finalNorm = ln[0];
        return e;
    }

    /**
     * The decoder over B*T input ids attending to {@code memory} [B*S, C]; fills {@link Pass#states}
     * only (see {@link #project}).
     */
    public Pass decode(Map<String, INDArray> p, INDArray memory, INDArray sourcePadding, int[] targetIds, int batch,
                       INDArray targetPadding, boolean training) {
        int t = targetIds.length / batch;
        int s = (int) (memory.size(0) / batch);
        checkIds("target", targetIds, spec.targetVocabSize(), t);
        DataType dt = memory.dataType();
        Pass pass = new Pass();
        pass.batch = batch;
        pass.length = t;
        pass.ids = targetIds;
        pass.memory = memory;
        INDArray[] drop = new INDArray[1];
        INDArray y = embed(p, TARGET_EMBEDDING, TARGET_POSITIONS, targetIds, batch, t, training, drop);  // [B*T, C]
        pass.embedDrop = drop[0];
        INDArray selfBias = AttentionMask.bias(batch, spec.arch().heads(), t, t, true, targetPadding, dt);       // [B*H, T, T]
        INDArray crossBias = AttentionMask.bias(batch, spec.arch().heads(), t, s, false, sourcePadding, dt);    // [B*H, T, S]
        for (TransformerBlock block : decoder) {
            TransformerBlock.Cache cache = new TransformerBlock.Cache();
            y = block.forward(p, y, batch, selfBias, memory, crossBias, training, cache);
            pass.blocks.add(cache);
        }
        LayerNorm.Cache[] ln = new LayerNorm.Cache[1];
        pass.states = LayerNorm.forward(y, p.get(DECODER_NORM_GAIN), p.get(DECODER_NORM_BIAS), spec.arch().layerNormEpsilon(), ln);
        pass.finalNorm = ln[0];
        return pass;
    }

    /** Next-token logits [R, V] of decoder states [R, C]. */
    public INDArray project(Map<String, INDArray> p, INDArray states) {
        return spec.tiedOutput()
                ? Gemm.multiply(states, p.get(TARGET_EMBEDDING), false, true)                              // [R, V]
                : Linear.forward(states, p.get(OUTPUT_WEIGHT), null);
    }

    /** Accumulates every parameter's gradient into {@code g} for dLogits [B*T, V] of a {@link #forward} pass. */
    public void backward(Map<String, INDArray> p, Map<String, INDArray> g, Pass pass, INDArray dLogits) {
        INDArray dStates;
        if (spec.tiedOutput()) {
            g.get(TARGET_EMBEDDING).addi(Gemm.multiply(dLogits, pass.states, true, false));                // [V, C]
            dStates = Gemm.multiply(dLogits, p.get(TARGET_EMBEDDING), false, false);                                           // [B*T, C]
        } else {
            dStates = Linear.backward(pass.states, p.get(OUTPUT_WEIGHT), dLogits, g.get(OUTPUT_WEIGHT), null);
        }
        INDArray dy = LayerNorm.backward(pass.finalNorm, p.get(DECODER_NORM_GAIN), dStates,
                g.get(DECODER_NORM_GAIN), g.get(DECODER_NORM_BIAS));
        INDArray dMemory = Nd4j.zeros(pass.memory.dataType(), pass.memory.shape());                    // [B*S, C]
        dy = BackwardWorkspace.throughBlocks(decoder, pass.blocks, p, g, dy, pass.batch, dMemory);
        embedBackward(g, TARGET_EMBEDDING, TARGET_POSITIONS, pass.ids, pass.batch, pass.length, dy, pass.embedDrop);

        Encoded e = pass.encoded;
        INDArray dx = LayerNorm.backward(e.finalNorm, p.get(ENCODER_NORM_GAIN), dMemory,
                g.get(ENCODER_NORM_GAIN), g.get(ENCODER_NORM_BIAS));
        dx = BackwardWorkspace.throughBlocks(encoder, e.blocks, p, g, dx, e.batch, null);
        embedBackward(g, sourceTable(), SOURCE_POSITIONS, e.ids, e.batch, e.length, dx, e.embedDrop);
    }

    /** table[ids] (* sqrt(C)) + positions, then dropout: [B*L, C]; {@code dropOut[0]} receives the mask. */
    private INDArray embed(Map<String, INDArray> p, String table, String positions, int[] ids, int batch, int length,
                           boolean training, INDArray[] dropOut) {
        INDArray x = Embedding.lookup(p.get(table), ids);                                               // [B*L, C]
        if (spec.arch().scaleEmbeddings()) {
            x.muli(Math.sqrt(spec.arch().embedDim()));
        }
        INDArray pos = spec.arch().sinusoidalPositions()
                ? Embedding.sinusoidal(length, spec.arch().embedDim(), x.dataType())
                : p.get(positions).get(NDArrayIndex.interval(0, length), NDArrayIndex.all());          // [L, C]
        INDArray x3 = x.reshape('c', batch, length, spec.arch().embedDim());
        Broadcast.add(x3, pos, x3, 1, 2);
        dropOut[0] = Dropout.mask(x, training ? spec.arch().dropout() : 0.0);
        return Dropout.apply(x, dropOut[0]);
    }

    private void embedBackward(Map<String, INDArray> g, String table, String positions, int[] ids, int batch,
                               int length, INDArray dx, INDArray drop) {
        dx = Dropout.apply(dx, drop);
        if (!spec.arch().sinusoidalPositions()) {
            INDArray dPos = dx.reshape('c', batch, length, spec.arch().embedDim()).sum(0);                    // [L, C]
            g.get(positions).get(NDArrayIndex.interval(0, length), NDArrayIndex.all()).addi(dPos);
        }
        if (spec.arch().scaleEmbeddings()) {
            dx = dx.mul(Math.sqrt(spec.arch().embedDim()));
        }
        Embedding.accumulate(g.get(table), ids, dx);
    }

    private void checkIds(String side, int[] ids, int vocabSize, int length) {
        if (length > spec.maxLength()) {
            throw new IllegalArgumentException(side + " length " + length + " exceeds the model's maximum length "
                    + spec.maxLength());
        }
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= vocabSize) {
                throw new IllegalArgumentException(side + " token id " + ids[i] + " at position " + i
                        + " is outside the vocabulary of " + vocabSize);
            }
        }
    }
}
