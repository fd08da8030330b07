package io.sparkformer.tokenize;

import io.sparkformer.InputException;

import java.io.Serializable;
import java.util.Arrays;
import java.util.List;

/**
 * The special tokens BERT needs and where they sit in a tokenizer's vocabulary, for the two
 * tokenizers a BERT checkpoint can hold:
 * <ul>
 *   <li>our byte-level BPE: the specials are appended after its learned tokens (never produced
 *       from text), so ids below {@code regularTokens} are text and the rest are special; a
 *       byte-level BPE has no unknown token ({@code unk} = {@link #NO_UNK});</li>
 *   <li>a pretrained model's WordPiece (read from its Hugging Face {@code tokenizer.json}): the
 *       specials sit wherever the vocabulary has them ([PAD] 0, [UNK] 100, [CLS] 101, ... in
 *       bert-base-uncased), so {@code regularTokens} is the whole vocabulary and only the five
 *       named ids are special.</li>
 * </ul>
 *
 * @param unk           the [UNK] id, or {@link #NO_UNK}
 * @param regularTokens ids [0, regularTokens) may be drawn as masked-LM random replacements; ids at
 *                      or above it are special
 */
public record BertTokens(int pad, int cls, int sep, int mask, int unk, int regularTokens) implements Serializable {
    public static final int NO_UNK = -1;
    public static final String PAD = "[PAD]";
    public static final String CLS = "[CLS]";
    public static final String SEP = "[SEP]";
    public static final String MASK = "[MASK]";
    public static final String UNK = "[UNK]";
    /** In id order after the learned tokens, as {@code prepare} adds them for the BERT family. */
    public static final List<String> SPECIALS = List.of(PAD, CLS, SEP, MASK);

    /** The byte-level BPE form, without [UNK]. */
    public BertTokens(int pad, int cls, int sep, int mask, int regularTokens) {
        this(pad, cls, sep, mask, NO_UNK, regularTokens);
    }

    public static BertTokens of(Tokenizer tokenizer) {
        if (tokenizer instanceof WordPieceTokenizer wordPiece) {
            return of(wordPiece);
        }
        if (!(tokenizer instanceof BpeTokenizer bpe) || !bpe.specialTokens().containsAll(SPECIALS)) {
            throw new InputException("a BERT needs a bpe tokenizer with the special tokens " + SPECIALS
                    + " or a wordpiece one with " + WORDPIECE_SPECIALS + "; this one is a " + tokenizer.type()
                    + " tokenizer" + (tokenizer instanceof BpeTokenizer b ? " with " + b.specialTokens() : ""));
        }
        return new BertTokens(bpe.specialId(PAD), bpe.specialId(CLS), bpe.specialId(SEP), bpe.specialId(MASK),
                bpe.vocabSize() - bpe.specialTokens().size());
    }

    /** What a pretrained BERT's WordPiece must mark special, by the names BERT's vocabularies use. */
    static final List<String> WORDPIECE_SPECIALS = List.of(PAD, UNK, CLS, SEP, MASK);

    private static BertTokens of(WordPieceTokenizer tokenizer) {
        int[] ids = new int[WORDPIECE_SPECIALS.size()];
        for (int i = 0; i < ids.length; i++) {
            String name = WORDPIECE_SPECIALS.get(i);
            ids[i] = tokenizer.idOrMinusOne(name);
            if (ids[i] < 0 || !tokenizer.isSpecial(ids[i])) {
                throw new InputException("a BERT's wordpiece tokenizer needs the special token " + name
                        + " (one of " + WORDPIECE_SPECIALS + "); this one's special tokens are "
                        + tokenizer.specialTokens());
            }
        }
        if (tokenizer.unkId() != ids[1]) {
            throw new InputException("the wordpiece tokenizer's unk_token is '"
                    + tokenizer.token(tokenizer.unkId()) + "', not " + UNK);
        }
        return new BertTokens(ids[0], ids[2], ids[3], ids[4], ids[1], tokenizer.vocabSize());
    }

    public boolean isSpecial(int id) {
        return id >= regularTokens || id == pad || id == cls || id == sep || id == mask || id == unk;
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

    /** Ids and segment (token type) ids of a framed sentence pair, one of each per position. */
    public record Pair(int[] ids, int[] types) {
    }

    /**
     * [CLS] a [SEP] b [SEP] with segment 0 up to the first [SEP] and 1 after it (BERT's pair
     * template). When longer than {@code contextLength}, the longer text is cut first, as Hugging
     * Face's {@code longest_first}: the shorter keeps min(its length, half the room rounded down), the
     * longer the rest (a tie counts the second text as the longer, as tokenizers' truncation.rs does).
     */
    public Pair framePair(int[] a, int[] b, int contextLength) {
        int room = pairTextLength(contextLength);
        int na = a.length;
        int nb = b.length;
        if (na + nb > room) {
            if (na <= nb) {
                na = Math.min(na, room / 2);
                nb = room - na;
            } else {
                nb = Math.min(nb, room / 2);
                na = room - nb;
            }
        }
        int[] ids = new int[na + nb + 3];
        int[] types = new int[ids.length];
        ids[0] = cls;
        System.arraycopy(a, 0, ids, 1, na);
        ids[na + 1] = sep;
        System.arraycopy(b, 0, ids, na + 2, nb);
        ids[ids.length - 1] = sep;
        Arrays.fill(types, na + 2, ids.length, 1);
        return new Pair(ids, types);
    }

    /** Text tokens of both texts that fit beside [CLS], [SEP] and [SEP] in {@code contextLength}. */
    public static int pairTextLength(int contextLength) {
        return contextLength - 3;
    }

    @Override
    public String toString() {
        return "BertTokens" + Arrays.toString(new int[] {pad, cls, sep, mask}) + (unk == NO_UNK ? "" : " unk " + unk)
                + " after " + regularTokens;
    }
}
