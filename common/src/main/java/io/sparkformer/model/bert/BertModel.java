package io.sparkformer.model.bert;

import io.sparkformer.config.FinetuneConfig;
import io.sparkformer.model.nn.TransformerBlock.ParamSpec;
import io.sparkformer.model.layer.TransformerStack;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * BERT on plain ND4J with an explicit backward pass: a bidirectional encoder (token + learned
 * position (+ token-type) embeddings, N blocks with key-padding masks) and one task head:
 * <pre>
 *   h      = TransformerStack(ids), padding masked    [B*T, C]
 *   logits = MlmHead(h)                                [B*T, V]   masked-LM pretraining, tied to wte
 *          | ClassifierHead(h)                         [B, K]     classification of the pooled [CLS] (or mean)
 * </pre>
 * Models trained here default to pre-LN (the GPT's block: no embedding LayerNorm, a final one);
 * {@code model.norm = post} gives BERT's original order, which imported BERTs need. Both variants name the encoder's parameters
 * alike, so a classifier starts from a pretrained MLM by copying them by name. Stateless.
 */
public final class BertModel {
    private final TransformerStack encoder;
    private final BertHead head;

    private BertModel(BertSpec spec, BertHead head) {
        this.encoder = spec.encoder();
        this.head = head;
    }

    /** The masked-LM pretraining model. */
    public static BertModel maskedLm(BertSpec spec) {
        return new BertModel(spec, new MlmHead(spec));
    }

    /** The sequence classifier over {@code classes} classes, reading the encoder's output by {@code pooling}. */
    public static BertModel classifier(BertSpec spec, int classes, FinetuneConfig.Pooling pooling) {
        return new BertModel(spec, new ClassifierHead(spec, classes, pooling));
    }

    /** Every parameter in storage order: encoder, then head. */
    public List<ParamSpec> params() {
        List<ParamSpec> p = new ArrayList<>(encoder.params());
        p.addAll(head.params());
        return p;
    }

    /** The encoder's parameters: what fine-tuning takes over from pretraining. */
    public List<ParamSpec> encoderParams() {
        return encoder.params();
    }

    /** The head's parameters: new when fine-tuning starts from a pretrained encoder. */
    public List<ParamSpec> headParams() {
        return head.params();
    }

    /** The activations of one forward pass, kept for the backward pass. */
    public static final class Pass {
        TransformerStack.Pass encoder;
        BertHead.Pass head;

        /** [R, V] masked-LM scores (R = the selected rows, or all B*T), or [B, K] class scores. */
        public INDArray logits() {
            return head.logits;
        }

        /** The label rows {@link #logits()} holds, or null for all. */
        public int[] rows() {
            return head.rows;
        }
    }

    /**
     * @param ids      token ids, batch-major, length B*T
     * @param padding  [B, T] with 1 for real tokens and 0 for padding, or null
     * @param selected masked-LM: the positions (of B*T) to score, or null for all; ignored by the classifier
     */
    public Pass forward(Map<String, INDArray> p, int[] ids, int batch, INDArray padding, int[] selected,
                        boolean training) {
        return forward(p, ids, null, batch, padding, selected, training);
    }

    /** @param types token-type (segment) ids like {@code ids}, or null for all 0 (with {@code typeVocabSize > 0}) */
    public Pass forward(Map<String, INDArray> p, int[] ids, int[] types, int batch, INDArray padding, int[] selected,
                        boolean training) {
        Pass pass = new Pass();
        pass.encoder = encoder.forward(p, ids, types, batch, padding, training);
        pass.head = head.forward(p, pass.encoder.out, batch, padding, selected, training);
        return pass;
    }

    /** Accumulates all parameter gradients into {@code g} for dLogits. */
    public void backward(Map<String, INDArray> p, Map<String, INDArray> g, Pass pass, INDArray dLogits) {
        INDArray dHidden = head.backward(p, g, pass.head, dLogits);
        encoder.backward(p, g, pass.encoder, dHidden);
    }
}
