package io.sparkformer.data;

import io.sparkformer.InputException;

import org.apache.hadoop.conf.Configuration;

import java.util.ArrayList;
import java.util.List;

/**
 * Aligned sentence pairs for translation: line i of the source text translates line i of the target
 * text. Read from two aligned files or from one TSV ({@code source<TAB>target} per line), on any
 * Hadoop file system, strictly as UTF-8. Lines are stripped of surrounding whitespace; a trailing
 * newline ends the last line and does not start an empty one.
 *
 * @param origin names the files in messages
 */
public record ParallelCorpus(List<String> sources, List<String> targets, String origin) {

    public ParallelCorpus {
        if (sources.size() != targets.size()) {
            throw new IllegalArgumentException("sources and targets differ in size: " + sources.size() + " and "
                    + targets.size());
        }
        sources = List.copyOf(sources);
        targets = List.copyOf(targets);
    }

    public int size() {
        return sources.size();
    }

    /** Two aligned files, rejected unless they have the same number of lines. */
    public static ParallelCorpus read(String sourceFile, String targetFile, Configuration conf) {
        return of(sourceFile, text(sourceFile, conf), targetFile, text(targetFile, conf));
    }

    /** One file of {@code source<TAB>target} lines. */
    public static ParallelCorpus readTsv(String file, Configuration conf) {
        return ofTsv(file, text(file, conf));
    }

    /** The pairs of two aligned texts; {@code sourceName} and {@code targetName} name them in the error. */
    public static ParallelCorpus of(String sourceName, String sourceText, String targetName, String targetText) {
        List<String> sources = lines(sourceText);
        List<String> targets = lines(targetText);
        if (sources.size() != targets.size()) {
            throw new InputException("misaligned parallel corpus: source " + sourceName + " has " + sources.size()
                    + " lines but target " + targetName + " has " + targets.size()
                    + " (line i of one must translate line i of the other)");
        }
        if (sources.isEmpty()) {
            throw new InputException("parallel corpus " + sourceName + " / " + targetName + " is empty");
        }
        return new ParallelCorpus(sources, targets, sourceName + " / " + targetName);
    }

    /** The pairs of a TSV text: exactly one tab per line. */
    public static ParallelCorpus ofTsv(String name, String text) {
        List<String> sources = new ArrayList<>();
        List<String> targets = new ArrayList<>();
        List<String> rows = rawLines(text);
        for (int i = 0; i < rows.size(); i++) {
            String[] fields = rows.get(i).split("\t", -1);
            if (fields.length != 2) {
                throw new InputException("line " + (i + 1) + " of " + name + " has " + fields.length
                        + " tab-separated fields, expected 2 (source<TAB>target)");
            }
            sources.add(fields[0].strip());
            targets.add(fields[1].strip());
        }
        if (sources.isEmpty()) {
            throw new InputException("parallel corpus " + name + " is empty");
        }
        return new ParallelCorpus(sources, targets, name);
    }

    /** The last {@code count} pairs and the rest: a held-out split when no validation files are given. */
    public ParallelCorpus[] splitLast(int count) {
        int cut = size() - count;
        return new ParallelCorpus[] {
                new ParallelCorpus(sources.subList(0, cut), targets.subList(0, cut), origin),
                new ParallelCorpus(sources.subList(cut, size()), targets.subList(cut, size()), origin + " (last "
                        + count + ")")};
    }

    /** The first {@code count} pairs (all when fewer). */
    public ParallelCorpus head(int count) {
        int n = Math.min(count, size());
        return new ParallelCorpus(sources.subList(0, n), targets.subList(0, n), origin);
    }

    /** Lines of a text, stripped; the empty string has none, a final newline ends the last line. */
    public static List<String> lines(String text) {
        return rawLines(text).stream().map(String::strip).toList();
    }

    private static List<String> rawLines(String text) {
        List<String> out = new ArrayList<>();
        if (text.isEmpty()) {
            return out;
        }
        int start = 0;
        while (start < text.length()) {
            int end = text.indexOf('\n', start);
            if (end < 0) {
                end = text.length();
            }
            String line = text.substring(start, end);
            out.add(line.endsWith("\r") ? line.substring(0, line.length() - 1) : line);
            start = end + 1;
        }
        return out;
    }

    private static String text(String file, Configuration conf) {
        return CorpusFiles.decode(file, CorpusFiles.read(file, conf));
    }
}
