package io.sparkformer;

import org.apache.hadoop.fs.Path;

import java.net.URISyntaxException;

/**
 * A Hadoop {@link Path} from a URI the user typed. {@code new Path(s)} throws a plain
 * {@link IllegalArgumentException} for an empty string or one such as {@code run:v2} (a relative path
 * in an absolute URI), which would exit 1 with a stack trace as if it were a bug; here it becomes an
 * {@link InputException} naming the option, so the command line exits 2 with one line. Paths our code
 * builds from already valid ones ({@code new Path(dir, name)}) do not need this.
 */
public final class UserPaths {
    private UserPaths() {
    }

    /**
     * @param what names the option or input in the message ({@code "--out"}, {@code "corpus"})
     * @throws InputException when {@code uri} is not a valid Hadoop path
     */
    public static Path of(String uri, String what) {
        try {
            return new Path(uri);
        } catch (IllegalArgumentException e) {
            throw new InputException(what + " '" + uri + "' is not a valid path: " + reason(e), e);
        }
    }

    /** Hadoop wraps a URISyntaxException whose own message reads better without its class name. */
    private static String reason(IllegalArgumentException e) {
        String message = e.getCause() instanceof URISyntaxException u ? u.getMessage() : e.getMessage();
        return message == null ? e.getClass().getSimpleName() : message.replaceAll("\\s*\\R\\s*", " ");
    }
}
