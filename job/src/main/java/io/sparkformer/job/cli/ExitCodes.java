package io.sparkformer.job.cli;

import io.sparkformer.checkpoint.CheckpointException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/**
 * Exit codes schedulers understand: 0 success, 2 a problem the user can fix (usage, config, input;
 * one line on stderr naming the culprit), 1 anything else: runtime and storage faults (disk full,
 * quota, safe mode, a permission lost, an expired token), which a scheduler may retry, logged with
 * their stack trace and summed up in one line on stderr.
 */
public final class ExitCodes {
    public static final int OK = 0;
    public static final int FAILURE = 1;
    public static final int BAD_INPUT = 2;
    private static final Logger LOG = LoggerFactory.getLogger(ExitCodes.class);

    private ExitCodes() {
    }

    public static int handle(Exception e, CommandLine cmd, CommandLine.ParseResult parsed) {
        Throwable user = userError(e);
        if (user != null) {
            cmd.getErr().println("sparkformer " + cmd.getCommandName() + ": error: " + oneLine(user.getMessage()));
            return BAD_INPUT;
        }
        LOG.error("{} failed", cmd.getCommandName(), e);
        cmd.getErr().println("sparkformer " + cmd.getCommandName() + ": failed: " + oneLine(String.valueOf(e.getMessage())));
        return FAILURE;
    }

    public static int usage(CommandLine.ParameterException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        cmd.getErr().println("sparkformer " + cmd.getCommandName() + ": " + e.getMessage());
        cmd.getErr().println("Try 'sparkformer " + (cmd.getParent() == null ? "" : cmd.getCommandName() + " ") + "--help'.");
        return BAD_INPUT;
    }

    /**
     * The user-fixable cause, looking through Spark's wrapping of executor-side exceptions. The
     * outermost classified exception decides: an I/O failure wrapping an exception that looks like
     * bad input (a Hadoop client may throw IllegalArgumentException deep inside) is still a storage
     * fault, while bad input that names an I/O cause ({@code output X is not writable}) stays bad input.
     */
    static Throwable userError(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.io.UncheckedIOException || t instanceof java.io.IOException) {
                return null;
            }
            if (t instanceof IllegalArgumentException || t instanceof CheckpointException) {
                return t;
            }
            if (t instanceof org.apache.spark.SparkException && t.getMessage() != null) {
                // Executor failures arrive as text only: recover our one-line input errors from it.
                String msg = t.getMessage();
                for (String marker : new String[] {"io.sparkformer.data.InputException: ",
                        "io.sparkformer.tokenize.UnknownCharacterException: "}) {
                    int i = msg.indexOf(marker);
                    if (i >= 0) {
                        return new IllegalArgumentException(msg.substring(i + marker.length()).split("\n")[0]);
                    }
                }
            }
        }
        return null;
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.split("\n")[0];
    }
}
