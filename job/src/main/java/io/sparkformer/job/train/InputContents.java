package io.sparkformer.job.train;

import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;

/**
 * What an input held when a run read it, cheaply: its files' count, total size, newest
 * modification time and a digest of every file's relative path, size and modification time (the
 * quick check of make and rsync; reading the contents would cost a pass over the whole corpus at
 * every start). Recorded in {@code run.json} next to the input's URI, so a rerun or {@code --resume}
 * on a corpus that was rewritten in place is told so instead of replaying other data.
 */
final class InputContents {
    private InputContents() {
    }

    /** The summary of {@code path} (a file or a directory, hidden and {@code _} files skipped); null when absent. */
    static String describe(FileSystem fs, Path path) throws IOException {
        FileStatus top;
        try {
            top = fs.getFileStatus(path);
        } catch (FileNotFoundException e) {
            return null;   // the command reports a missing input itself
        }
        List<FileStatus> files = new ArrayList<>();
        if (top.isFile()) {
            files.add(top);
        } else {
            RemoteIterator<LocatedFileStatus> it = fs.listFiles(path, true);
            while (it.hasNext()) {
                LocatedFileStatus f = it.next();
                if (!hidden(top.getPath(), f.getPath())) {
                    files.add(f);
                }
            }
        }
        files.sort(Comparator.comparing(f -> f.getPath().toString()));
        MessageDigest digest = sha256();
        long bytes = 0;
        long newest = 0;
        String base = top.getPath().toString();
        for (FileStatus f : files) {
            String relative = f.getPath().toString().substring(Math.min(base.length(), f.getPath().toString().length()));
            digest.update((relative + "\t" + f.getLen() + "\t" + f.getModificationTime() + "\n")
                    .getBytes(StandardCharsets.UTF_8));
            bytes += f.getLen();
            newest = Math.max(newest, f.getModificationTime());
        }
        return files.size() + (files.size() == 1 ? " file, " : " files, ") + bytes + " bytes, newest "
                + Instant.ofEpochMilli(newest) + ", digest " + HexFormat.of().formatHex(digest.digest(), 0, 4);
    }

    /** A name under {@code top} starting with '.' or '_' (checksums, _SUCCESS, temporary files). */
    private static boolean hidden(Path top, Path file) {
        for (Path p = file; p != null && !p.equals(top); p = p.getParent()) {
            if (p.getName().startsWith(".") || p.getName().startsWith("_")) {
                return true;
            }
        }
        return false;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
