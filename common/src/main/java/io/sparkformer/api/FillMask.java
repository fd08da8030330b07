package io.sparkformer.api;

import io.sparkformer.InputException;
import io.sparkformer.checkpoint.Checkpoint;
import io.sparkformer.model.bert.BertGraphBuilder;
import io.sparkformer.model.bert.BertMlmLayer;
import io.sparkformer.model.bert.BertModel;
import io.sparkformer.model.bert.PaddedBatch;
import io.sparkformer.model.layer.TransformerStack;
import io.sparkformer.tokenize.BertTokens;
import io.sparkformer.tokenize.Tokenizer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * Predicts the tokens behind each {@code [MASK]} of a text with a masked-LM checkpoint (pretrained
 * here, or an imported {@code BertForMaskedLM}). A text is {@code [CLS] text [SEP]} with the literal
 * {@code [MASK]}s put in as the mask token whatever the tokenizer does with brackets; a mask takes the
 * whitespace before it (as RoBERTa's {@code <mask>} does), so with a byte-level BPE the prediction
 * is the word with its leading space. Texts of a batch are padded to the longest, padded keys masked,
 * so a text's answer does not depend on its batch.
 */
public final class FillMask {
    private static final int BATCH = 32;
    private final Map<String, INDArray> params;
    private final BertModel model;
    private final Tokenizer tokenizer;
    private final BertTokens specials;
    private final int contextLength;

    /** One candidate for a {@code [MASK]}: the token's text (decoded alone), its id and probability. */
    public record Candidate(String token, int id, double probability) {}

    FillMask(Checkpoint checkpoint, String uri) {
        BertMlmLayer layer = Pipelines.layer(checkpoint, BertMlmLayer.class, uri);
        this.params = checkpoint.model().getLayer(BertGraphBuilder.LAYER).paramTable();
        this.model = layer.model();
        this.tokenizer = checkpoint.tokenizer();
        this.specials = BertTokens.of(tokenizer);
        this.contextLength = layer.spec().contextLength();
    }

    /** The {@code topK} most probable tokens for each {@code [MASK]} of {@code text}, most probable first. */
    public List<List<Candidate>> fill(String text, int topK) {
        return fill(List.of(text), topK).get(0);
    }

    /**
     * Per text, per {@code [MASK]} in order, the {@code topK} most probable tokens.
     *
     * @throws InputException naming the text (1-based) when it has no {@code [MASK]}, or one falls
     *     beyond the context
     */
    public List<List<List<Candidate>>> fill(List<String> texts, int topK) {
        if (topK < 1) {
            throw new InputException("--top-k must be >= 1, got " + topK);
        }
        List<List<List<Candidate>>> out = new ArrayList<>(texts.size());
        for (int from = 0; from < texts.size(); from += BATCH) {
            out.addAll(fillBatch(texts.subList(from, Math.min(texts.size(), from + BATCH)), from, topK));
        }
        return out;
    }

    private List<List<List<Candidate>>> fillBatch(List<String> texts, int offset, int topK) {
        List<int[]> framed = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            framed.add(frame(texts.get(i), offset + i + 1));
        }
        PaddedBatch batch = PaddedBatch.of(framed, specials.pad(), params.get(TransformerStack.TOKEN_EMBEDDING)
                .dataType());
        List<Integer> rows = new ArrayList<>();                // positions of the masks in the batch, B*T indexing
        for (int i = 0; i < framed.size(); i++) {
            int[] ids = framed.get(i);
            for (int pos = 0; pos < ids.length; pos++) {
                if (ids[pos] == specials.mask()) {
                    rows.add(i * batch.length() + pos);
                }
            }
        }
        INDArray logits = model.forward(params, batch.ids(), batch.batch(), batch.padding(),
                rows.stream().mapToInt(Integer::intValue).toArray(), false).logits();   // [R, V]
        double[][] scores = logits.castTo(DataType.DOUBLE).toDoubleMatrix();
        List<List<List<Candidate>>> out = new ArrayList<>();
        int row = 0;
        for (int[] ids : framed) {
            List<List<Candidate>> masks = new ArrayList<>();
            for (int id : ids) {
                if (id == specials.mask()) {
                    masks.add(top(scores[row++], topK));
                }
            }
            out.add(masks);
        }
        return out;
    }

    /** [CLS] text [SEP] with every literal [MASK] as the mask id. */
    private int[] frame(String text, int number) {
        String[] pieces = text.split(java.util.regex.Pattern.quote(BertTokens.MASK), -1);
        if (pieces.length < 2) {
            throw new InputException("text " + number + " has no " + BertTokens.MASK + ": " + text);
        }
        List<Integer> ids = new ArrayList<>();
        for (int i = 0; i < pieces.length; i++) {
            String piece = i < pieces.length - 1 ? pieces[i].stripTrailing() : pieces[i];
            for (int id : piece.isEmpty() ? new int[0] : tokenizer.encode(piece)) {
                ids.add(id);
            }
            if (i < pieces.length - 1) {
                ids.add(specials.mask());
            }
        }
        int[] tokens = ids.stream().mapToInt(Integer::intValue).toArray();
        int[] framed = specials.frame(tokens, contextLength);
        long kept = Arrays.stream(framed).filter(id -> id == specials.mask()).count();
        if (kept != pieces.length - 1) {
            throw new InputException("text " + number + ": a " + BertTokens.MASK + " falls beyond the context of "
                    + contextLength + " tokens");
        }
        return framed;
    }

    /** Softmax over the vocabulary, then the {@code k} largest, most probable first (ties by id). */
    private List<Candidate> top(double[] logits, int k) {
        double max = Arrays.stream(logits).max().orElse(0);
        double sum = 0;
        double[] p = new double[logits.length];
        for (int v = 0; v < p.length; v++) {
            p[v] = Math.exp(logits[v] - max);
            sum += p[v];
        }
        double total = sum;
        return IntStream.range(0, p.length).boxed()
                .sorted(Comparator.comparingDouble((Integer v) -> -p[v]).thenComparingInt(v -> v))
                .limit(k)
                .map(v -> new Candidate(tokenizer.decode(new int[] {v}), v, p[v] / total))
                .toList();
    }
}
