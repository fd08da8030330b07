package io.sparkformer.tokenize;

import java.io.Serializable;
import java.util.Arrays;
import java.util.List;

/**
 * The special tokens BERT needs and where they sit in a tokenizer's vocabulary. They are special
 * tokens of the byte-level BPE (appended after its learned tokens, never produced from text), so
 * ids below {@code regularTokens} are text and the rest are special. A byte-level BPE has no
 * unknown tokens, so there is no [UNK].
 *
 * @param regularTokens ids [0, regularTokens) are text tokens; the random replacements of masked-LM
 *                      are drawn from them
 */
public record BertTokens(int pad, int cls, int sep, int mask, int regularTokens) implements Serializable {
    public static final String PAD = "[PAD]";
    public static final String CLS = "[CLS]";
    public static final String SEP = "[SEP]";
    public static final String MASK = "[MASK]";
    /** In id order after the learned tokens, as {@code prepare} adds them for the BERT family. */
    public static final List<String> SPECIALS = List.of(PAD, CLS, SEP, MASK);

    public static BertTokens of(Tokenizer tokenizer) {
        if (!(tokenizer instanceof BpeTokenizer bpe) || !bpe.specialTokens().containsAll(SPECIALS)) {
            throw new IllegalArgumentException("a BERT needs a bpe tokenizer with the special tokens " + SPECIALS
                    + "; this one is a " + tokenizer.type() + " tokenizer"
                    + (tokenizer instanceof BpeTokenizer b ? " with " + b.specialTokens() : ""));
        }
        return new BertTokens(bpe.specialId(PAD), bpe.specialId(CLS), bpe.specialId(SEP), bpe.specialId(MASK),
                bpe.vocabSize() - bpe.specialTokens().size());
    }

    public boolean isSpecial(int id) {
        return id >= regularTokens;
    }

    /** Text tokens that fit between [CLS] and [SEP] in a sequence of {@code contextLength}. */
    public static int textLength(int contextLength) {
        return contextLength - 2;
    }

    /** [CLS] ids [SEP], with {@code ids} cut to {@link #textLength} tokens when longer. */
    public int[] frame(int[] ids, int contextLength) {
        int n = Math.min(ids.length, textLength(contextLength));
        int[] out = new int[n + 2];
        out[0] = cls;
        System.arraycopy(ids, 0, out, 1, n);
        out[n + 1] = sep;
        return out;
    }

    @Override
    public String toString() {
        return "BertTokens" + Arrays.toString(new int[] {pad, cls, sep, mask}) + " after " + regularTokens;
    }
}
