package io.sparkformer.tokenize;

import io.sparkformer.InputException;

import java.io.InvalidObjectException;
import java.io.ObjectInputStream;
import java.io.ObjectStreamException;
import java.util.Arrays;
import java.util.BitSet;
import java.util.SortedSet;

/**
 * One token per Unicode code point, as nanoGPT's {@code shakespeare_char}: the vocabulary is the
 * sorted distinct code points of the corpus and a character's id is its rank in that order. Code
 * points rather than UTF-16 chars, so an emoji is one token and never half a surrogate pair.
 */
public final class CharTokenizer implements Tokenizer {

    private static final long serialVersionUID = 1L;

    /** Ascending; the id of {@code codePoints[i]} is {@code i}. */
    private final int[] codePoints;

    private CharTokenizer(int[] sortedCodePoints) {
        if (sortedCodePoints.length == 0) {
            throw new InputException("a character vocabulary needs at least one character");
        }
        for (int i = 0; i < sortedCodePoints.length; i++) {
            int codePoint = sortedCodePoints[i];
            if (codePoint < 0 || codePoint > Character.MAX_CODE_POINT) {
                throw new IllegalArgumentException(
                        "code point " + codePoint + " is outside the Unicode range [0, 0x10FFFF]");
            }
            if (Character.getType(codePoint) == Character.SURROGATE) {
                // An unpaired surrogate is not a character and has no UTF-8 form, so it cannot be
                // written to tokenizer.json faithfully.
                throw new IllegalArgumentException(String.format(
                        "U+%04X is an unpaired UTF-16 surrogate, not a character: the text is not well-formed Unicode",
                        codePoint));
            }
            if (i > 0 && sortedCodePoints[i - 1] >= codePoint) {
                throw new IllegalArgumentException("code points must be distinct and ascending");
            }
        }
        this.codePoints = sortedCodePoints;
    }

    /** The tokenizer whose vocabulary is exactly the distinct code points of {@code text}. */
    public static CharTokenizer fit(CharSequence text) {
        BitSet seen = new BitSet();
        text.codePoints().forEach(seen::set);
        return new CharTokenizer(seen.stream().toArray());
    }

    /**
     * The tokenizer for an already collected set of code points (a Spark job gathers them on the
     * executors). The set's own ordering is ignored: ids always follow ascending code point order.
     */
    public static CharTokenizer ofCodePoints(SortedSet<Integer> codePoints) {
        int[] sorted = codePoints.stream().mapToInt(Integer::intValue).sorted().toArray();
        return new CharTokenizer(sorted);
    }

    /**
     * @throws UnknownCharacterException at the first character that is not in the vocabulary
     */
    @Override
    public int[] encode(String text) {
        int[] ids = new int[text.codePointCount(0, text.length())];
        int offset = 0;
        for (int i = 0; i < text.length(); offset++) {
            int codePoint = text.codePointAt(i);
            int id = Arrays.binarySearch(codePoints, codePoint);
            if (id < 0) {
                throw new UnknownCharacterException(codePoint, offset, codePoints.length);
            }
            ids[offset] = id;
            i += Character.charCount(codePoint);
        }
        return ids;
    }

    @Override
    public String decode(int[] ids) {
        StringBuilder text = new StringBuilder(ids.length);
        for (int id : ids) {
            if (id < 0 || id >= codePoints.length) {
                throw new IllegalArgumentException(
                        "token id " + id + " is outside the vocabulary [0, " + codePoints.length + ")");
            }
            text.appendCodePoint(codePoints[id]);
        }
        return text.toString();
    }

    /** Whether {@link #encode} would accept {@code text}, i.e. every character is in the vocabulary. */
    public boolean covers(String text) {
        return text.codePoints().allMatch(codePoint -> Arrays.binarySearch(codePoints, codePoint) >= 0);
    }

    @Override
    public int vocabSize() {
        return codePoints.length;
    }

    @Override
    public String type() {
        return "char";
    }

    @Override
    public String toJson() {
        return TokenizerJson.writeChar(codePoints);
    }

    @Override
    public String toString() {
        return "CharTokenizer(" + codePoints.length + " characters)";
    }

    private Object writeReplace() throws ObjectStreamException {
        return new TokenizerJson.SerializedForm(toJson());
    }

    private void readObject(ObjectInputStream in) throws InvalidObjectException {
        throw new InvalidObjectException("CharTokenizer is serialized through its tokenizer.json");
    }
}
