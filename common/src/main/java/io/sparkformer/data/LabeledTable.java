package io.sparkformer.data;

import io.sparkformer.InputException;
import io.sparkformer.config.FinetuneConfig;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * A labeled table (TSV, or CSV with RFC 4180 quoting) whose first row names the columns: the text
 * and label of every row (and its second text, for sentence pairs), with the line each row starts on
 * so that errors can name it. Text is stripped of surrounding whitespace; blank lines are skipped.
 */
public final class LabeledTable {
    private LabeledTable() {
    }

    /**
     * One labeled text; {@code line} is 1-based in the file (the header is line 1).
     *
     * @param pair the second text of a sentence pair, or null for a single text
     */
    public record Row(int line, String text, String label, String pair) implements Serializable {
        public Row(int line, String text, String label) {
            this(line, text, label, null);
        }
    }

    /**
     * @param origin names the table in errors, e.g. its URI
     * @throws InputException for a missing column, a row of the wrong width, an empty text or label
     */
    public static List<Row> parse(String content, String origin, FinetuneConfig config) {
        List<Record> records = config.format() == FinetuneConfig.Format.CSV ? csv(content, origin) : tsv(content);
        if (records.isEmpty()) {
            throw new InputException(origin + " is empty: expected a header row naming the columns");
        }
        List<String> header = records.get(0).fields();
        int text = column(header, config.textColumn(), origin);
        int label = column(header, config.labelColumn(), origin);
        int pair = config.pairs() ? column(header, config.pairColumn(), origin) : -1;
        List<Row> rows = new ArrayList<>();
        for (Record r : records.subList(1, records.size())) {
            if (r.fields().size() != header.size()) {
                throw new InputException(origin + " line " + r.line() + ": " + r.fields().size() + " field(s), but the"
                        + " header has " + header.size());
            }
            String t = text(r, text, config.textColumn(), origin);
            String p = pair < 0 ? null : text(r, pair, config.pairColumn(), origin);
            String l = r.fields().get(label).strip();
            if (l.isEmpty()) {
                throw new InputException(origin + " line " + r.line() + ": empty label in column '"
                        + config.labelColumn() + "'");
            }
            rows.add(new Row(r.line(), t, l, p));
        }
        if (rows.isEmpty()) {
            throw new InputException(origin + " has a header but no rows");
        }
        return rows;
    }

    private static String text(Record r, int column, String name, String origin) {
        String t = r.fields().get(column).strip();
        if (t.isEmpty()) {
            throw new InputException(origin + " line " + r.line() + ": empty text in column '" + name + "'");
        }
        return t;
    }

    private static int column(List<String> header, String name, String origin) {
        int i = header.indexOf(name);
        if (i < 0) {
            throw new InputException(origin + ": no column '" + name + "' in the header (columns: "
                    + String.join(", ", header) + ")");
        }
        return i;
    }

    private record Record(int line, List<String> fields) {
    }

    private static List<Record> tsv(String content) {
        List<Record> out = new ArrayList<>();
        String[] lines = content.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            if (!lines[i].isBlank()) {
                out.add(new Record(i + 1, List.of(lines[i].split("\t", -1))));
            }
        }
        return out;
    }

    /** RFC 4180: fields separated by commas, optionally in double quotes ("" is a quote; may span lines). */
    private static List<Record> csv(String content, String origin) {
        List<Record> out = new ArrayList<>();
        List<String> fields = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        boolean quoted = false;
        boolean blank = true;
        int line = 1;
        int start = 1;
        for (int i = 0; i < content.length(); i++) {
            char ch = content.charAt(i);
            if (quoted) {
                if (ch == '"' && i + 1 < content.length() && content.charAt(i + 1) == '"') {
                    field.append('"');
                    i++;
                } else if (ch == '"') {
                    quoted = false;
                } else {
                    line += ch == '\n' ? 1 : 0;
                    field.append(ch);
                }
            } else if (ch == '"' && field.length() == 0) {
                quoted = true;
                blank = false;
            } else if (ch == ',') {
                fields.add(field.toString());
                field.setLength(0);
                blank = false;
            } else if (ch == '\n' || ch == '\r') {
                if (ch == '\r' && i + 1 < content.length() && content.charAt(i + 1) == '\n') {
                    i++;
                }
                if (!blank || field.length() > 0) {
                    fields.add(field.toString());
                    out.add(new Record(start, List.copyOf(fields)));
                }
                fields.clear();
                field.setLength(0);
                blank = true;
                line++;
                start = line;
            } else {
                field.append(ch);
                blank = blank && Character.isWhitespace(ch);
            }
        }
        if (quoted) {
            throw new InputException(origin + " line " + start + ": a quoted field is not closed");
        }
        if (!blank || field.length() > 0) {
            fields.add(field.toString());
            out.add(new Record(start, List.copyOf(fields)));
        }
        return out;
    }
}
