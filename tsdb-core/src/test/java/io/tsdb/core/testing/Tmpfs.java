package io.tsdb.core.testing;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A small tmpfs mounted by a test, to fill a real file system (ENOSPC from the kernel, not an injected one). Needs
 * root (CI runs as root): elsewhere {@link #mount} skips the test with a notice on stdout and stderr. Always
 * {@link #close()} it in a finally block (or try-with-resources): it unmounts.
 */
public final class Tmpfs implements AutoCloseable {
    public final Path dir;

    private Tmpfs(Path dir) { this.dir = dir; }

    /** Mounts a tmpfs of {@code size} (e.g. "16m") at {@code dir}, or skips the calling test. */
    public static Tmpfs mount(Path dir, String size, String testName) throws Exception {
        String user = System.getProperty("user.name");
        if (!"root".equals(user)) skip(testName + " SKIPPED: mounting a tmpfs to fill a real disk needs root (running as " + user + ")");
        Files.createDirectories(dir);
        Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", dir.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) skip(testName + " SKIPPED: cannot mount a tmpfs at " + dir + ": " + out.strip());
        return new Tmpfs(dir);
    }

    private static void skip(String msg) {
        System.out.println(msg);
        System.err.println(msg);
        Assumptions.assumeTrue(false, msg);
    }

    /** Remounts read-only (or read-write again). */
    public void remount(boolean readOnly) throws Exception {
        Process p = new ProcessBuilder("mount", "-o", "remount," + (readOnly ? "ro" : "rw"), dir.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) throw new IOException("remount " + dir + ": " + out);
    }

    /** Writes zeros to a new file {@code name} until the file system is full; returns the bytes written. */
    public long fill(String name) throws IOException {
        long n = 0;
        ByteBuffer buf = ByteBuffer.allocateDirect(64 * 1024);
        try (FileChannel ch = FileChannel.open(dir.resolve(name), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            for (int size : new int[]{64 * 1024, 4096, 512, 1}) {
                while (true) {
                    buf.clear().limit(size);
                    try {
                        if (ch.write(buf) == 0) break;
                        n += size;
                    } catch (IOException e) {
                        if (!String.valueOf(e.getMessage()).contains("No space left on device")) throw e;
                        break;
                    }
                }
            }
        }
        return n;
    }

    /** Fills the file system but for about {@code slack} bytes (a file of that size is written first and deleted). */
    public void fillLeaving(long slack) throws IOException {
        Path s = dir.resolve("slack");
        try (FileChannel ch = FileChannel.open(s, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer buf = ByteBuffer.allocate((int) Math.min(slack, 1 << 20));
            for (long w = 0; w < slack; ) {
                buf.clear().limit((int) Math.min(buf.capacity(), slack - w));
                w += ch.write(buf);
            }
        }
        fill("filler");
        Files.delete(s);
    }

    public long usableBytes() throws IOException { return Files.getFileStore(dir).getUsableSpace(); }

    @Override public void close() throws Exception {
        for (String[] cmd : List.of(new String[]{"umount", dir.toString()}, new String[]{"umount", "-l", dir.toString()})) {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            if (p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0) return;
        }
        System.err.println("could not unmount " + dir);
    }
}
