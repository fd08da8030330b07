package io.sparkformer.tokenize;

import java.io.Serializable;
import java.text.Normalizer;
import java.util.Locale;

/**
 * Hugging Face's {@code BertNormalizer}, step for step and in its order: clean the text, space out
 * Chinese characters, strip accents, lowercase. The character classes are those of {@code
 * tokenizers} (Rust), not Java's look-alikes: "whitespace" is Unicode White_Space (Java's {@link
 * Character#isWhitespace} leaves out no-break spaces), "control" is categories Cc, Cf and Co but
 * not tab, newline and carriage return, and lowercasing maps each character on its own (Rust's
 * {@code char::to_lowercase}, so a final capital sigma becomes σ, never the contextual ς that
 * {@link String#toLowerCase} would give).
 *
 * @param stripAccents Hugging Face's {@code strip_accents: null} means "as {@code lowercase}"; the
 *     reader resolves it before it gets here
 */
public record BertNormalizer(boolean cleanText, boolean handleChineseChars, boolean stripAccents, boolean lowercase)
        implements Serializable {

    /** bert-base-uncased's settings, which all-MiniLM-L6-v2 and most uncased BERTs use. */
    public static final BertNormalizer UNCASED = new BertNormalizer(true, true, true, true);

    public String normalize(String text) {
        String out = text;
        if (cleanText) {
            out = clean(out);
        }
        if (handleChineseChars) {
            out = spaceChinese(out);
        }
        if (stripAccents) {
            out = stripAccents(out);
        }
        if (lowercase) {
            out = lowercase(out);
        }
        return out;
    }

    /** Drops NUL, U+FFFD and control characters; every kind of whitespace becomes one space. */
    private static String clean(String text) {
        StringBuilder out = new StringBuilder(text.length());
        text.codePoints().forEach(c -> {
            if (c == 0 || c == 0xFFFD || isControl(c)) {
                return;
            }
            if (isWhitespace(c)) {
                out.append(' ');
            } else {
                out.appendCodePoint(c);
            }
        });
        return out.toString();
    }

    private static String spaceChinese(String text) {
        StringBuilder out = new StringBuilder(text.length());
        text.codePoints().forEach(c -> {
            if (isChinese(c)) {
                out.append(' ').appendCodePoint(c).append(' ');
            } else {
                out.appendCodePoint(c);
            }
        });
        return out.toString();
    }

    /** Canonical decomposition, then every nonspacing mark (Mn) removed: é -> e, but also ् (virama). */
    private static String stripAccents(String text) {
        String decomposed = Normalizer.normalize(text, Normalizer.Form.NFD);
        StringBuilder out = new StringBuilder(decomposed.length());
        decomposed.codePoints().forEach(c -> {
            if (Character.getType(c) != Character.NON_SPACING_MARK) {
                out.appendCodePoint(c);
            }
        });
        return out.toString();
    }

    /**
     * Each character lowercased alone, as Rust's {@code char::to_lowercase} does: İ gives i plus a
     * combining dot (two characters), Σ always gives σ.
     */
    private static String lowercase(String text) {
        StringBuilder out = new StringBuilder(text.length());
        text.codePoints().forEach(c -> {
            if (c < 0x80) {
                out.append((char) (c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c));
            } else {
                out.append(Character.toString(c).toLowerCase(Locale.ROOT));
            }
        });
        return out.toString();
    }

    /** Unicode's White_Space property (what Rust's {@code char::is_whitespace} tests). */
    static boolean isWhitespace(int c) {
        return (c >= 0x09 && c <= 0x0D)
                || c == 0x20
                || c == 0x85
                || c == 0xA0
                || c == 0x1680
                || (c >= 0x2000 && c <= 0x200A)
                || c == 0x2028
                || c == 0x2029
                || c == 0x202F
                || c == 0x205F
                || c == 0x3000;
    }

    /** Categories Cc, Cf, Co (the {@code unicode_categories} crate's "other", without Cn). */
    static boolean isControl(int c) {
        if (c == '\t' || c == '\n' || c == '\r') {
            return false;
        }
        int type = Character.getType(c);
        return type == Character.CONTROL || type == Character.FORMAT || type == Character.PRIVATE_USE;
    }

    /** The CJK ideograph blocks, as Hugging Face lists them (including its 0x2B920 start). */
    static boolean isChinese(int c) {
        return (c >= 0x4E00 && c <= 0x9FFF)
                || (c >= 0x3400 && c <= 0x4DBF)
                || (c >= 0x20000 && c <= 0x2A6DF)
                || (c >= 0x2A700 && c <= 0x2B73F)
                || (c >= 0x2B740 && c <= 0x2B81F)
                || (c >= 0x2B920 && c <= 0x2CEAF)
                || (c >= 0xF900 && c <= 0xFAFF)
                || (c >= 0x2F800 && c <= 0x2FA1F);
    }
}
