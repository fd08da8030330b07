package io.sparkformer.embed;

import io.sparkformer.InputException;
import io.sparkformer.checkpoint.Checkpoint;
import io.sparkformer.model.bert.BertGraphBuilder;
import io.sparkformer.model.bert.BertLayer;
import io.sparkformer.model.bert.BertSpec;
import io.sparkformer.model.bert.PaddedBatch;
import io.sparkformer.model.layer.TransformerStack;
import io.sparkformer.tokenize.BertTokens;
import io.sparkformer.tokenize.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Sentence embeddings from any BERT checkpoint (masked-LM, classifier, imported): each text is
 * framed {@code [CLS] text [SEP]} (cut to the context), run through the encoder alone (the task head
 * is not used), and pooled from the last hidden states. Sequences of a batch are padded to the
 * longest, with padded keys masked, so a text's embedding does not depend on its batch.
 * Dimensions: B batch, T longest sequence of the batch, C hidden size.
 */
public final class SentenceEmbedder {

    /** How a sequence's hidden states become one vector. */
    public enum Pooling {
        /** Mean over the real tokens, [CLS] and [SEP] included (sentence-transformers' mean pooling). */
        MEAN,
        /** The [CLS] position's hidden state. */
        CLS;

        public static Pooling parse(String name) {
            try {
                return valueOf(name.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new InputException("--pooling " + name + " is not mean or cls");
            }
        }
    }

    /** Texts run through the encoder at once: bounds the [B*T, C] activations, not the result. */
    private static final int BATCH = 32;

    private final Map<String, INDArray> params;
    private final TransformerStack encoder;
    private final Tokenizer tokenizer;
    private final BertTokens specials;
    private final int contextLength;
    private final int hidden;

    private SentenceEmbedder(Checkpoint checkpoint, String uri) {
        BertLayer layer = BertGraphBuilder.layer(checkpoint.model(), BertLayer.class, "checkpoint " + uri);
        BertSpec spec = layer.spec();
        this.params = checkpoint.model().getLayer(BertGraphBuilder.LAYER).paramTable();
        this.encoder = encoder(spec);
        this.tokenizer = checkpoint.tokenizer();
        this.specials = BertTokens.of(tokenizer);
        this.contextLength = spec.contextLength();
        this.hidden = spec.arch().embedDim();
    }

    /**
     * @throws io.sparkformer.InputException naming {@code uri} when the checkpoint holds no BERT encoder
     */
    public static SentenceEmbedder of(Checkpoint checkpoint, String uri) {
        return new SentenceEmbedder(checkpoint, uri);
    }

    /** The checkpoint's encoder trunk, bidirectional, with the parameter names the checkpoint stores. */
    private static TransformerStack encoder(BertSpec spec) {
        return spec.encoder();
    }

    public int dimension() {
        return hidden;
    }

    /** One embedding of {@link #dimension()} floats per text, in order. */
    public float[][] embed(List<String> texts, Pooling pooling) {
        float[][] out = new float[texts.size()][];
        for (int from = 0; from < texts.size(); from += BATCH) {
            List<String> batch = texts.subList(from, Math.min(texts.size(), from + BATCH));
            float[][] pooled = embedBatch(batch, pooling);
            System.arraycopy(pooled, 0, out, from, pooled.length);
        }
        return out;
    }

    private float[][] embedBatch(List<String> texts, Pooling pooling) {
        List<int[]> framed = new ArrayList<>();
        for (String text : texts) {
            framed.add(specials.frame(tokenizer.encode(text), contextLength));
        }
        int b = texts.size();
        PaddedBatch batch = PaddedBatch.of(framed, specials.pad(), params.get(TransformerStack.TOKEN_EMBEDDING)
                .dataType());
        INDArray h = encoder.forward(params, batch.ids(), b, batch.padding(), false).out;   // [B*T, C]
        float[] states = h.castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT).dup('c').data().asFloat();
        float[][] out = new float[b][hidden];
        double[] sum = new double[hidden];
        for (int i = 0; i < b; i++) {
            int n = pooling == Pooling.CLS ? 1 : framed.get(i).length;
            Arrays.fill(sum, 0);
            for (int pos = 0; pos < n; pos++) {
                int base = (i * batch.length() + pos) * hidden;
                for (int c = 0; c < hidden; c++) {
                    sum[c] += states[base + c];
                }
            }
            for (int c = 0; c < hidden; c++) {
                out[i][c] = (float) (sum[c] / n);
            }
        }
        return out;
    }
}
