package io.sparkformer.checkpoint;

import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.FilterFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.util.Progressable;

import java.io.IOException;
import java.io.OutputStream;

/**
 * A file system that dies like a killed process: at its Nth mutating operation (create, mkdirs,
 * rename, delete) or after N bytes written to a named file it throws, and from then on refuses every
 * mutation, so nothing gets cleaned up behind the failure.
 */
final class CrashingFileSystem extends FilterFileSystem {
    static final String CRASH = "simulated crash";

    private final long crashAtOperation;
    private final String crashInFile;
    private final long crashAfterBytes;
    private int operations;
    private boolean crashed;

    private CrashingFileSystem(FileSystem fs, long crashAtOperation, String crashInFile, long crashAfterBytes) {
        super(fs);
        this.crashAtOperation = crashAtOperation;
        this.crashInFile = crashInFile;
        this.crashAfterBytes = crashAfterBytes;
    }

    /** Crashes instead of performing the {@code n}th mutating operation (1-based). */
    static CrashingFileSystem atOperation(FileSystem fs, long n) {
        return new CrashingFileSystem(fs, n, null, -1);
    }

    /** Crashes once {@code bytes} bytes have been written to a file named {@code fileName}. */
    static CrashingFileSystem afterBytes(FileSystem fs, String fileName, long bytes) {
        return new CrashingFileSystem(fs, Long.MAX_VALUE, fileName, bytes);
    }

    /** Mutating operations attempted so far. */
    int operations() {
        return operations;
    }

    boolean crashed() {
        return crashed;
    }

    private void mutation(String what) throws IOException {
        if (crashed) {
            throw new IOException(CRASH + ": the process is dead (" + what + ")");
        }
        if (++operations == crashAtOperation) {
            crashed = true;
            throw new IOException(CRASH + " at operation " + operations + " (" + what + ")");
        }
    }

    @Override
    public FSDataOutputStream create(Path f, FsPermission permission, boolean overwrite, int bufferSize,
                                     short replication, long blockSize, Progressable progress) throws IOException {
        mutation("create " + f.getName());
        FSDataOutputStream out = super.create(f, permission, overwrite, bufferSize, replication, blockSize, progress);
        return f.getName().equals(crashInFile) ? new FSDataOutputStream(new Dying(out), null) : out;
    }

    @Override
    public boolean mkdirs(Path f, FsPermission permission) throws IOException {
        mutation("mkdirs " + f.getName());
        return super.mkdirs(f, permission);
    }

    @Override
    public boolean mkdirs(Path f) throws IOException {
        mutation("mkdirs " + f.getName());
        return super.mkdirs(f);
    }

    @Override
    public boolean rename(Path src, Path dst) throws IOException {
        mutation("rename " + src.getName() + " to " + dst.getName());
        return super.rename(src, dst);
    }

    @Override
    public boolean delete(Path f, boolean recursive) throws IOException {
        mutation("delete " + f.getName());
        return super.delete(f, recursive);
    }

    /** Passes {@code crashAfterBytes} bytes through, then crashes; what was written stays written. */
    private final class Dying extends OutputStream {
        private final OutputStream out;
        private long written;

        Dying(OutputStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (crashed) {
                throw new IOException(CRASH + ": the process is dead");
            }
            long room = crashAfterBytes - written;
            if (len > room) {
                out.write(b, off, (int) room);
                out.flush();
                written += room;
                crashed = true;
                throw new IOException(CRASH + " after " + written + " bytes of " + crashInFile);
            }
            out.write(b, off, len);
            written += len;
        }

        @Override
        public void flush() throws IOException {
            out.flush();
        }

        @Override
        public void close() throws IOException {
            out.close();   // releases the file (an HDFS lease); the partial content stays
        }
    }
}
