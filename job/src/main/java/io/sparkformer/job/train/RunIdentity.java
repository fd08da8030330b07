package io.sparkformer.job.train;

import io.sparkformer.InputException;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What makes two invocations of a training command the same run: the command, its inputs (fully
 * qualified URIs and the flags that change what is trained) and the effective config, rendered.
 * Stored in the run directory as {@code run.json}, with the Spark application that started the run,
 * so that a rerun of the same command (or a second YARN attempt, which gets the same arguments)
 * resumes it and a different command is refused naming what differs.
 *
 * @param inputs in a stable order: name to value ({@code corpus -> hdfs://nn/corpus.txt})
 */
public record RunIdentity(String command, Map<String, String> inputs, String config) {
    public static final String FILE = "run.json";
    /** Suffix of the input key that records what an input held ({@link InputContents}). */
    static final String CONTENTS = " contents";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int SHOWN_DIFFERENCES = 3;

    public RunIdentity {
        inputs = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(inputs));
    }

    /** Starts an identity; add inputs with {@link #with}. */
    public static RunIdentity of(String command, String renderedConfig) {
        return new RunIdentity(command, Map.of(), renderedConfig);
    }

    /** This identity with one more input; a null value (an option not given) is left out. */
    public RunIdentity with(String name, String value) {
        if (value == null) {
            return this;
        }
        Map<String, String> more = new LinkedHashMap<>(inputs);
        more.put(name, value);
        return new RunIdentity(command, more, config);
    }

    /**
     * This identity with an input URI, qualified against its file system ({@code corpus.txt} becomes
     * {@code file:/home/u/corpus.txt}) so a rerun from another working directory still matches, and
     * what the input holds now ({@code corpus contents}), so a corpus rewritten in place differs too.
     */
    public RunIdentity withUri(String name, String uri, Configuration conf) {
        if (uri == null) {
            return this;
        }
        try {
            Path p = new Path(uri);
            FileSystem fs = p.getFileSystem(conf);
            Path qualified = fs.makeQualified(p);
            return with(name, qualified.toString()).with(name + CONTENTS, InputContents.describe(fs, qualified));
        } catch (IOException | IllegalArgumentException e) {
            throw new InputException("cannot resolve --" + name + " " + uri + ": " + e.getMessage().split("\n")[0], e);
        }
    }

    /** {@code run.json}'s text: this identity and the Spark application id that claimed the run. */
    String toJson(String application) {
        ObjectNode root = JSON.createObjectNode();
        root.put("command", command);
        ObjectNode in = root.putObject("inputs");
        inputs.forEach(in::put);
        root.put("config", config);
        root.put("application", application);
        return root.toPrettyString() + "\n";
    }

    /** The identity in {@code run.json} and the application recorded there. */
    record Held(RunIdentity identity, String application) {
    }

    static Held fromJson(String text, String origin) {
        try {
            JsonNode root = JSON.readTree(text);
            Map<String, String> in = new LinkedHashMap<>();
            root.path("inputs").fields().forEachRemaining(e -> in.put(e.getKey(), e.getValue().asText()));
            return new Held(new RunIdentity(root.path("command").asText(), in, root.path("config").asText()),
                    root.path("application").asText(""));
        } catch (IOException e) {
            throw new InputException(origin + " is not valid JSON: " + e.getMessage().split("\n")[0], e);
        }
    }

    /**
     * What differs from {@code now}, at most three items, each as
     * {@code train.steps = 30 (this command: 40)}; empty when they are the same run.
     */
    List<String> differences(RunIdentity now) {
        List<String> diffs = new ArrayList<>();
        if (!command.equals(now.command)) {
            diffs.add("command " + command + " (this command: " + now.command + ")");
        }
        diffs.addAll(inputDifferences(now));
        compare(flatten(config), flatten(now.config), "", " = ", diffs);
        if (diffs.size() > SHOWN_DIFFERENCES) {
            int more = diffs.size() - SHOWN_DIFFERENCES;
            diffs = new ArrayList<>(diffs.subList(0, SHOWN_DIFFERENCES));
            diffs.add("and " + more + " more");
        }
        return diffs;
    }

    /**
     * The inputs (URIs and what they hold) that differ from {@code now}'s, each as
     * {@code --corpus file:/a (this command: file:/b)}. A run recorded before contents were recorded
     * is compared on its URIs only.
     */
    List<String> inputDifferences(RunIdentity now) {
        List<String> diffs = new ArrayList<>();
        compare(inputs, now.inputs, "--", " ", diffs);
        return diffs;
    }

    private static void compare(Map<String, String> held, Map<String, String> now, String prefix, String sep,
                                List<String> diffs) {
        java.util.Set<String> keys = new java.util.LinkedHashSet<>(held.keySet());
        keys.addAll(now.keySet());
        for (String k : keys) {
            if (k.endsWith(CONTENTS) && !held.containsKey(k)) {
                continue;
            }
            String a = held.get(k);
            String b = now.get(k);
            if (a == null || !a.equals(b)) {
                diffs.add(prefix + k + sep + (a == null ? "(not given)" : a) + " (this command: "
                        + (b == null ? "not given" : b) + ")");
            }
        }
    }

    /** {@code section.key -> value} of a config rendered by {@code ConfigLoader.render}. */
    private static Map<String, String> flatten(String rendered) {
        Map<String, String> keys = new LinkedHashMap<>();
        String section = "";
        for (String line : rendered.split("\n")) {
            String s = line.trim();
            if (s.endsWith("{")) {
                section = s.substring(0, s.length() - 1).trim() + ".";
            } else if (s.equals("}")) {
                section = "";
            } else if (s.contains(" = ")) {
                int eq = s.indexOf(" = ");
                keys.put(section + s.substring(0, eq), s.substring(eq + 3));
            }
        }
        return keys;
    }
}
