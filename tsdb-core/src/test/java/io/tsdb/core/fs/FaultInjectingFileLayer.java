package io.tsdb.core.fs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A {@link FileLayer} for tests, in the spirit of Lucene's fault-injecting directories: it passes everything
 * to the real file system, fails chosen calls, and remembers what an fsync made durable so that a test can
 * simulate a power loss.
 *
 * <p><b>Faults.</b> {@link #on(Op, String)} arms a rule for one operation on paths matching a regular
 * expression (searched in the absolute path): it lets {@link Rule#skip} matching calls pass, then fails the
 * next {@link Rule#times} ones (or every one until {@link #clear()}), with an {@link IOException} carrying the
 * operating system's message ("No space left on device" for writes, "Input/output error" otherwise, or
 * {@link Rule#message}). A write rule can first write part of the buffer ({@link Rule#partial}): the call
 * returns that short count, the way write(2) does when the disk fills mid-buffer, and the following write
 * on that channel fails. {@link #shortWrites} makes writes return short counts without any error (callers
 * must loop).
 *
 * <p><b>Power loss.</b> Each file's durable length is what its last successful fsync covered. An fsync that
 * fails marks the bytes written since the previous successful one as lost for good (after a failed
 * writeback Linux marks the pages clean: a later fsync that succeeds does not write them; PostgreSQL's
 * "fsyncgate"). Created files and directories, and renames, are durable once their parent directory was
 * fsynced. {@link #powerLoss()} (call it once the storage under test let go of its files) applies all that to
 * the real files: undoes renames and creations whose directory was not fsynced, cuts each file to its
 * durable length and zeroes its lost ranges. Files this layer did not open (the series registry's
 * memory-mapped Chronicle Map) are left as they are, as after kill -9.
 */
public final class FaultInjectingFileLayer implements FileLayer {
    public enum Op { OPEN, WRITE, FSYNC, TRUNCATE, RENAME, DELETE, MKDIR, FSYNC_DIR }

    /** An armed fault; configure with the fluent setters right after {@link #on}. */
    public final class Rule {
        final Op op;
        final Pattern path;
        int skip;
        int times = 1;
        int partial = -1;
        String message;
        int seen, fired;

        Rule(Op op, Pattern path) {
            this.op = op;
            this.path = path;
        }

        /** Lets the first {@code n} matching calls pass. */
        public Rule skip(int n) { synchronized (FaultInjectingFileLayer.this) { skip = n; } return this; }
        /** Fails this many matching calls (default 1). */
        public Rule times(int n) { synchronized (FaultInjectingFileLayer.this) { times = n; } return this; }
        /** Fails every matching call (after the skipped ones) until {@link #clear()}. */
        public Rule always() { return times(Integer.MAX_VALUE); }
        /** The exception's message. */
        public Rule message(String m) { synchronized (FaultInjectingFileLayer.this) { message = m; } return this; }
        /** WRITE only: write up to this many bytes of the buffer and return that count; the next write fails. */
        public Rule partial(int bytes) { synchronized (FaultInjectingFileLayer.this) { partial = bytes; } return this; }
        /** How many matching calls this rule saw so far (also the skipped ones): a dry run counts with skip(MAX_VALUE). */
        public int seen() { synchronized (FaultInjectingFileLayer.this) { return seen; } }
        /** How many calls this rule failed so far. */
        public int fired() { synchronized (FaultInjectingFileLayer.this) { return fired; } }

        IOException exception(Path p) {
            String m = message != null ? message : op == Op.WRITE ? "No space left on device" : "Input/output error";
            return new IOException(m + " (injected: " + op + " " + p + ")");
        }
    }

    /** What fsyncs made durable of one file. */
    private static final class FileState {
        long durableLength;
        final List<long[]> lost = new ArrayList<>();

        FileState(long durableLength) { this.durableLength = durableLength; }
    }

    private final FileLayer real = FileLayer.SYSTEM;
    private final List<Rule> rules = new ArrayList<>();
    private final Map<Op, Long> calls = new EnumMap<>(Op.class);
    private final Map<Op, Long> injected = new EnumMap<>(Op.class);
    private Pattern shortWritePath;
    private int shortWriteBytes;
    private long shortWritesDone;
    private final Map<Path, FileState> files = new HashMap<>();
    /** Created entries (files, directories) whose parent directory was not fsynced since. */
    private final Set<Path> pendingEntries = new LinkedHashSet<>();
    /** Renames {source, target} whose target directory was not fsynced since. */
    private final List<Path[]> pendingRenames = new ArrayList<>();
    /** The bytes of a file a pending rename replaced (restored if the power loss undoes the rename). */
    private final Map<Path, byte[]> replaced = new HashMap<>();

    /** A pause of one thread's calls (see {@link #pause}). */
    private record Pause(Op op, Pattern path, Thread thread, java.util.concurrent.CountDownLatch reached,
                         java.util.concurrent.CountDownLatch release) {}
    private volatile Pause pause;

    /**
     * Holds {@code thread}'s next calls of {@code op} on a path matching {@code pathRegex} (e.g. a compaction's
     * rename of its new block): each counts {@code reached} down, then waits until {@code release} opens (at
     * most a minute). Other threads' calls go on. Lets a test hold one writer in the middle of its work.
     */
    public void pause(Op op, String pathRegex, Thread thread, java.util.concurrent.CountDownLatch reached,
                      java.util.concurrent.CountDownLatch release) {
        pause = new Pause(op, Pattern.compile(pathRegex), thread, reached, release);
    }

    private void maybePause(Op op, Path p) {
        Pause x = pause;
        if (x == null || x.op != op || x.thread != Thread.currentThread() || !x.path.matcher(key(p).toString()).find()) return;
        x.reached.countDown();
        try {
            if (!x.release.await(60, java.util.concurrent.TimeUnit.SECONDS)) throw new IllegalStateException("paused call never released");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public synchronized Rule on(Op op, String pathRegex) {
        Rule r = new Rule(op, Pattern.compile(pathRegex));
        rules.add(r);
        return r;
    }

    /** Every write to a matching path writes at most {@code maxBytes} bytes per call (no error). */
    public synchronized void shortWrites(String pathRegex, int maxBytes) {
        shortWritePath = Pattern.compile(pathRegex);
        shortWriteBytes = maxBytes;
    }

    /** Removes every rule and the short-write setting: the fault has cleared. */
    public synchronized void clear() {
        rules.clear();
        shortWritePath = null;
    }

    /** Faults injected so far, over all rules. */
    public synchronized long injected() { return injected.values().stream().mapToLong(Long::longValue).sum(); }

    public synchronized long injected(Op op) { return injected.getOrDefault(op, 0L); }

    public synchronized long calls(Op op) { return calls.getOrDefault(op, 0L); }

    public synchronized long shortWritesDone() { return shortWritesDone; }

    private static Path key(Path p) { return p.toAbsolutePath().normalize(); }

    /** The rule failing this call, or null (counts the call). */
    private synchronized Rule match(Op op, Path p) {
        calls.merge(op, 1L, Long::sum);
        String s = key(p).toString();
        for (Rule r : rules) {
            if (r.op != op || r.fired >= r.times || !r.path.matcher(s).find()) continue;
            if (r.seen++ < r.skip) continue;
            r.fired++;
            injected.merge(op, 1L, Long::sum);
            return r;
        }
        return null;
    }

    private void fail(Op op, Path p) throws IOException {
        maybePause(op, p);
        Rule r = match(op, p);
        if (r != null) throw r.exception(p);
    }

    // ---- FileLayer --------------------------------------------------------------------------------------

    @Override public FileChannel open(Path file, OpenOption... options) throws IOException {
        Set<OpenOption> opts = Set.of(options);
        boolean writes = opts.contains(StandardOpenOption.WRITE) || opts.contains(StandardOpenOption.APPEND);
        if (writes) fail(Op.OPEN, file);
        boolean existed = Files.exists(file);
        FileChannel ch = real.open(file, options);
        if (!writes) return ch;
        synchronized (this) {
            Path k = key(file);
            if (!existed) {
                pendingEntries.add(k);
                files.put(k, new FileState(0));
            } else {
                files.computeIfAbsent(k, x -> new FileState(sizeOf(x)));
            }
        }
        return new Channel(ch, key(file));
    }

    private static long sizeOf(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return 0;
        }
    }

    @Override public void rename(Path source, Path target) throws IOException {
        fail(Op.RENAME, source);
        Path t0 = key(target);
        byte[] old = null;
        synchronized (this) {
            if (Files.isRegularFile(t0) && !replaced.containsKey(t0) && Files.size(t0) <= (64 << 20)) old = Files.readAllBytes(t0);
        }
        real.replace(source, target);
        synchronized (this) {
            Path s = key(source), t = key(target);
            if (old != null) replaced.put(t, old);
            rekey(s, t);
            pendingRenames.add(new Path[]{s, t});
        }
    }

    /** Moves the tracking of everything at or under {@code from} to the same place under {@code to}. */
    private void rekey(Path from, Path to) {
        Map<Path, FileState> moved = new HashMap<>();
        files.entrySet().removeIf(e -> {
            if (!e.getKey().startsWith(from)) return false;
            moved.put(to.resolve(from.relativize(e.getKey())), e.getValue());
            return true;
        });
        files.putAll(moved);
        List<Path> entries = new ArrayList<>(pendingEntries);
        pendingEntries.clear();
        for (Path p : entries) pendingEntries.add(p.startsWith(from) ? to.resolve(from.relativize(p)) : p);
    }

    @Override public void delete(Path path) throws IOException {
        fail(Op.DELETE, path);
        real.delete(path);
        synchronized (this) {
            Path k = key(path);
            files.remove(k);
            pendingEntries.remove(k);
        }
    }

    @Override public void createDirectories(Path dir) throws IOException {
        fail(Op.MKDIR, dir);
        List<Path> created = new ArrayList<>();
        for (Path p = key(dir); p != null && !Files.exists(p); p = p.getParent()) created.add(0, p);
        real.createDirectories(dir);
        synchronized (this) { pendingEntries.addAll(created); }
    }

    @Override public void fsyncDirectory(Path dir) throws IOException {
        fail(Op.FSYNC_DIR, dir);
        real.fsyncDirectory(dir);
        synchronized (this) {
            Path d = key(dir);
            pendingEntries.removeIf(p -> d.equals(p.getParent()));
            pendingRenames.removeIf(r -> d.equals(r[1].getParent()));
            replaced.keySet().removeIf(p -> d.equals(p.getParent()));
        }
    }

    // ---- power loss ---------------------------------------------------------------------------------------

    /**
     * Makes the real files look as they could after a power loss: renames and creations not made durable by a
     * directory fsync are undone, each file is cut to what its last successful fsync covered and the ranges a
     * failed fsync lost are zeroed. Returns a description of what was dropped. Afterwards everything on disk
     * counts as durable.
     */
    public synchronized String powerLoss() throws IOException {
        StringBuilder out = new StringBuilder();
        for (int i = pendingRenames.size() - 1; i >= 0; i--) {
            Path s = pendingRenames.get(i)[0], t = pendingRenames.get(i)[1];
            if (Files.exists(t) && !Files.exists(s)) {
                Files.move(t, s, StandardCopyOption.ATOMIC_MOVE);
                rekey(t, s);
                byte[] old = replaced.remove(t);
                if (old != null) {
                    Files.write(t, old);
                    out.append("restored the replaced ").append(t.getFileName()).append('\n');
                }
                out.append("undid rename ").append(s.getFileName()).append(" -> ").append(t.getFileName()).append('\n');
            }
        }
        List<Path> entries = new ArrayList<>(pendingEntries);
        for (int i = entries.size() - 1; i >= 0; i--) {
            Path p = entries.get(i);
            if (!Files.exists(p)) continue;
            deleteTree(p);
            files.keySet().removeIf(k -> k.startsWith(p));
            out.append("dropped ").append(p).append(" (directory entry not fsynced)\n");
        }
        for (Map.Entry<Path, FileState> e : files.entrySet()) {
            Path p = e.getKey();
            FileState st = e.getValue();
            if (!Files.isRegularFile(p)) continue;
            try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
                long size = ch.size();
                if (size > st.durableLength) {
                    ch.truncate(st.durableLength);
                    out.append("cut ").append(p.getFileName()).append(" from ").append(size).append(" to ").append(st.durableLength).append('\n');
                }
                for (long[] r : st.lost) {
                    long from = r[0], to = Math.min(r[1], st.durableLength);
                    if (to <= from) continue;
                    byte[] zeros = new byte[(int) Math.min(1 << 20, to - from)];
                    for (long pos = from; pos < to; ) {
                        int n = (int) Math.min(zeros.length, to - pos);
                        pos += ch.write(ByteBuffer.wrap(zeros, 0, n), pos);
                    }
                    out.append("zeroed ").append(p.getFileName()).append(" [").append(from).append(", ").append(to).append(")\n");
                }
            }
        }
        files.clear();
        pendingEntries.clear();
        pendingRenames.clear();
        replaced.clear();
        return out.toString();
    }

    private static void deleteTree(Path root) throws IOException {
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
                Files.delete(f);
                return FileVisitResult.CONTINUE;
            }

            @Override public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    private synchronized void synced(Path file, long size) {
        FileState st = files.get(file);
        if (st != null) st.durableLength = Math.max(st.durableLength, size);
    }

    private synchronized void syncFailed(Path file, long size) {
        FileState st = files.get(file);
        if (st != null && size > st.durableLength) st.lost.add(new long[]{st.durableLength, size});
    }

    private synchronized void truncated(Path file, long size) {
        FileState st = files.get(file);
        if (st == null) return;
        st.durableLength = Math.min(st.durableLength, size);
        for (long[] r : st.lost) r[1] = Math.min(r[1], size);
    }

    private synchronized int shortLimit(Path file) {
        if (shortWritePath == null || !shortWritePath.matcher(file.toString()).find()) return Integer.MAX_VALUE;
        return shortWriteBytes;
    }

    private synchronized void shortWriteDone() { shortWritesDone++; }

    /** A channel passing everything to the real one, failing calls as the rules say. */
    private final class Channel extends FileChannel {
        private final FileChannel d;
        private final Path path;
        private IOException nextWriteFails;

        Channel(FileChannel d, Path path) {
            this.d = d;
            this.path = path;
        }

        private int doWrite(ByteBuffer src, long position) throws IOException {
            if (nextWriteFails != null) {
                IOException e = nextWriteFails;
                nextWriteFails = null;
                throw e;
            }
            Rule r = match(Op.WRITE, path);
            int limit = shortLimit(path);
            if (r != null) {
                if (r.partial <= 0) throw r.exception(path);
                // write(2) on a filling disk: what fits is written and counted, the next call fails
                int n = writeSome(src, Math.min(r.partial, src.remaining()), position);
                nextWriteFails = r.exception(path);
                return n;
            }
            if (src.remaining() > limit) {
                shortWriteDone();
                return writeSome(src, limit, position);
            }
            try {
                return position < 0 ? d.write(src) : d.write(src, position);
            } catch (IOException e) {
                throw closedWith(e);
            }
        }

        /** Closes this wrapper too when the real channel was closed under it (an interrupted thread closes it). */
        private <T extends IOException> T closedWith(T e) {
            if (!d.isOpen()) {
                try {
                    close();
                } catch (IOException ignored) {
                    // closing a closed channel
                }
            }
            return e;
        }

        private int writeSome(ByteBuffer src, int n, long position) throws IOException {
            ByteBuffer part = src.duplicate();
            part.limit(part.position() + n);
            int w;
            try {
                w = position < 0 ? d.write(part) : d.write(part, position);
            } catch (IOException e) {
                throw closedWith(e);
            }
            src.position(src.position() + w);
            return w;
        }

        @Override public int write(ByteBuffer src) throws IOException { return doWrite(src, -1L); }

        @Override public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
            long total = 0;
            for (int i = offset; i < offset + length; i++) {
                int want = srcs[i].remaining();
                int n = doWrite(srcs[i], -1L);
                total += n;
                if (n < want) break;
            }
            return total;
        }

        @Override public int read(ByteBuffer dst) throws IOException { return d.read(dst); }
        @Override public long read(ByteBuffer[] dsts, int offset, int length) throws IOException { return d.read(dsts, offset, length); }
        @Override public long position() throws IOException { return d.position(); }
        @Override public FileChannel position(long p) throws IOException {
            try {
                d.position(p);
            } catch (IOException e) {
                throw closedWith(e);
            }
            return this;
        }
        @Override public long size() throws IOException { return d.size(); }

        @Override public FileChannel truncate(long size) throws IOException {
            fail(Op.TRUNCATE, path);
            try {
                d.truncate(size);
            } catch (IOException e) {
                throw closedWith(e);
            }
            truncated(path, size);
            return this;
        }

        @Override public void force(boolean metaData) throws IOException {
            long size;
            try {
                size = d.size();
            } catch (IOException e) {
                throw closedWith(e);
            }
            Rule r = match(Op.FSYNC, path);
            if (r != null) {
                syncFailed(path, size);
                throw r.exception(path);
            }
            try {
                d.force(metaData);
            } catch (IOException e) {
                throw closedWith(e);
            }
            synced(path, size);
        }

        @Override public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
            return d.transferTo(position, count, target);
        }

        @Override public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
            throw new UnsupportedOperationException("transferFrom is not fault-injected");
        }

        @Override public int read(ByteBuffer dst, long position) throws IOException { return d.read(dst, position); }
        @Override public int write(ByteBuffer src, long position) throws IOException { return doWrite(src, position); }
        @Override public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException { return d.map(mode, position, size); }
        @Override public FileLock lock(long position, long size, boolean shared) throws IOException { return d.lock(position, size, shared); }
        @Override public FileLock tryLock(long position, long size, boolean shared) throws IOException { return d.tryLock(position, size, shared); }
        @Override protected void implCloseChannel() throws IOException { d.close(); }

        @Override public String toString() { return "FaultInjecting[" + path + "]"; }
    }

    @Override public String toString() {
        synchronized (this) {
            return "FaultInjectingFileLayer[calls=" + calls + ", injected=" + injected + ", rules=" + rules.size() + ", tracked="
                    + Arrays.toString(files.keySet().stream().map(p -> p.getFileName().toString()).toArray()) + "]";
        }
    }
}
