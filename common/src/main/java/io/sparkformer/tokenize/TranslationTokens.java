package io.sparkformer.tokenize;

import io.sparkformer.InputException;

import java.io.Serializable;
import java.util.List;

/**
 * The special tokens of one side (source or target) of a translation model and where they sit in
 * its tokenizer. They are special tokens of the byte-level BPE (appended after its learned tokens,
 * never produced from text), so {@code decode} of a translation drops them by stripping ids at or
 * above {@code regularTokens}. The source is framed {@code ids </s>}, the decoder input
 * {@code <s> ids} and the decoder's labels {@code ids </s>} (teacher forcing, shifted right).
 *
 * @param regularTokens ids [0, regularTokens) are text; the rest are special
 */
public record TranslationTokens(int pad, int bos, int eos, int regularTokens) implements Serializable {
    public static final String PAD = "[PAD]";
    public static final String BOS = "<s>";
    public static final String EOS = "</s>";
    /** In id order after the learned tokens, as seq2seq training adds them. */
    public static final List<String> SPECIALS = List.of(PAD, BOS, EOS);

    public TranslationTokens {
        if (pad < 0 || bos < 0 || eos < 0 || pad == bos || pad == eos || bos == eos) {
            throw new IllegalArgumentException("[PAD], <s> and </s> need three distinct ids >= 0, got " + pad + ", "
                    + bos + ", " + eos);
        }
    }

    public static TranslationTokens of(Tokenizer tokenizer) {
        if (!(tokenizer instanceof BpeTokenizer bpe) || !bpe.specialTokens().containsAll(SPECIALS)) {
            throw new InputException("a translation model needs a bpe tokenizer with the special tokens "
                    + SPECIALS + "; this one is a " + tokenizer.type() + " tokenizer"
                    + (tokenizer instanceof BpeTokenizer b ? " with " + b.specialTokens() : ""));
        }
        return new TranslationTokens(bpe.specialId(PAD), bpe.specialId(BOS), bpe.specialId(EOS),
                bpe.vocabSize() - bpe.specialTokens().size());
    }

    public boolean isSpecial(int id) {
        return id >= regularTokens;
    }

    /** The text ids of a generated sequence: everything before the first {@code </s>}, specials dropped. */
    public int[] text(int[] generated) {
        int n = 0;
        int[] out = new int[generated.length];
        for (int id : generated) {
            if (id == eos) {
                break;
            }
            if (!isSpecial(id)) {
                out[n++] = id;
            }
        }
        return java.util.Arrays.copyOf(out, n);
    }
}
