package io.sparkformer.checkpoint;

/**
 * A checkpoint cannot be written, found or trusted. The message is one line naming the path and
 * what is wrong with it, e.g. {@code checkpoint hdfs://nn/run/checkpoints/step-000500 is corrupt:
 * model.zip has SHA-256 ... but MANIFEST.json records ...}.
 */
public class CheckpointException extends RuntimeException {
    public CheckpointException(String message) {
        super(message);
    }

    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }

    /** The first line of {@code e.toString()}: an HDFS RemoteException's message holds the server's stack trace. */
    static String firstLine(Throwable e) {
        String text = e.toString();
        int newline = text.indexOf('\n');
        return newline < 0 ? text : text.substring(0, newline).strip();
    }
}
