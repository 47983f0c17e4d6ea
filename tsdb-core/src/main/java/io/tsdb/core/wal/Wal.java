package io.tsdb.core.wal;

import io.tsdb.core.fs.FileLayer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * Write-ahead log: numbered segment files of CRC32C-checked records (docs/format/wal.md). Writers call
 * {@link #write} (ordered by a lock, one write system call per record unless the OS writes short) and then
 * {@link #sync} with the returned position; with {@link FsyncPolicy#ALWAYS} concurrent committers share fsyncs
 * (group commit: whoever syncs covers everything written before it). A new segment is started at open and when
 * the current one is full.
 *
 * <p><b>Storage faults</b> (docs/format/wal.md "Write and fsync errors"):
 * <ul>
 *   <li>A failed write (ENOSPC, EIO, a short write followed by an error) is undone before anything else is
 *       appended: the segment is truncated back to the end of its last whole record and the channel positioned
 *       there. The write's caller gets the error; nothing of its record remains.</li>
 *   <li>A failed fsync is never retried as if nothing happened: the pages it covered may be lost while the next
 *       fsync reports success. The segment is sealed as suspect and a new one started. Under {@code ALWAYS} every
 *       record not covered by an earlier successful fsync was not yet acknowledged: those records are declared
 *       lost (their writers' {@link #sync} fails), cut from the sealed segment, and the series definitions among
 *       them ({@link #writeDefinition}) are written again into the new segment. Under {@code PERIODIC} and
 *       {@code NEVER} those records were acknowledged already: they stay, and {@link #headPersistRequested()}
 *       asks the owner to persist its in-memory state elsewhere (a block).</li>
 *   <li>When the failed write cannot be undone, or the new segment cannot be created, the WAL refuses writes
 *       ({@link #refusal()}) and retries in the background with exponential backoff until it can.</li>
 * </ul>
 *
 * <p>Invariants: {@code written} (logical bytes of whole records since open) only grows; the current segment holds
 * its header plus exactly the records of logical range [{@code segmentStart}, {@code written}); {@code synced} only
 * grows and never exceeds {@code written}; a position in a lost range is never reported durable. Lock order:
 * {@code syncLock} before {@code writeLock}; nothing is called out of the WAL while either is held.
 */
public final class Wal implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(Wal.class);
    static final long RETRY_MIN_MS = 100, RETRY_MAX_MS = 10_000;
    private static final int MAX_LOST_RANGES = 1024;
    private static final long RESTORE_LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final long[] NONE = new long[0];

    private final FileLayer fs;
    private final Path dir;
    private final FsyncPolicy policy;
    private final long segmentBytes;
    private final Object writeLock = new Object();
    private final Object syncLock = new Object();
    // guarded by writeLock
    private FileChannel channel;        // null while refusing writes
    private long segmentIndex;          // current segment (while refusing: the last one, sealed)
    private long segmentSize;           // header + whole records of the current segment
    private long segmentSalt;
    private long segmentStart;          // logical position of the current segment's first record
    private long written;               // logical bytes of whole records written since open
    private final ArrayDeque<Definition> definitions = new ArrayDeque<>();   // not yet durable (ALWAYS only)
    private long retryAtNanos;
    private long lastRestoreLogNanos, restoresLogged;
    private long retryDelayMs = RETRY_MIN_MS;
    private boolean retryScheduled;
    // shared
    private final AtomicLong synced = new AtomicLong();   // logical position known durable
    private volatile long[] lost = NONE;                  // pairs: (from, to] logical ranges declared lost, ascending
    private volatile String refusal;                      // why writes are refused, or null
    private volatile String lossReason;                   // the error behind the last lost range
    private final AtomicLong persistRequests = new AtomicLong();
    private volatile long persistedUpTo;
    /** Segments in which records were declared lost (ALWAYS), rare: a flush must not rely on a checkpoint there. */
    private final java.util.Set<Long> lossSegments = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private volatile boolean closed;
    private final AtomicLong fsyncs = new AtomicLong();
    private final AtomicLong bytesWritten = new AtomicLong();
    private final AtomicLong diskBytes = new AtomicLong();
    private final AtomicLong writeErrors = new AtomicLong();
    private final AtomicLong fsyncErrors = new AtomicLong();
    private final AtomicLong restoredWrites = new AtomicLong();
    private final AtomicLong sealedSegments = new AtomicLong();
    private final AtomicLong lostBytes = new AtomicLong();
    private final ScheduledExecutorService scheduler;
    private WalReplayResult replay;

    /** A series definition written since the last successful fsync, kept to be written again if it is lost. */
    private record Definition(long end, byte[] bytes) {}

    private Wal(FileLayer fs, Path dir, FsyncPolicy policy, long segmentBytes, long syncIntervalMs) {
        this.fs = fs;
        this.dir = dir;
        this.policy = policy;
        this.segmentBytes = segmentBytes;
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "wal-fsync");
            t.setDaemon(true);
            return t;
        });
        if (policy == FsyncPolicy.PERIODIC)
            scheduler.scheduleWithFixedDelay(this::periodicSync, syncIntervalMs, syncIntervalMs, TimeUnit.MILLISECONDS);
    }

    /** As {@link #open(FileLayer, Path, FsyncPolicy, long, long, WalReplayHandler)} on the real file system. */
    public static Wal open(Path dir, FsyncPolicy policy, long segmentBytes, long syncIntervalMs, WalReplayHandler handler) throws IOException {
        return open(FileLayer.SYSTEM, dir, policy, segmentBytes, syncIntervalMs, handler);
    }

    /** Replays every segment in {@code dir} into {@code handler}, repairs damage, and opens a new segment for writing. */
    public static Wal open(FileLayer fs, Path dir, FsyncPolicy policy, long segmentBytes, long syncIntervalMs,
                           WalReplayHandler handler) throws IOException {
        fs.createDirectoriesDurably(dir);
        Wal wal = new Wal(fs, dir, policy, segmentBytes, syncIntervalMs);
        try {
            List<Path> paths = new ArrayList<>();
            long last = 0;
            for (long idx : wal.segments()) {
                paths.add(wal.segmentPath(idx));
                last = Math.max(last, idx);
            }
            wal.replay = new WalReader(fs, handler, wal.diskBytes).replay(paths);
            synchronized (wal.writeLock) {
                wal.install(wal.createSegment(wal.freeIndex(last + 1)));
            }
        } catch (IOException | RuntimeException e) {
            wal.closeQuietly();
            throw e;
        }
        return wal;
    }

    public WalReplayResult replayResult() { return replay; }

    /** Indices of the segment files present, ascending. */
    public List<Long> segments() throws IOException {
        List<Long> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            s.forEach(p -> {
                long idx = WalFormat.parseSegmentName(p.getFileName().toString());
                if (idx >= 0) out.add(idx);
            });
        }
        out.sort(null);
        return out;
    }

    private Path segmentPath(long idx) { return dir.resolve(WalFormat.segmentName(idx)); }

    /** The first index from {@code idx} on without a file (a failed attempt may have left one behind). */
    private long freeIndex(long idx) {
        while (Files.exists(segmentPath(idx))) idx++;
        return idx;
    }

    /** A new segment's file, header written and (unless NEVER) durable with its directory entry. */
    private record Segment(long index, FileChannel channel, long salt) {}

    private Segment createSegment(long idx) throws IOException {
        Path p = segmentPath(idx);
        FileChannel ch = fs.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        try {
            long salt = WalFormat.newSalt();
            FileLayer.writeFully(ch, WalFormat.segmentHeader(salt));
            if (policy != FsyncPolicy.NEVER) {
                ch.force(true);
                fs.fsyncDirectory(dir);
            }
            return new Segment(idx, ch, salt);
        } catch (IOException | RuntimeException e) {
            discard(ch, p, e);
            throw e;
        }
    }

    /** Closes and deletes a segment that never went into use. */
    private void discard(FileChannel ch, Path p, Exception cause) {
        try {
            ch.close();
        } catch (IOException e) {
            cause.addSuppressed(e);
        }
        try {
            fs.deleteIfExists(p);
        } catch (IOException e) {
            cause.addSuppressed(e);   // left behind: replayed as an empty or torn segment, and freeIndex skips it
        }
    }

    /** Makes {@code s} the current segment; holds writeLock. */
    private void install(Segment s) {
        channel = s.channel();
        segmentIndex = s.index();
        segmentSalt = s.salt();
        segmentSize = WalFormat.SEGMENT_HEADER_BYTES;
        segmentStart = written;
        diskBytes.addAndGet(WalFormat.SEGMENT_HEADER_BYTES);
    }

    /** Appends one sealed record (see {@link WalFormat#seal}); returns the logical end position for {@link #sync}. */
    public long write(ByteBuffer record) throws IOException {
        return append(record, false);
    }

    /**
     * Appends a record that later records depend on (a series definition). Should it be lost to a failed fsync
     * before it is durable, the WAL writes it again into the segment it continues in.
     */
    public long writeDefinition(ByteBuffer record) throws IOException {
        return append(record, true);
    }

    private long append(ByteBuffer record, boolean definition) throws IOException {
        synchronized (writeLock) {
            if (closed) throw new IOException("WAL is closed");
            if (channel == null) recoverLocked(true);
            int start = record.position();
            int len = record.remaining();
            if (segmentSize + len > segmentBytes && segmentSize > WalFormat.SEGMENT_HEADER_BYTES) {
                try {
                    rotateLocked();
                } catch (IOException e) {
                    writeErrors.incrementAndGet();
                    throw e;
                }
            }
            record.putLong(start + WalFormat.RECORD_SALT_OFFSET, segmentSalt);   // records are little-endian (WalFormat.seal)
            long before = segmentSize;
            try {
                while (record.hasRemaining()) channel.write(record);
            } catch (IOException e) {
                writeErrors.incrementAndGet();
                restoreLocked(before, e);
                throw e;
            }
            segmentSize += len;
            written += len;
            bytesWritten.addAndGet(len);
            diskBytes.addAndGet(len);
            if (definition && policy == FsyncPolicy.ALWAYS) {
                long durable = synced.get();
                while (!definitions.isEmpty() && definitions.peekFirst().end() <= durable) definitions.pollFirst();
                byte[] copy = new byte[len];
                record.get(start, copy);
                definitions.addLast(new Definition(written, copy));
            }
            return written;
        }
    }

    /**
     * After a failed write: truncates the segment back to {@code size} (the end of its last whole record) and
     * positions the channel there, reopening it if it was closed (an interrupted thread closes a FileChannel).
     * When that is impossible the segment is sealed as suspect. Holds writeLock.
     */
    private void restoreLocked(long size, IOException cause) {
        Path p = segmentPath(segmentIndex);
        boolean interrupted = Thread.interrupted();   // an interrupted thread cannot use a FileChannel: repair first
        try {
            try {
                channel.truncate(size);
            } catch (ClosedChannelException closedUnderUs) {   // closed by an interrupt: the file itself is fine
                try {
                    channel.close();
                } catch (IOException ignored) {
                    // already closed
                }
                channel = fs.open(p, StandardOpenOption.WRITE);
                channel.truncate(size);
            }
            channel.position(size);
            long now = channel.size();
            if (now != size) throw new IOException("segment is " + now + " bytes after truncating it to " + size);
            long n = restoredWrites.incrementAndGet();
            long t = System.nanoTime();
            if (t - lastRestoreLogNanos >= RESTORE_LOG_INTERVAL_NANOS || lastRestoreLogNanos == 0) {   // a full disk fails every write
                log.warn("WAL write to segment {} failed ({}); truncated it back to the end of its last whole record at offset {}"
                        + " ({} failed writes undone since the last such message)", p, cause.getMessage(), size, n - restoresLogged);
                lastRestoreLogNanos = t;
                restoresLogged = n;
            }
        } catch (IOException | RuntimeException e) {
            cause.addSuppressed(e);
            segmentFailedLocked("a failed write could not be undone (" + cause.getMessage() + "; truncating back to offset "
                    + size + " failed: " + e + ")", cause);
        } finally {
            if (interrupted) Thread.currentThread().interrupt();
        }
    }

    /**
     * The current segment cannot be trusted any more (a failed fsync, or a failed write that could not be undone):
     * declares what it holds beyond the last successful fsync lost (ALWAYS) or asks for the head to be persisted
     * (PERIODIC, NEVER), seals it and continues in a new segment, or refuses writes until one can be created.
     * Holds writeLock.
     */
    private void segmentFailedLocked(String what, IOException cause) {
        boolean interrupted = Thread.interrupted();
        try {
            sealLocked(what, cause);
        } finally {
            if (interrupted) Thread.currentThread().interrupt();
        }
    }

    private void sealLocked(String what, IOException cause) {
        Path p = segmentPath(segmentIndex);
        long durable = Math.max(synced.get(), segmentStart);
        long suspect = written - durable;
        String fate;
        if (suspect > 0 && policy == FsyncPolicy.ALWAYS) {
            lossReason = cause.getMessage();
            lossSegments.add(segmentIndex);
            addLost(durable, written);
            lostBytes.addAndGet(suspect);
            fate = suspect + " bytes written since the last successful fsync were not acknowledged yet: they are dropped and"
                    + " their writes fail";
            try {   // cut them from the sealed segment too, so that a restart does not replay them (best effort)
                if (channel.isOpen()) {
                    channel.truncate(WalFormat.SEGMENT_HEADER_BYTES + durable - segmentStart);
                    diskBytes.addAndGet(-(segmentSize - (WalFormat.SEGMENT_HEADER_BYTES + durable - segmentStart)));
                }
            } catch (IOException | RuntimeException e) {
                cause.addSuppressed(e);
            }
        } else if (suspect > 0) {
            persistRequests.incrementAndGet();
            fate = suspect + " bytes of acknowledged records written since the last successful fsync stay in it, not known to be"
                    + " on disk: the head is to be persisted to a block";
        } else {
            fate = "everything in it was fsynced before";
        }
        log.error("WAL segment {} is sealed as suspect: {}; {}. Continuing in a new segment", p, what, fate, cause);
        try {
            channel.close();
        } catch (IOException e) {
            cause.addSuppressed(e);
        }
        channel = null;
        sealedSegments.incrementAndGet();
        refusal = "WAL segment " + p.getFileName() + " was sealed after a storage error (" + cause.getMessage()
                + ") and no new segment could be started yet";
        retryAtNanos = 0;
        try {
            recoverLocked(false);
        } catch (IOException e) {
            // refusing; the background retry continues
        }
    }

    private void addLost(long from, long to) {
        long[] l = lost;
        int keep = Math.min(l.length, 2 * (MAX_LOST_RANGES - 1));
        long[] n = new long[keep + 2];
        System.arraycopy(l, l.length - keep, n, 0, keep);
        n[keep] = from;
        n[keep + 1] = to;
        lost = n;
    }

    /** Throws when the record ending at {@code pos} was declared lost. */
    private void checkNotLost(long pos) throws IOException {
        long[] l = lost;
        for (int i = 0; i < l.length; i += 2) {
            if (pos > l[i] && pos <= l[i + 1])
                throw new IOException("WAL segment failed (" + lossReason + ") before this write was known to be on disk; the write was dropped");
        }
    }

    /**
     * Starts a new segment after the previous one was sealed, writing again the series definitions that were lost
     * with it; on failure refuses writes and schedules a retry with backoff. With {@code rateLimited} (a writer
     * asking) an attempt is made only once the backoff has passed. Holds writeLock.
     */
    private void recoverLocked(boolean rateLimited) throws IOException {
        if (channel != null) return;
        if (closed) throw new IOException("WAL is closed");
        if (rateLimited && System.nanoTime() < retryAtNanos) throw refusalException();
        Segment s = null;
        long added = 0;
        int rewritten = 0;
        try {
            s = createSegment(freeIndex(segmentIndex + 1));
            long durable = synced.get();
            for (Definition d : definitions) {
                if (d.end() <= durable) continue;
                ByteBuffer b = ByteBuffer.wrap(d.bytes()).order(ByteOrder.LITTLE_ENDIAN);
                b.putLong(WalFormat.RECORD_SALT_OFFSET, s.salt());
                FileLayer.writeFully(s.channel(), b);
                added += d.bytes().length;
                rewritten++;
            }
            if (added > 0) s.channel().force(false);
        } catch (IOException | RuntimeException e) {
            if (s != null) discard(s.channel(), segmentPath(s.index()), e);
            refusal = "WAL refuses writes: no new segment can be started after a storage error (" + e.getMessage() + ")";
            retryAtNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(retryDelayMs);
            if (retryDelayMs == RETRY_MIN_MS) log.error("{}; retrying in {} ms", refusal, retryDelayMs, e);
            else log.warn("{}; retrying in {} ms", refusal, retryDelayMs);
            scheduleRetryLocked();
            retryDelayMs = Math.min(RETRY_MAX_MS, retryDelayMs * 2);
            throw refusalException();
        }
        install(s);
        segmentSize += added;
        written += added;
        bytesWritten.addAndGet(added);
        diskBytes.addAndGet(added);
        definitions.clear();
        advanceSynced(written);
        refusal = null;
        retryDelayMs = RETRY_MIN_MS;
        log.warn("WAL continues in new segment {} ({} series definition records written again); writes are accepted",
                segmentPath(s.index()), rewritten);
    }

    private IOException refusalException() {
        String r = refusal;
        return new IOException(r != null ? r : "WAL refuses writes");
    }

    private void scheduleRetryLocked() {
        if (retryScheduled || closed) return;
        retryScheduled = true;
        try {
            scheduler.schedule(this::retry, retryDelayMs, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            retryScheduled = false;
        }
    }

    private void retry() {
        synchronized (writeLock) {
            retryScheduled = false;
            if (closed || channel != null) return;
            try {
                recoverLocked(false);
            } catch (IOException e) {
                // logged and rescheduled by recoverLocked
            }
        }
    }

    private void advanceSynced(long pos) {
        synced.accumulateAndGet(pos, Math::max);
    }

    /** Closes the current segment (forcing it unless policy NEVER) and starts the next; holds writeLock. */
    private void rotateLocked() throws IOException {
        Segment next = createSegment(freeIndex(segmentIndex + 1));   // on failure nothing has changed
        if (policy != FsyncPolicy.NEVER) {
            try {
                channel.force(false);
                fsyncs.incrementAndGet();
            } catch (IOException e) {
                fsyncErrors.incrementAndGet();
                discard(next.channel(), segmentPath(next.index()), e);
                segmentFailedLocked("fsync before closing it failed (" + e.getMessage() + ")", e);
                if (channel == null) throw refusalException();
                return;
            }
        }
        try {
            channel.close();
        } catch (IOException e) {
            log.warn("closing WAL segment {}: {}", segmentPath(segmentIndex), e.toString());
        }
        advanceSynced(written);
        install(next);
    }

    /** Returns once everything up to {@code pos} is durable per the policy (a no-op unless ALWAYS). */
    public void sync(long pos) throws IOException {
        if (policy == FsyncPolicy.ALWAYS) force(pos);
    }

    /** Forces everything written so far to disk regardless of the policy. */
    public void syncAll() throws IOException {
        long pos;
        synchronized (writeLock) { pos = written; }
        force(pos);
    }

    private void force(long pos) throws IOException {
        checkNotLost(pos);
        if (synced.get() >= pos) return;
        synchronized (syncLock) {
            while (true) {
                checkNotLost(pos);
                if (synced.get() >= pos) return;
                FileChannel ch;
                long target;
                synchronized (writeLock) {
                    if (closed) throw new IOException("WAL is closed");
                    if (channel == null) {
                        checkNotLost(pos);
                        if (synced.get() >= pos) return;
                        throw refusalException();
                    }
                    ch = channel;
                    target = written;
                }
                try {
                    ch.force(false);
                    fsyncs.incrementAndGet();
                    advanceSynced(target);
                } catch (ClosedByInterruptException e) {
                    // this thread was interrupted, which closed the channel: reopen it for everyone else
                    synchronized (writeLock) { reopenLocked(ch, e); }
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while waiting for the WAL fsync");
                } catch (ClosedChannelException e) {
                    // rotated or sealed meanwhile (then forced or declared lost), or closed by another thread's
                    // interrupt (then reopened here): look again
                    synchronized (writeLock) {
                        reopenLocked(ch, e);
                        if (channel == ch) segmentFailedLocked("its channel is closed (" + e + ")", e);
                    }
                    continue;
                } catch (IOException e) {
                    fsyncErrors.incrementAndGet();
                    synchronized (writeLock) {
                        if (channel == ch) segmentFailedLocked("fsync failed (" + e.getMessage() + ")", e);
                    }
                    checkNotLost(pos);
                    throw e;
                }
                checkNotLost(pos);   // a concurrent seal may have dropped what this fsync covered
                return;
            }
        }
    }

    /** Reopens the current segment when its channel {@code ch} was closed under us (interrupt); holds writeLock. */
    private void reopenLocked(FileChannel ch, IOException cause) {
        if (channel != ch || closed) return;
        boolean interrupted = Thread.interrupted();
        try {
            try {
                ch.close();
            } catch (IOException ignored) {
                // already closed
            }
            FileChannel n = fs.open(segmentPath(segmentIndex), StandardOpenOption.WRITE);
            n.truncate(segmentSize);
            n.position(segmentSize);
            channel = n;
            log.warn("WAL segment {} was closed by an interrupted thread; reopened at offset {}", segmentPath(segmentIndex), segmentSize);
        } catch (IOException | RuntimeException e) {
            cause.addSuppressed(e);
            segmentFailedLocked("its channel was closed and could not be reopened (" + e + ")", cause);
        } finally {
            if (interrupted) Thread.currentThread().interrupt();
        }
    }

    private void periodicSync() {
        try {
            if (!closed) syncAll();
        } catch (IOException e) {
            if (!closed) log.error("periodic WAL fsync failed: {}", e.getMessage());
        }
    }

    /** Starts a new segment (forcing the current one) and returns its index. */
    public long cut() throws IOException {
        synchronized (writeLock) {
            if (closed) throw new IOException("WAL is closed");
            if (channel == null) {
                recoverLocked(false);
                return segmentIndex;
            }
            rotateLocked();
            return segmentIndex;
        }
    }

    /**
     * Deletes every segment with an index below {@code idx}. The caller guarantees that their contents are
     * persisted elsewhere (the head was written to a block). A segment that cannot be deleted is logged and left
     * for the next call.
     */
    public void deleteBefore(long idx) throws IOException {
        synchronized (writeLock) {
            boolean any = false;
            for (long i : segments()) {
                if (i < idx && i != segmentIndex) {
                    Path p = segmentPath(i);
                    long sz = Files.size(p);
                    try {
                        fs.delete(p);
                        diskBytes.addAndGet(-sz);
                        any = true;
                    } catch (IOException e) {
                        log.warn("cannot delete WAL segment {} (its data is in a block; retried at the next flush): {}", p, e.toString());
                    }
                }
            }
            if (any && policy != FsyncPolicy.NEVER) fs.fsyncDirectory(dir);
        }
    }

    /** Starts a new segment and deletes all earlier ones. */
    public void truncateAll() throws IOException {
        deleteBefore(cut());
    }

    public FsyncPolicy policy() { return policy; }
    public long fsyncs() { return fsyncs.get(); }
    public long bytesWritten() { return bytesWritten.get(); }
    /** Bytes of WAL segment files on disk. */
    public long diskBytes() { return diskBytes.get(); }
    public long currentSegment() { synchronized (writeLock) { return segmentIndex; } }
    /** Why writes are refused right now (no usable segment after a storage error), or null when they are accepted. */
    public String refusal() { return refusal; }
    /** Record writes that failed (each was undone or its segment sealed). */
    public long writeErrors() { return writeErrors.get(); }
    /** fsyncs that failed (each sealed its segment). */
    public long fsyncErrors() { return fsyncErrors.get(); }
    /** Failed writes undone by truncating the segment back to its last whole record. */
    public long restoredWrites() { return restoredWrites.get(); }
    /** Segments sealed as suspect after a storage error. */
    public long sealedSegments() { return sealedSegments.get(); }
    /** Bytes of not yet acknowledged records dropped with suspect segments (ALWAYS). */
    public long lostBytes() { return lostBytes.get(); }
    /**
     * Whether a failed fsync left acknowledged records (PERIODIC, NEVER) in a sealed segment that is not known to be
     * on disk: the owner should persist its state (write the head to a block), then call {@link #persisted} with
     * the {@link #persistRequests()} it read before it started.
     */
    public boolean headPersistRequested() { return persistRequests.get() > persistedUpTo; }

    /** Count of head persist requests so far (see {@link #headPersistRequested()}). */
    public long persistRequests() { return persistRequests.get(); }

    /** The owner persisted its state, covering the first {@code requests} requests. */
    public void persisted(long requests) { if (requests > persistedUpTo) persistedUpTo = requests; }

    /**
     * Whether records written to segment {@code segment} were declared lost after a storage error (fsync
     * {@code always}): e.g. a checkpoint written at its start may be missing, so the segments before it must stay.
     */
    public boolean lostIn(long segment) { return lossSegments.contains(segment); }

    private void closeQuietly() {
        try { close(); } catch (IOException ignored) { }
    }

    /** Closes the file without forcing it (crash simulation in tests). */
    public void abandon() throws IOException {
        scheduler.shutdownNow();
        synchronized (writeLock) {
            closed = true;
            if (channel != null) channel.close();
        }
    }

    @Override public void close() throws IOException {
        scheduler.shutdownNow();
        synchronized (syncLock) {
            synchronized (writeLock) {
                if (closed) return;
                closed = true;
                if (channel != null) {
                    try {
                        if (policy != FsyncPolicy.NEVER) channel.force(false);
                    } finally {
                        channel.close();
                    }
                }
            }
        }
    }
}
