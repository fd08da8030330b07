package io.sparkformer.tokenize;

import io.sparkformer.InputException;

/**
 * A character-level tokenizer met a character it was not fitted on. It is an error rather than an
 * {@code <unk>} id because a silent substitution would train and evaluate on text that differs from
 * the corpus; refit on the full corpus instead.
 */
public final class UnknownCharacterException extends InputException {

    private static final long serialVersionUID = 1L;

    private final int codePoint;
    private final int offset;

    /**
     * @param codePoint the character that is not in the vocabulary
     * @param offset its position in the text, counted in code points (= its token position)
     * @param vocabularySize how many characters the tokenizer knows
     */
    public UnknownCharacterException(int codePoint, int offset, int vocabularySize) {
        super(String.format("character '%s' (U+%04X) at offset %d is not in the tokenizer's vocabulary of %d %s",
                printable(codePoint), codePoint, offset, vocabularySize,
                vocabularySize == 1 ? "character" : "characters"));
        this.codePoint = codePoint;
        this.offset = offset;
    }

    public int codePoint() {
        return codePoint;
    }

    /** Position of the character in the text, counted in code points. */
    public int offset() {
        return offset;
    }

    /** The character itself, escaped if it is invisible or would break the one-line message. */
    private static String printable(int codePoint) {
        switch (codePoint) {
            case '\n':
                return "\\n";
            case '\r':
                return "\\r";
            case '\t':
                return "\\t";
            default:
                break;
        }
        int type = Character.getType(codePoint);
        boolean invisible =
                type == Character.CONTROL
                        || type == Character.LINE_SEPARATOR
                        || type == Character.PARAGRAPH_SEPARATOR
                        || type == Character.FORMAT
                        || type == Character.SURROGATE
                        || type == Character.UNASSIGNED;
        return invisible ? String.format("\\u%04X", codePoint) : Character.toString(codePoint);
    }
}
