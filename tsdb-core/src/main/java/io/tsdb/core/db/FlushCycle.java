package io.tsdb.core.db;

import io.tsdb.core.AppendStatus;
import io.tsdb.core.block.BlockMeta;
import io.tsdb.core.block.BlockStore;
import io.tsdb.core.block.BlockWriter;
import io.tsdb.core.head.Head;
import io.tsdb.core.head.HeadQuerier;
import io.tsdb.core.head.HeadSeries;
import io.tsdb.core.head.ReadMode;
import io.tsdb.core.index.LabelIndex;
import io.tsdb.core.wal.Wal;
import io.tsdb.core.wal.WalFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.LongSupplier;

/**
 * The write side of the head and its cut into blocks: commits (WAL first, then the head) and flushes, with
 * series garbage collection at each flush.
 *
 * <h2>A flush</h2>
 * <ol>
 *   <li>Waits (bounded) until no querier reads the samples frozen by the previous flush, and frees them.</li>
 *   <li>With commits excluded (the commit lock held for writing, milliseconds): removes the series that hold no
 *       samples in memory, i.e. none since the previous flush ({@link SeriesCatalog#removeIdle()}); cuts the WAL
 *       (a new segment); writes the checkpoint of the remaining series as its first records
 *       ({@link WalCheckpoint}); supersedes the queriers' view ({@link HeadGenerations#supersede()}) and freezes
 *       every series' samples.</li>
 *   <li>With commits running again: writes the frozen samples to a block, publishes it, publishes a view that
 *       reads current samples only, and deletes the WAL segments before the cut. If the block cannot be
 *       written, the frozen generation stays (queriers keep reading it, the WAL keeps it) and the next flush
 *       retries it first.</li>
 * </ol>
 * Right after a flush, {@link #collectIdle()} removes the series that were already quiet when it cut the head. So
 * the head holds the series with samples since the last flush (and those active just before it), and memory
 * follows the active series, not every series that ever existed; a series that comes back is found in the
 * registry (same id).
 *
 * <h2>Invariants</h2>
 * A commit is either wholly before a flush's freeze (its samples are frozen and go to the block) or wholly
 * after (they stay in the head and in the WAL after the cut). A series is removed only with no commit in
 * flight; a writer that staged samples for a series removed since re-resolves it before logging them
 * ({@link Head#removals()}), so no sample is applied to a removed series and every sample record follows its
 * series' SERIES record in the log. WAL segments are deleted only once the block holding their samples is
 * durable and published.
 *
 * <h2>Lock order</h2>
 * Tsdb's head-maintenance lock (one run of the head's maintenance at a time) or its maintenance lock (the blocks'
 * maintenance; the registry shrink reads the series with data under {@link #withoutFlush}) -> {@code flushLock} (one
 * flush or close at a time) -> {@code commitLock} (read: a commit; write: the freeze)
 * -> the {@link SeriesCatalog}'s creation lock -> the WAL's, registry's, label index's and head tables' own
 * locks -> series monitors. The {@link HeadGenerations} monitor is a leaf. No lock is taken in the opposite
 * direction; maintenance (compaction, retention) takes none of these.
 */
final class FlushCycle {
    private static final Logger log = LoggerFactory.getLogger(FlushCycle.class);
    /** How long a flush waits for queriers of the previous frozen generation. */
    static final long FROZEN_WAIT_MS = 30_000;

    private static final AppendStatus[] STATUSES = AppendStatus.values();
    private static final int OK = AppendStatus.OK.ordinal();
    /** Data time between two churn checks that commits ask for (see {@link #commit}). */
    static final long CHURN_CHECK_EVERY_MS = 60_000;
    /** Most samples of one series inserted under one lock of it (bounds how long a reader of the series waits). */
    private static final int MAX_RUN = 256;
    /** Most bytes of histogram samples in one WAL record (a larger batch is logged as several records). */
    private static final long MAX_HISTOGRAM_RECORD_BYTES = 16L << 20;

    private final Head head;
    private final Wal wal;
    private final BlockStore blocks;
    private final LabelIndex index;
    private final SeriesCatalog catalog;
    private final HeadGenerations generations;
    private final TsdbMetrics metrics;
    private final LongSupplier clock;
    /** Head span (ms) at which a commit asks for a flush, and how it asks (e.g. wakes the maintenance thread). */
    private final long blockDurationMs;
    private final Runnable flushNeeded, churnCheckNeeded;
    private final java.util.concurrent.atomic.AtomicBoolean flushRequested = new java.util.concurrent.atomic.AtomicBoolean();
    /** Data time at which a commit next asks maintenance to look for churn (see {@link #commit}). */
    private final java.util.concurrent.atomic.AtomicLong nextChurnCheck = new java.util.concurrent.atomic.AtomicLong(Long.MIN_VALUE);
    private final ReentrantReadWriteLock commitLock = new ReentrantReadWriteLock();
    private final Object flushLock = new Object();
    /** A frozen head generation whose block could not be written yet: {mint, maxt, first WAL segment after it}. */
    private long[] unwrittenFrozen;
    private volatile long lastFlushMillis;
    private volatile long flushes;
    private volatile int removedAtLastFlush;
    /** A flush froze samples since the last {@link #collectIdle()}: series that went quiet before it may leave. */
    private volatile boolean collectDue;
    /** {@link #collectIdle()} removes series whose newest sample is older than this (data time). */
    private volatile long collectBefore = Long.MIN_VALUE;
    private final long quietMs;
    private volatile boolean closed;

    /**
     * @param flushNeeded called (once until the next flush) by a commit that finds the head spanning at least
     *                    {@code blockDurationMs}, so that the head is cut as data time advances, not only when a
     *                    periodic check runs (a backfill writes hours of data time per minute)
     * @param churnCheckNeeded called by a commit each minute of data time (once the head spans a minute more than
     *                    {@code quietMs}), for maintenance to
     *                    look for churn (an early cut of the head; nothing else of maintenance)
     * @param quietMs     how long (data time) before a cut a series' newest sample must be for {@link #collectIdle()}
     *                    to remove it
     */
    FlushCycle(Head head, Wal wal, BlockStore blocks, LabelIndex index, SeriesCatalog catalog, HeadGenerations generations,
               TsdbMetrics metrics, LongSupplier clock, long blockDurationMs, long quietMs, Runnable flushNeeded,
               Runnable churnCheckNeeded) {
        this.churnCheckNeeded = churnCheckNeeded;
        this.quietMs = quietMs;
        this.blockDurationMs = blockDurationMs;
        this.flushNeeded = flushNeeded;
        this.head = head;
        this.wal = wal;
        this.blocks = blocks;
        this.index = index;
        this.catalog = catalog;
        this.generations = generations;
        this.metrics = metrics;
        this.clock = clock;
    }

    boolean isClosed() { return closed; }

    /** WAL first (durable per policy), then the head. Holds the commit read lock so a flush sees whole commits. */
    void commit(TsdbAppender a) throws IOException {
        commitLock.readLock().lock();
        try {
            if (closed) throw new IOException("storage is closed");
            int n = a.size();
            if (head.removals() != a.removals()) reresolveRemoved(a);
            long pos = 0;
            boolean hists = a.hasHistograms();
            if (!hists) {
                for (int from = 0; from < n; from += WalFormat.MAX_SAMPLES_PER_RECORD) {
                    int cnt = Math.min(WalFormat.MAX_SAMPLES_PER_RECORD, n - from);
                    pos = wal.write(a.encode(from, cnt));
                }
            } else {
                // runs of float samples and runs of histograms, each its own record, in staging order (replay keeps it)
                for (int from = 0; from < n; ) {
                    boolean h = a.isHistogram(from);
                    int end = from + 1;
                    long bytes = h ? a.histogramBytes(from) : 0;
                    while (end < n && end - from < WalFormat.MAX_SAMPLES_PER_RECORD && a.isHistogram(end) == h) {
                        if (h) {
                            bytes += a.histogramBytes(end);
                            if (bytes > MAX_HISTOGRAM_RECORD_BYTES) break;
                        }
                        end++;
                    }
                    pos = wal.write(h ? a.encodeHistograms(from, end - from) : a.encode(from, end - from));
                    from = end;
                }
            }
            wal.sync(pos);
            long stored = 0, mint = Long.MAX_VALUE, maxt = Long.MIN_VALUE;
            long[] ts = a.timestamps();
            double[] vs = a.values();
            int[] out = a.outcomes();
            for (int i = 0; i < n; ) {
                // a run of samples of one series (ingest stages a series' samples together) under one lock of it
                HeadSeries s = a.series(i);
                boolean h = hists && a.isHistogram(i);
                int end = i + 1;
                while (end < n && end - i < MAX_RUN && a.series(end) == s && (!hists || a.isHistogram(end) == h)) end++;
                if (!insert(a, h, s, i, end, out)) {   // cannot happen while we hold the read lock; kept as a guard
                    s = catalog.revive(s);
                    for (int j = i; j < end; j++) a.setSeries(j, s);
                    if (!insert(a, h, s, i, end, out)) throw new IllegalStateException("series " + s.labels + " left the head during a commit");
                }
                for (; i < end; i++) {
                    int r = out[i];
                    if (r == OK || r == Head.STORED_OUT_OF_ORDER) {
                        stored++;
                        long t = ts[i];
                        if (t < mint) mint = t;
                        if (t > maxt) maxt = t;
                        if (r == Head.STORED_OUT_OF_ORDER) metrics.outOfOrder();
                    } else {
                        metrics.status(STATUSES[r]);   // lost a race with a concurrent commit to the same series
                    }
                }
            }
            head.addStats(stored, mint, maxt);
            metrics.appended(stored);
            metrics.commit();
        } finally {
            commitLock.readLock().unlock();
        }
        long maxT = head.maxTime(), span = maxT - head.minTime();
        if (span >= blockDurationMs && head.sampleCount() > 0 && flushRequested.compareAndSet(false, true)) {
            flushNeeded.run();
        } else if (span >= quietMs + CHURN_CHECK_EVERY_MS) {
            // maintenance looks for churn (an early cut) each minute of data time once a series can have been quiet
            // for quietMs, not only every 30 s of wall time: a backfill writes hours of data time per minute
            long next = nextChurnCheck.get();
            if (maxT >= next && nextChurnCheck.compareAndSet(next, maxT + CHURN_CHECK_EVERY_MS)) churnCheckNeeded.run();
        }
    }

    /** Inserts the staged run [from, to) of series s: float samples, or histograms when {@code hist}. */
    private boolean insert(TsdbAppender a, boolean hist, HeadSeries s, int from, int to, int[] out) {
        if (hist) return head.insertCommittedHistograms(s, a.timestamps(), a.histogramsStaged(), a.floatHistogramsStaged(), from, to, out);
        return head.insertCommitted(s, a.timestamps(), a.values(), from, to, out);
    }

    /** Series staged by {@code a} that left the head since it resolved them are brought back (same id) before logging. */
    private void reresolveRemoved(TsdbAppender a) {
        HeadSeries last = null, replacement = null;
        for (int i = 0, n = a.size(); i < n; i++) {
            HeadSeries s = a.series(i);
            if (s == last) {
                if (replacement != null) a.setSeries(i, replacement);
                continue;
            }
            last = s;
            replacement = s.isRemoved() ? catalog.revive(s) : null;
            if (replacement != null) a.setSeries(i, replacement);
        }
    }

    /**
     * Writes the head to a new block and truncates the WAL (see the class comment). Appends are paused only
     * while series are collected, the WAL is cut and the samples are frozen; the block is written while
     * ingestion continues.
     */
    void flush() throws IOException {
        synchronized (flushLock) {
            if (closed) throw new IOException("storage is closed");
            long t0 = System.nanoTime();
            if (unwrittenFrozen != null) writeFrozenBlock();   // retry a failed earlier flush first
            try {
                generations.awaitFrozenReleased(FROZEN_WAIT_MS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for old queriers before a flush", e);
            }
            long samples, mint, maxt, segment;
            int removed;
            commitLock.writeLock().lock();
            try {
                if (closed) throw new IOException("storage is closed");
                samples = head.sampleCount();
                mint = head.minTime();
                maxt = head.maxTime();
                removed = catalog.removeIdle();
                segment = wal.cut();
                WalCheckpoint.write(wal, head);   // first records of the new segment
                if (samples > 0) {
                    generations.supersede();
                    head.freezeAll();
                    unwrittenFrozen = new long[]{mint, maxt, segment};
                }
            } finally {
                commitLock.writeLock().unlock();
            }
            removedAtLastFlush = removed;
            if (samples > 0) {
                collectBefore = maxt - quietMs;
                collectDue = true;
            }
            flushRequested.set(false);
            wal.syncAll();
            String ulid = "(none)";
            if (samples > 0) {
                ulid = writeFrozenBlock();
            } else {
                wal.deleteBefore(segment);
            }
            lastFlushMillis = clock.getAsLong();
            flushes++;
            log.info("flushed head: {} samples to block {} in {} ms; {} idle series left the head, {} remain; WAL truncated",
                    samples, ulid, (System.nanoTime() - t0) / 1_000_000, removed, head.seriesCount());
        }
    }

    /** Phase 2 of a flush: writes the frozen samples to a block, publishes it, drops the WAL before it. */
    private String writeFrozenBlock() throws IOException {
        long mint = unwrittenFrozen[0], maxt = unwrittenFrozen[1], segment = unwrittenFrozen[2];
        BlockMeta meta;
        try (HeadQuerier q = new HeadQuerier(head, index, mint, maxt, () -> ReadMode.FROZEN)) {
            meta = new BlockWriter(blocks.fileLayer(), blocks.dir()).write(q.select(List.of()), mint, maxt);
        }
        blocks.add(meta.ulid());
        generations.published();   // new queriers see the block and read current samples only
        unwrittenFrozen = null;
        if (wal.lostIn(segment)) {
            // the checkpoint written at the start of that segment may be among the records a failed fsync dropped:
            // the older segments stay (replayed again after a crash, harmlessly) until a flush writes a new one
            log.warn("WAL segment {} lost records to a storage error after this flush's checkpoint was written; keeping the "
                    + "segments before it until the next flush", segment);
        } else {
            wal.deleteBefore(segment);
        }
        return meta.ulid();
    }

    /**
     * Series garbage collection between flushes: once the samples the last flush froze are freed (no querier
     * opened before its block was published remains, usually at once), removes the series with no samples since
     * that flush whose newest sample was already {@code quietMs} old when the head was cut (the others are active
     * and only have not sent their next sample yet), rather than waiting for the next flush. So a series that went
     * quiet leaves the head one flush after its last sample, not two. Commits are excluded while the head is walked (milliseconds). Returns how
     * many series left, 0 when there was nothing to do or the frozen samples are still read.
     */
    int collectIdle() {
        if (!collectDue) return 0;
        synchronized (flushLock) {
            if (closed || unwrittenFrozen != null || !generations.frozenReleased()) return 0;
            int removed;
            commitLock.writeLock().lock();
            try {
                if (closed) return 0;
                removed = catalog.removeIdle(collectBefore);
            } finally {
                commitLock.writeLock().unlock();
            }
            collectDue = false;
            if (removed > 0) log.info("{} series without samples since the last flush left the head, {} remain", removed, head.seriesCount());
            return removed;
        }
    }

    /** Whether a frozen generation waits for its block (a flush failed to write it). */
    boolean hasUnwrittenFrozen() {
        synchronized (flushLock) {
            return unwrittenFrozen != null;
        }
    }

    /**
     * Writes the block of a frozen generation a failed flush could not write (retried by maintenance with backoff,
     * without cutting the head again). Returns whether there was one.
     */
    boolean writeUnwrittenFrozen() throws IOException {
        synchronized (flushLock) {
            if (closed) throw new IOException("storage is closed");
            if (unwrittenFrozen == null) return false;
            String ulid = writeFrozenBlock();
            log.info("wrote the block {} of the head samples frozen by a failed flush", ulid);
            return true;
        }
    }

    /**
     * Flushes (errors are logged: the WAL keeps the head's samples for the next start), then marks the cycle
     * closed with commits excluded and runs {@code release} (closing the WAL and the rest) under the same locks.
     */
    void close(Runnable release) {
        synchronized (flushLock) {
            if (closed) return;
            try {
                flush();
            } catch (IOException | RuntimeException e) {
                log.error("flush at close failed; the WAL keeps the head's samples for the next start", e);
            }
            commitLock.writeLock().lock();
            try {
                closed = true;
                release.run();
            } finally {
                commitLock.writeLock().unlock();
            }
        }
    }

    /** Marks the cycle closed without flushing (crash simulation in tests). */
    void abandon() {
        commitLock.writeLock().lock();
        try {
            closed = true;
        } finally {
            commitLock.writeLock().unlock();
        }
    }

    /** An operation that may fail with an I/O error. */
    interface IoSupplier<T> {
        T get() throws IOException;
    }

    /**
     * Runs {@code op} with no flush running (admin operations: snapshots, deletions); commits go on. Lock order:
     * the flush lock first, then whatever {@code op} takes (the block store's maintenance lock, the commit lock
     * through {@link #withoutCommits}).
     */
    <T> T withoutFlush(IoSupplier<T> op) throws IOException {
        synchronized (flushLock) {
            if (closed) throw new IOException("storage is closed");
            return op.get();
        }
    }

    /** Runs {@code op} with commits excluded (a head deletion logged to the WAL). */
    <T> T withoutCommits(IoSupplier<T> op) throws IOException {
        commitLock.writeLock().lock();
        try {
            if (closed) throw new IOException("storage is closed");
            return op.get();
        } finally {
            commitLock.writeLock().unlock();
        }
    }

    /** {mint, maxt, segment} of a frozen generation whose block a failed flush could not write, or null (call under {@link #withoutFlush}). */
    long[] unwrittenFrozen() { return unwrittenFrozen; }

    long lastFlushMillis() { return lastFlushMillis; }
    long flushes() { return flushes; }
    /** Series removed from the head by the last flush. */
    int removedAtLastFlush() { return removedAtLastFlush; }
}
