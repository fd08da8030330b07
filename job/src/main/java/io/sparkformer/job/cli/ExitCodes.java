package io.sparkformer.job.cli;

import io.sparkformer.InputException;
import io.sparkformer.checkpoint.CheckpointException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Exit codes schedulers understand: 0 success, 2 a problem the user can fix (usage, config, input;
 * one line on stderr naming the culprit), 1 anything else: runtime and storage faults (disk full,
 * quota, safe mode, a permission lost, an expired token), which a scheduler may retry, and bugs,
 * logged with their stack trace and summed up in one line on stderr.
 */
public final class ExitCodes {
    public static final int OK = 0;
    public static final int FAILURE = 1;
    public static final int BAD_INPUT = 2;
    private static final Logger LOG = LoggerFactory.getLogger(ExitCodes.class);
    /** An exception header ({@code pkg.Name: message}) as a stack trace in Spark's failure text prints it. */
    private static final Pattern REMOTE_EXCEPTION =
            Pattern.compile("\\b((?:[a-z_][\\w$]*\\.)+[A-Z][\\w$]*(?:Exception|Error)): ([^\\n]*)");

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
     * The user-fixable cause, looking through Spark's wrapping of executor-side exceptions: an
     * {@link InputException} (config, options, paths, corpus, files to import) or a
     * {@link CheckpointException} (a checkpoint that cannot be found or trusted). A plain
     * {@link IllegalArgumentException} or {@link IllegalStateException} is not one: ND4J and our own
     * invariant checks throw those for bugs (a shape mismatch), which need the stack trace. The
     * outermost classified exception decides: an I/O failure wrapping bad input is still a storage
     * fault, while bad input that names an I/O cause ({@code output X is not writable}) stays bad input.
     */
    static Throwable userError(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.io.UncheckedIOException || t instanceof java.io.IOException) {
                return null;
            }
            if (t instanceof InputException || t instanceof CheckpointException) {
                return t;
            }
            if (t instanceof org.apache.spark.SparkException && t.getMessage() != null) {
                InputException remote = executorInputError(t.getMessage());
                if (remote != null) {
                    return remote;
                }
            }
        }
        return null;
    }

    /**
     * Executor failures may arrive as text only ({@code ... (executor 1): io.sparkformer.InputException:
     * corpus file ... is binary}): our one-line input error recovered from it, recognised by a class
     * name that is an {@link InputException} (or a subclass such as UnknownCharacterException).
     */
    static InputException executorInputError(String text) {
        // Headers in order, outermost first (the cause chain as text): as in userError, the first
        // classified one decides, so an I/O failure that wraps bad input stays a storage fault.
        Matcher m = REMOTE_EXCEPTION.matcher(text);
        while (m.find()) {
            String name = m.group(1);
            if (name.startsWith("java.io.") || name.equals(io.sparkformer.data.StorageException.class.getName())) {
                return null;
            }
            if (name.startsWith("io.sparkformer.") && isInputException(name)) {
                return new InputException(m.group(2));
            }
        }
        return null;
    }

    private static boolean isInputException(String className) {
        try {
            Class<?> type = Class.forName(className, false, ExitCodes.class.getClassLoader());
            return InputException.class.isAssignableFrom(type);
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.split("\n")[0];
    }
}
