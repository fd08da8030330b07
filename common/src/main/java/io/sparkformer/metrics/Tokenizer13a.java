package io.sparkformer.metrics;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The "13a" tokenization of WMT's {@code mteval-v13a.pl}, as sacreBLEU applies it before counting
 * n-grams (its default). Language-independent part: drop {@code <skipped>}, join lines hyphenated
 * across a line break, turn line breaks into spaces, unescape {@code &quot; &amp; &lt; &gt;}.
 * Then, on the line padded with a space on each side:
 * <ol>
 *   <li>put spaces around every ASCII symbol in {@code { | } ~ [ \ ] ^ _ ` space ! " # $ % & ( ) * + : ; < = > ? @ /}
 *       (not the apostrophe, the hyphen, the period or the comma);</li>
 *   <li>split a period or comma from a preceding non-digit, then from a following non-digit (so
 *       {@code 3.5} and {@code 1,000} stay whole);</li>
 *   <li>split a hyphen that follows a digit;</li>
 *   <li>collapse whitespace (as Python's {@code str.split()} sees it) to single spaces and trim.</li>
 * </ol>
 */
public final class Tokenizer13a {
    private static final Pattern SYMBOLS = Pattern.compile("([\\{-\\~\\[-\\` -\\&\\(-\\+\\:-\\@\\/])");
    private static final Pattern PERIOD_COMMA_AFTER_NON_DIGIT = Pattern.compile("([^0-9])([\\.,])");
    private static final Pattern PERIOD_COMMA_BEFORE_NON_DIGIT = Pattern.compile("([\\.,])([^0-9])");
    private static final Pattern DASH_AFTER_DIGIT = Pattern.compile("([0-9])(-)");

    private Tokenizer13a() {
    }

    /** The tokenized line: tokens separated by single spaces. */
    public static String tokenize(String line) {
        String s = line.replace("<skipped>", "")
                .replace("-\n", "")
                .replace("\n", " ")
                .replace("&quot;", "\"")
                .replace("&amp;", "&")
                .replace("&lt;", "<")
                .replace("&gt;", ">");
        s = " " + s + " ";
        s = SYMBOLS.matcher(s).replaceAll(" $1 ");
        s = PERIOD_COMMA_AFTER_NON_DIGIT.matcher(s).replaceAll("$1 $2 ");
        s = PERIOD_COMMA_BEFORE_NON_DIGIT.matcher(s).replaceAll(" $1 $2");
        s = DASH_AFTER_DIGIT.matcher(s).replaceAll("$1 $2 ");
        return String.join(" ", split(s));
    }

    /** Python's {@code str.split()}: runs of whitespace separate tokens; no empty tokens. */
    static List<String> split(String s) {
        List<String> out = new ArrayList<>();
        int start = -1;
        for (int i = 0; i < s.length(); i++) {
            if (isPythonWhitespace(s.charAt(i))) {
                if (start >= 0) {
                    out.add(s.substring(start, i));
                    start = -1;
                }
            } else if (start < 0) {
                start = i;
            }
        }
        if (start >= 0) {
            out.add(s.substring(start));
        }
        return out;
    }

    /** {@code str.isspace()} of one character: Java's whitespace plus the no-break spaces and NEL. */
    static boolean isPythonWhitespace(char c) {
        return Character.isWhitespace(c) || c == '\u00A0' || c == '\u2007' || c == '\u202F' || c == '\u0085';
    }

    /** Right-strips Python whitespace, as sacreBLEU does to every segment before tokenizing. */
    static String rstrip(String s) {
        int end = s.length();
        while (end > 0 && isPythonWhitespace(s.charAt(end - 1))) {
            end--;
        }
        return s.substring(0, end);
    }
}
