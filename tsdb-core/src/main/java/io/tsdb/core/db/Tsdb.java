package io.tsdb.core.db;

import io.tsdb.core.AppendStatus;
import io.tsdb.core.Appender;
import io.tsdb.core.Labels;
import io.tsdb.core.Querier;
import io.tsdb.core.Storage;
import io.tsdb.core.StorageStats;
import io.tsdb.core.block.BlockMeta;
import io.tsdb.core.block.BlockStore;
import io.tsdb.core.block.BlockWriter;
import io.tsdb.core.block.Compactor;
import io.tsdb.core.head.Head;
import io.tsdb.core.head.HeadQuerier;
import io.tsdb.core.head.HeadSeries;
import io.tsdb.core.head.ChunkMemory;
import io.tsdb.core.head.ChunkedSamples;
import io.tsdb.core.index.LabelIndex;
import io.tsdb.core.registry.LabelValidator;
import io.tsdb.core.registry.LabelsCodec;
import io.tsdb.core.registry.SeriesRegistry;
import io.tsdb.core.wal.Wal;
import io.tsdb.core.wal.WalFormat;
import io.tsdb.core.wal.WalReplayHandler;
import io.tsdb.core.wal.WalReplayResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.LongSupplier;

/**
 * The production {@link Storage}: series registry (Chronicle Map), bitmap label index, off-heap head,
 * write-ahead log with group commit and crash recovery.
 *
 * <p>Data directory layout: {@code LOCK}, {@code registry/} (see docs/format/series-registry.md),
 * {@code wal/} (see docs/format/wal.md), {@code blocks/<ulid>/} (see docs/format/ block pages).
 *
 * <p>{@link #flush()} writes the head to a block, truncates the WAL (keeping a checkpoint of the series),
 * and freezes the head's samples for queriers opened before; {@link #close()} flushes, so a restart after
 * a clean stop replays no samples. A maintenance thread flushes when the head spans the block duration
 * and deletes blocks beyond retention.
 */
public final class Tsdb implements Storage {
    private static final Logger log = LoggerFactory.getLogger(Tsdb.class);

    private final TsdbOptions options;
    private final FileChannel lockChannel;
    private final FileLock dirLock;
    private final SeriesRegistry registry;
    private final LabelIndex index = new LabelIndex();
    private final Head head;
    private final ChunkMemory chunkMemory = new ChunkMemory();
    private final LabelValidator validator;
    private final TsdbMetrics metrics = new TsdbMetrics();
    private final ReentrantReadWriteLock commitLock = new ReentrantReadWriteLock();
    private final Object createLock = new Object();
    private final LongSupplier clock;
    private final long futureToleranceMs;
    private final BlockStore blocks;
    private final Object flushLock = new Object();
    private final Object frozenMonitor = new Object();
    private boolean frozenPending;
    private long frozenGeneration;
    private int frozenUsers;
    /** A frozen head generation whose block could not be written yet: {mint, maxt, first WAL segment after it}. */
    private long[] unwrittenFrozen;
    private volatile ReadView view;
    private final ScheduledExecutorService maintenance;
    private volatile long lastFlushMillis;
    private volatile long flushes;
    private Wal wal;
    private int nextId;
    private volatile boolean closed;

    /** Opens (creating if needed) the database in {@code options.dataDir()}, replaying the WAL. */
    public static Tsdb open(TsdbOptions options) throws IOException {
        return new Tsdb(options, System::currentTimeMillis);
    }

    /** As {@link #open(TsdbOptions)} with a custom wall clock (tests). */
    public static Tsdb open(TsdbOptions options, LongSupplier clock) throws IOException {
        return new Tsdb(options, clock);
    }

    private Tsdb(TsdbOptions options, LongSupplier clock) throws IOException {
        this.options = options;
        this.clock = clock;
        this.futureToleranceMs = options.futureTolerance().toMillis();
        this.validator = new LabelValidator(options.limits());
        Path dir = options.dataDir();
        Files.createDirectories(dir);
        lockChannel = FileChannel.open(dir.resolve("LOCK"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock l;
        try {
            l = lockChannel.tryLock();
        } catch (java.nio.channels.OverlappingFileLockException e) {
            l = null;
        }
        if (l == null) {
            lockChannel.close();
            throw new IOException("data directory " + dir + " is in use by another process (LOCK held)");
        }
        dirLock = l;
        this.head = new Head(() -> new ChunkedSamples(chunkMemory), options.outOfOrderWindow().toMillis());
        SeriesRegistry reg = null;
        BlockStore bs = null;
        this.view = newView();
        try {
            bs = BlockStore.open(dir.resolve("blocks"));
            long t0 = System.nanoTime();
            reg = SeriesRegistry.open(dir.resolve("registry"), options.registryCapacity());
            nextId = loadSeries(reg);
            log.info("series registry loaded: {} series in {} ms", head.seriesCount(), (System.nanoTime() - t0) / 1_000_000);
            this.registry = reg;
            HeadReplayer replayer = new HeadReplayer(head, index, reg, nextId);
            this.wal = Wal.open(dir.resolve("wal"), options.walFsync(), options.walSegmentBytes(),
                    options.walFsyncInterval().toMillis(), replayer);
            nextId = Math.max(nextId, replayer.nextId());
            if (replayer.unknownSeriesSamples() > 0)
                log.warn("WAL replay skipped {} samples of series ids found neither in the registry nor in the WAL", replayer.unknownSeriesSamples());
            this.blocks = bs;
        } catch (IOException | RuntimeException e) {
            if (wal != null) wal.close();
            if (bs != null) bs.close();
            if (reg != null) reg.close();
            dirLock.release();
            lockChannel.close();
            throw e;
        }
        maintenance = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "tsdb-maintenance");
            t.setDaemon(true);
            return t;
        });
        long every = Math.max(1000, Math.min(30_000, options.blockDuration().toMillis() / 4));
        maintenance.scheduleWithFixedDelay(this::maintain, every, every, TimeUnit.MILLISECONDS);
    }

    /**
     * Indexes every registered series in id order and returns the next free id. The registry lists series in
     * hash order; adding ids in ascending order appends to the bitmaps' last container instead of inserting
     * into sorted arrays (index build at 100k series: about 2x faster).
     */
    private int loadSeries(SeriesRegistry reg) {
        int n = (int) Math.min(Integer.MAX_VALUE - 8, reg.size());
        Labels[] labels = new Labels[n];
        long[] order = new long[n];
        int[] count = {0};
        reg.forEach((l, id) -> {
            int i = count[0]++;
            if (i >= labels.length) throw new IllegalStateException("series registry listed more series than its size " + labels.length);
            labels[i] = l;
            order[i] = ((long) id << 32) | i;
        });
        java.util.Arrays.sort(order, 0, count[0]);
        int max = -1;
        for (int k = 0; k < count[0]; k++) {
            int id = (int) (order[k] >>> 32), i = (int) order[k];
            head.create(id, index.add(id, labels[i]));
            labels[i] = null;
            max = Math.max(max, id);
        }
        return max + 1;
    }

    private ReadView newView() {
        ReadView[] h = new ReadView[1];
        h[0] = new ReadView(() -> {
            if (h[0].superseded) frozenUserGone(h[0].frozenGeneration);
        });
        return h[0];
    }

    /** A view reading frozen samples of generation {@code gen} was released for good. */
    private void frozenUserGone(long gen) {
        synchronized (frozenMonitor) {
            if (!frozenPending || gen != frozenGeneration) return;
            if (--frozenUsers > 0) return;
            head.releaseFrozen();
            frozenPending = false;
            frozenMonitor.notifyAll();
        }
    }

    /** Waits for queriers of the previous head generation to close (bounded), then frees its samples. */
    private void awaitFrozenReleased(long timeoutMs) throws InterruptedException {
        synchronized (frozenMonitor) {
            long end = System.currentTimeMillis() + timeoutMs;
            while (frozenPending) {
                long left = end - System.currentTimeMillis();
                if (left <= 0) {
                    log.warn("a querier opened before the previous flush is still open after {} ms; freeing the frozen head samples anyway", timeoutMs);
                    head.releaseFrozen();
                    frozenPending = false;
                    return;
                }
                frozenMonitor.wait(left);
            }
        }
    }

    /**
     * Compaction levels: block duration x1, x3, x9, x27 (2h, 6h, 18h, 54h by default), without levels above a
     * tenth of the retention so that retention, which deletes whole blocks, stays close to its setting.
     */
    Compactor compactor() {
        long[] all = Compactor.exponentialRanges(options.blockDuration().toMillis(), 4, 3);
        int n = 1;
        while (n < all.length && all[n] <= options.retention().toMillis() / 10) n++;
        return new Compactor(java.util.Arrays.copyOf(all, n));
    }

    /** Periodic: cut the head into a block when it spans the block duration; apply retention; compact blocks. */
    void maintain() {
        try {
            if (closed) return;
            long span = head.maxTime() - head.minTime();
            if (head.sampleCount() > 0 && span >= options.blockDuration().toMillis()) {
                log.info("head spans {} ms >= block duration {}: flushing", span, options.blockDuration());
                flush();
            }
            int n = blocks.applyRetention(now(), options.retention().toMillis());
            if (n > 0) log.info("retention deleted {} blocks", n);
            blocks.compact(compactor());
        } catch (Exception e) {
            if (!closed) log.error("storage maintenance failed", e);
        }
    }

    record Rejected(AppendStatus status, String message) {}

    /** The series for a label set, created (validated, limited, logged, registered, indexed) when new; or a {@link Rejected}. */
    Object getOrCreateSeries(Labels labels) {
        HeadSeries s = head.get(labels);
        if (s != null) return s;
        LabelValidator.Rejection r = validator.validate(labels);
        if (r != null) return new Rejected(r.status(), r.message());
        synchronized (createLock) {
            s = head.get(labels);
            if (s != null) return s;
            if (closed) return new Rejected(AppendStatus.STORAGE_CLOSED, "storage is closed");
            long max = options.limits().maxSeries();
            if (max > 0 && head.seriesCount() >= max)
                return new Rejected(AppendStatus.SERIES_LIMIT, "cannot add series " + labels + " of metric " + labels.metricName()
                        + ": the limit max_series=" + max + " active series is reached");
            int id = nextId;
            Labels interned = index.add(id, labels);
            try {
                wal.write(seriesRecord(id, interned));
            } catch (IOException e) {
                index.remove(id, interned);
                throw new java.io.UncheckedIOException("cannot log new series " + labels + " to the WAL", e);
            }
            nextId++;
            registry.put(interned, id);
            s = head.create(id, interned);
            metrics.seriesCreatedInc();
            return s;
        }
    }

    private static ByteBuffer seriesRecord(int id, Labels labels) {
        byte[] lb = LabelsCodec.encode(labels);
        ByteBuffer b = ByteBuffer.allocate(WalFormat.RECORD_HEADER_BYTES + 1 + 4 + 8 + lb.length).order(ByteOrder.LITTLE_ENDIAN);
        b.position(WalFormat.RECORD_HEADER_BYTES);
        b.put(WalFormat.TYPE_SERIES).putInt(1).putInt(id).putInt(lb.length).put(lb);
        WalFormat.seal(b);
        return b;
    }

    /** WAL first (durable per policy), then the head. Holds the commit read lock so flush sees whole commits. */
    void commit(TsdbAppender a) throws IOException {
        commitLock.readLock().lock();
        try {
            if (closed) throw new IOException("storage is closed");
            int n = a.size();
            long pos = 0;
            for (int from = 0; from < n; from += WalFormat.MAX_SAMPLES_PER_RECORD) {
                int cnt = Math.min(WalFormat.MAX_SAMPLES_PER_RECORD, n - from);
                pos = wal.write(a.encode(from, cnt));
            }
            wal.sync(pos);
            long stored = 0, mint = Long.MAX_VALUE, maxt = Long.MIN_VALUE;
            for (int i = 0; i < n; i++) {
                HeadSeries s = a.series(i);
                long t = a.timestamp(i);
                boolean ooo = t < s.maxTime();
                AppendStatus st = head.insertNoStats(s, t, a.value(i), false);
                if (st == AppendStatus.OK) {
                    stored++;
                    if (t < mint) mint = t;
                    if (t > maxt) maxt = t;
                    if (ooo) metrics.outOfOrder();
                } else {
                    metrics.status(st);   // lost a race with a concurrent commit to the same series
                }
            }
            head.addStats(stored, mint, maxt);
            metrics.appended(stored);
            metrics.commit();
        } finally {
            commitLock.readLock().unlock();
        }
    }

    @Override public Appender appender() { return new TsdbAppender(this); }

    /** At most this many idle appender stagings are kept (about one per concurrent write request). */
    static final int MAX_POOLED_STAGINGS = 16;
    /** Stagings grown beyond this many samples (3.5 MB of arrays) are left to the garbage collector. */
    static final int MAX_POOLED_SAMPLES = 1 << 17;
    /** WAL encoding buffers above this size are dropped from a staging before it is pooled. */
    static final int MAX_POOLED_BUFFER_BYTES = 4 << 20;
    private final java.util.concurrent.ConcurrentLinkedQueue<TsdbAppender.Staging> stagings = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final java.util.concurrent.atomic.AtomicInteger pooledStagings = new java.util.concurrent.atomic.AtomicInteger();

    TsdbAppender.Staging takeStaging() {
        TsdbAppender.Staging s = stagings.poll();
        if (s == null) return new TsdbAppender.Staging();
        pooledStagings.decrementAndGet();
        return s;
    }

    void returnStaging(TsdbAppender.Staging s) {
        if (s.capacity() > MAX_POOLED_SAMPLES) return;
        if (s.buf != null && s.buf.capacity() > MAX_POOLED_BUFFER_BYTES) s.buf = null;
        if (pooledStagings.incrementAndGet() > MAX_POOLED_STAGINGS) {
            pooledStagings.decrementAndGet();
            return;
        }
        stagings.offer(s);
    }

    /** Idle pooled appender stagings (tests). */
    int pooledStagings() { return pooledStagings.get(); }

    @Override public Querier querier(long mint, long maxt) {
        if (closed) throw new IllegalStateException("storage is closed");
        ReadView v;
        do {
            v = view;
        } while (!v.tryAcquire());
        // the view is taken before the block list: a flush adds its block before it supersedes the view
        List<Querier> sources = blocks.queriers(mint, maxt);
        ReadView fv = v;
        sources.add(new HeadQuerier(head, index, mint, maxt, () -> fv.superseded));
        return new ViewQuerier(sources, v, index, coversAllData(mint, maxt), seriesIdOf);
    }

    /** Storage-wide id of a label set (-1 when unknown); one instance, so blocks cache their id maps for it. */
    private final java.util.function.ToIntFunction<Labels> seriesIdOf = this::seriesId;

    private int seriesId(Labels l) {
        HeadSeries s = head.get(l);
        return s == null ? -1 : s.id;
    }

    /** Whether [mint, maxt] contains every stored sample (head and blocks), and there is one. */
    private boolean coversAllData(long mint, long maxt) {
        long lo = Math.min(head.minTime(), blocks.minTime()), hi = Math.max(head.maxTime(), blocks.maxTime());
        return lo <= hi && mint <= lo && maxt >= hi;
    }

    @Override public StorageStats stats() {
        long walBytes = wal.diskBytes();
        return new StorageStats(head.seriesCount(), head.sampleCount(), head.minTime(), head.maxTime(),
                blocks.blocks().size(), blocks.numSamples(), walBytes + registryBytes() + blocks.sizeBytes(), walBytes);
    }

    private long registryBytes() {
        try {
            return registry.fileBytes();
        } catch (IOException e) {
            return 0;
        }
    }

    /**
     * Writes the head to a new block and truncates the WAL. Appends are paused only while the head's
     * samples are frozen and the WAL is cut (milliseconds); the block is written from the frozen samples
     * while ingestion continues. Queriers see the frozen samples until the block is published; those
     * opened before keep seeing them until they close.
     */
    @Override public void flush() throws IOException {
        synchronized (flushLock) {
            if (closed) throw new IOException("storage is closed");
            long t0 = System.nanoTime();
            if (unwrittenFrozen != null) writeFrozenBlock();   // retry a failed earlier flush first
            try {
                awaitFrozenReleased(30_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for old queriers before a flush", e);
            }
            long samples, mint, maxt, segment;
            commitLock.writeLock().lock();
            try {
                if (closed) throw new IOException("storage is closed");
                samples = head.sampleCount();
                mint = head.minTime();
                maxt = head.maxTime();
                segment = wal.cut();
                checkpointSeries();            // first records of the new segment
                if (samples > 0) {
                    ReadView old = view;
                    ReadView during = newView();
                    synchronized (frozenMonitor) {
                        frozenGeneration++;
                        frozenPending = true;
                        frozenUsers = 2;
                        old.frozenGeneration = frozenGeneration;
                        during.frozenGeneration = frozenGeneration;
                    }
                    old.superseded = true;     // before freezing: old queriers go on reading frozen samples
                    during.superseded = true;
                    head.freezeAll();
                    view = during;
                    unwrittenFrozen = new long[]{mint, maxt, segment};
                    pendingViews = new ReadView[]{old, during};
                }
            } finally {
                commitLock.writeLock().unlock();
            }
            wal.syncAll();
            String ulid = "(none)";
            if (samples > 0) {
                ulid = writeFrozenBlock();
            } else {
                wal.deleteBefore(segment);
            }
            lastFlushMillis = now();
            flushes++;
            log.info("flushed head: {} samples to block {} in {} ms; WAL truncated", samples, ulid, (System.nanoTime() - t0) / 1_000_000);
        }
    }

    private ReadView[] pendingViews;

    /** Phase 2 of a flush: writes the frozen samples to a block, publishes it, drops the WAL before it. */
    private String writeFrozenBlock() throws IOException {
        long mint = unwrittenFrozen[0], maxt = unwrittenFrozen[1], segment = unwrittenFrozen[2];
        BlockMeta meta;
        try (HeadQuerier q = new HeadQuerier(head, index, mint, maxt, (java.util.function.IntSupplier) () -> io.tsdb.core.head.HeadSeries.READ_FROZEN)) {
            meta = new BlockWriter(blocks.dir()).write(q.select(List.of()), mint, maxt);
        }
        blocks.add(meta.ulid());
        view = newView();                      // sees the block, reads current samples only
        unwrittenFrozen = null;
        ReadView[] pv = pendingViews;
        pendingViews = null;
        for (ReadView v : pv) v.release();     // frozen samples are freed when their last querier closes
        wal.deleteBefore(segment);
        return meta.ulid();
    }

    /** Logs every series again after a WAL truncation, so replay never depends on the registry file alone. */
    private void checkpointSeries() throws IOException {
        ByteBuffer[] buf = {ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN)};
        int[] count = {0};
        IOException[] err = {null};
        buf[0].position(WalFormat.RECORD_HEADER_BYTES + 5);
        head.forEach(s -> {
            if (err[0] != null) return;
            byte[] lb = LabelsCodec.encode(s.labels);
            try {
                if (buf[0].remaining() < 8 + lb.length) {
                    writeSeriesBatch(buf[0], count[0]);
                    count[0] = 0;
                    int need = WalFormat.RECORD_HEADER_BYTES + 5 + 8 + lb.length;
                    if (buf[0].capacity() < need) buf[0] = ByteBuffer.allocate(need).order(ByteOrder.LITTLE_ENDIAN);
                    buf[0].clear().position(WalFormat.RECORD_HEADER_BYTES + 5);
                }
            } catch (IOException e) {
                err[0] = e;
                return;
            }
            buf[0].putInt(s.id).putInt(lb.length).put(lb);
            count[0]++;
        });
        if (err[0] != null) throw err[0];
        if (count[0] > 0) writeSeriesBatch(buf[0], count[0]);
        // newest sample per series, so duplicate and out-of-order checks survive a restart
        ByteBuffer st = ByteBuffer.allocate(WalFormat.RECORD_HEADER_BYTES + 5 + 50_000 * WalFormat.SAMPLE_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        int[] n = {0};
        st.position(WalFormat.RECORD_HEADER_BYTES + 5);
        head.forEach(s -> {
            if (err[0] != null) return;
            long[] nt = head.newest(s);
            if (nt[0] == Long.MIN_VALUE) return;
            if (n[0] == 50_000) {
                try {
                    writeBatch(st, WalFormat.TYPE_SERIES_STATE, n[0]);
                } catch (IOException e) {
                    err[0] = e;
                    return;
                }
                n[0] = 0;
                st.clear().position(WalFormat.RECORD_HEADER_BYTES + 5);
            }
            st.putInt(s.id).putLong(nt[0]).putLong(nt[1]);
            n[0]++;
        });
        if (err[0] != null) throw err[0];
        if (n[0] > 0) writeBatch(st, WalFormat.TYPE_SERIES_STATE, n[0]);
    }

    private void writeBatch(ByteBuffer b, byte type, int count) throws IOException {
        b.put(WalFormat.RECORD_HEADER_BYTES, type);
        b.putInt(WalFormat.RECORD_HEADER_BYTES + 1, count);
        WalFormat.seal(b);
        wal.write(b);
    }

    private void writeSeriesBatch(ByteBuffer b, int count) throws IOException {
        writeBatch(b, WalFormat.TYPE_SERIES, count);
    }

    @Override public void close() throws IOException {
        synchronized (flushLock) {
            if (closed) return;
            maintenance.shutdownNow();
            try {
                flush();
            } catch (IOException | RuntimeException e) {
                log.error("flush at close failed; the WAL keeps the head's samples for the next start", e);
            }
            commitLock.writeLock().lock();
            try {
                closed = true;
                synchronized (createLock) {
                    try {
                        wal.close();
                    } finally {
                        registry.close();
                        blocks.close();
                    }
                }
            } finally {
                commitLock.writeLock().unlock();
                if (dirLock.isValid()) dirLock.release();
                lockChannel.close();
            }
        }
    }

    /**
     * Test hook simulating a process crash: drops the directory lock and file handles without flushing,
     * syncing or closing the registry cleanly (what is written so far stays in the OS page cache).
     */
    void crashForTesting() throws IOException {
        commitLock.writeLock().lock();
        try {
            closed = true;
        } finally {
            commitLock.writeLock().unlock();
        }
        maintenance.shutdownNow();
        wal.abandon();
        blocks.close();
        dirLock.release();
        lockChannel.close();
        registry.abandon();
    }

    // ---- accessors for the appender and for metrics -------------------------------------------------

    Head head() { return head; }
    TsdbMetrics metrics() { return metrics; }
    long now() { return clock.getAsLong(); }
    long futureToleranceMs() { return futureToleranceMs; }
    boolean isClosed() { return closed; }

    public TsdbOptions options() { return options; }
    /** Sample counters (appended, duplicates, out of order, rejected by reason). */
    public TsdbMetrics counters() { return metrics; }
    public LabelIndex index() { return index; }
    public long activeSeries() { return head.seriesCount(); }
    public long headSamples() { return head.sampleCount(); }
    public long headChunks() { return head.chunks(); }
    /** Approximate head memory for samples (off-heap chunks plus per-series on-heap overhead). */
    public long headMemoryBytes() { return head.memoryBytes(); }
    /** Off-heap bytes reserved for head chunks (slabs) and handed out to chunks. */
    public long headOffHeapReservedBytes() { return chunkMemory.bytesReserved(); }
    public long headOffHeapUsedBytes() { return chunkMemory.bytesInUse(); }
    /** Number of WAL corruptions found (and truncated) at open. */
    public long walCorruptions() { return wal.replayResult().corruptions(); }
    /** Bytes dropped from the WAL because of corruption at open. */
    public long walTruncatedBytes() { return wal.replayResult().truncatedBytes(); }
    public WalReplayResult walReplay() { return wal.replayResult(); }
    public long walReplaySamples() { return wal.replayResult().samples(); }
    public long walFsyncs() { return wal.fsyncs(); }
    public long walBytesWritten() { return wal.bytesWritten(); }
    public long walDiskBytes() { return wal.diskBytes(); }
    public long walSegment() { return wal.currentSegment(); }
    /** Number of persisted blocks. */
    public int blockCount() { return blocks.blocks().size(); }
    /** Head flushes (to blocks) since open. */
    public long flushes() { return flushes; }
    /** Wall-clock time of the last flush (ms), or 0. */
    public long lastFlushMillis() { return lastFlushMillis; }
}
