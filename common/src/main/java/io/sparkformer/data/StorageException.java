package io.sparkformer.data;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The file system failed while reading or writing a run (disk full, HDFS quota or safe mode, a
 * permission lost, an expired token, a datanode unreachable): not the user's input, so not exit
 * code 2. A scheduler may retry the job; the message is one line naming the path and the cause.
 */
public class StorageException extends UncheckedIOException {
    public StorageException(String message, IOException cause) {
        super(message, cause);
    }

    /** The first line of {@code e.toString()}: an HDFS RemoteException's message holds the server's stack trace. */
    public static String firstLine(Throwable e) {
        String text = e.toString();
        int newline = text.indexOf('\n');
        return newline < 0 ? text : text.substring(0, newline).strip();
    }
}
