package io.tsdb.core.db;

import io.tsdb.core.Appender;
import io.tsdb.core.Labels;
import io.tsdb.core.Querier;
import io.tsdb.core.Storage;
import io.tsdb.core.StorageAdmin;
import io.tsdb.core.StorageStats;
import io.tsdb.core.block.BlockStore;
import io.tsdb.core.block.Compactor;
import io.tsdb.core.head.Head;
import io.tsdb.core.head.HeadQuerier;
import io.tsdb.core.head.HeadSeries;
import io.tsdb.core.head.ReadMode;
import io.tsdb.core.head.ChunkMemory;
import io.tsdb.core.head.ChunkedSamples;
import io.tsdb.core.head.HeadChunkFiles;
import io.tsdb.core.head.HeadChunkFormat;
import io.tsdb.core.index.LabelIndex;
import io.tsdb.core.registry.LabelValidator;
import io.tsdb.core.registry.SeriesRegistry;
import io.tsdb.core.wal.Wal;
import io.tsdb.core.wal.WalReplayResult;
import org.roaringbitmap.RoaringBitmap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The production {@link Storage}: series registry (Chronicle Map), bitmap label index, off-heap head,
 * write-ahead log with group commit and crash recovery, blocks.
 *
 * <p>Data directory layout: {@code LOCK}, {@code registry/} (see docs/format/series-registry.md),
 * {@code wal/} (see docs/format/wal.md), {@code blocks/<ulid>/} (see docs/format/ block pages),
 * {@code chunks_head/} (the head's closed chunks, not durable: see docs/format/head-chunks.md).
 *
 * <p>This class assembles the parts and runs the two maintenance threads; the parts do the work:
 * {@link SeriesCatalog} (series entering and leaving the head), {@link FlushCycle} (commits, flushes and series
 * garbage collection; its comment states the lock order), {@link HeadGenerations} (what queriers see across a
 * flush), {@link io.tsdb.core.block.BlockStore} (blocks, compaction, retention) and
 * {@link io.tsdb.core.registry.SeriesRegistry} (ids). The head holds only active series: opening replays the
 * WAL (whose segments start with a checkpoint of the head's series) and does not load the registry's series.
 * {@link #close()} flushes, so a restart after a clean stop replays no samples.
 *
 * <h2>Maintenance threads</h2>
 * {@code tsdb-head-maintenance} cuts the head into a block when it spans the block duration or churn left many
 * series quiet, removes the series a flush left idle and closes quiet series' open chunks ({@link #maintainHead});
 * {@code tsdb-maintenance} deletes blocks beyond retention, compacts, and removes from the registry the series that
 * have no data left ({@link #maintainBlocks}). They are separate so that a long compaction (tens of seconds for a
 * level-3 merge of 370,000 series, minutes at larger scale) never delays a cut of the head: memory follows the
 * active series while blocks merge. Each runs under its own lock ({@code headMaintenanceLock},
 * {@code maintenanceLock}; neither is taken while holding the other). A head flush adds its block to the
 * {@link io.tsdb.core.block.BlockStore} while a compaction runs (its list swap keeps blocks added meanwhile); the
 * registry shrink takes its snapshot of the series with data with no flush running ({@link FlushCycle#withoutFlush}),
 * so a flush and the removal of idle series cannot pass between its two halves (blocks, then head).
 */
public final class Tsdb implements Storage, StorageAdmin {
    private static final Logger log = LoggerFactory.getLogger(Tsdb.class);

    /**
     * A head series with no sample for this long (data time, behind the head's newest sample) has its open chunk closed
     * by maintenance: a replaced pod's series would otherwise hold 256 bytes for appending until the next flush.
     */
    static final long IDLE_CHUNK_MS = 10 * 60_000L;

    /**
     * Early flush under series churn. Series that went quiet stay in the head until a flush writes their samples to a
     * block (then they leave, see {@link FlushCycle#collectIdle()}); with the 2 h block duration a fleet that replaces
     * 5 % of its pods a minute would hold ten times its active series. So maintenance also cuts the head when it
     * spans at least {@link #CHURN_MIN_SPAN_MS} and at least one in {@link #CHURN_QUIET_SHARE} of its series (and at
     * least {@link #CHURN_MIN_QUIET}) had no sample for {@link #CHURN_QUIET_MS} (data time; a query's 5-minute
     * lookback no longer sees them). The smaller blocks are merged by compaction as any others.
     *
     * <p>Under steady churn the head's memory is a sawtooth: it grows by the new series (about 600 bytes of heap
     * each, on top of their samples) until a cut drops the quiet ones. The cut comes about a minute after the first
     * series turn quiet: at 5 % replaced a minute, the head then holds the active series plus about 30 % (a cut every
     * 6 minutes of data time), and the tooth is 60 % of the one a cut every 10 minutes left (one in eight quiet, at
     * least 10 minutes spanned: 50 % more series, and RSS over a 30-minute soak rising and falling by 120 MiB). A
     * series must be quiet for the lookback before it counts, so series sent every few minutes never trigger a cut.
     */
    static final long CHURN_QUIET_MS = 5 * 60_000L, CHURN_MIN_SPAN_MS = CHURN_QUIET_MS + 60_000L;
    static final int CHURN_QUIET_SHARE = 32, CHURN_MIN_QUIET = 4096;

    private final TsdbOptions options;
    private final FileChannel lockChannel;
    private final FileLock dirLock;
    private final SeriesRegistry registry;
    private final LabelIndex index = new LabelIndex();
    private final Head head;
    private final ChunkMemory chunkMemory;
    private final TsdbMetrics metrics = new TsdbMetrics();
    private final LongSupplier clock;
    private final long futureToleranceMs;
    private final BlockStore blocks;
    private final Wal wal;
    private final SeriesCatalog catalog;
    private final HeadGenerations generations;
    private final FlushCycle flushCycle;
    private final ScheduledExecutorService maintenance, headMaintenance;
    /** Registry rewrites are considered after retention deleted blocks (and once after open). */
    private volatile boolean registryShrinkDue = true;
    private volatile SeriesRegistry.Shrink lastShrink = SeriesRegistry.Shrink.NONE;
    private volatile boolean closed;

    /** Opens (creating if needed) the database in {@code options.dataDir()}, replaying the WAL. */
    public static Tsdb open(TsdbOptions options) throws IOException {
        return open(options, System::currentTimeMillis);
    }

    /**
     * As {@link #open(TsdbOptions)} with a custom wall clock (tests).
     * @throws io.tsdb.core.StorageUnavailableException when the data directory's file system cannot be written
     *         (read-only, access denied, no space left), with a message for the operator
     */
    public static Tsdb open(TsdbOptions options, LongSupplier clock) throws IOException {
        try {
            return new Tsdb(options, clock);
        } catch (IOException | java.io.UncheckedIOException e) {
            io.tsdb.core.StorageUnavailableException u = io.tsdb.core.StorageUnavailableException.classify(options.dataDir(), e);
            if (u != null) throw u;
            throw e;
        }
    }

    private Tsdb(TsdbOptions options, LongSupplier clock) throws IOException {
        this.options = options;
        this.clock = clock;
        this.futureToleranceMs = options.futureTolerance().toMillis();
        Path dir = options.dataDir();
        options.fileLayer().createDirectoriesDurably(dir);
        lockChannel = options.fileLayer().open(dir.resolve("LOCK"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
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
        try {
            var step = io.tsdb.core.StartupSteps.begin("head-chunks");
            this.chunkMemory = new ChunkMemory(HeadChunkFiles.open(options.fileLayer(), dir.resolve(HeadChunkFormat.DIR)));
            step.end();
        } catch (IOException | RuntimeException e) {
            dirLock.release();
            lockChannel.close();
            throw e;
        }
        this.head = new Head(() -> new ChunkedSamples(chunkMemory), options.outOfOrderWindow().toMillis(), chunkMemory);
        SeriesRegistry reg = null;
        BlockStore bs = null;
        Wal w = null;
        java.util.concurrent.CompletableFuture<BlockStore> blocksOpening = null;
        java.util.concurrent.CompletableFuture<SeriesRegistry> registryOpening = null;
        try {
            Snapshotter.removeIncomplete(options.fileLayer(), dir);
            // Three independent parts open at once: the blocks (every block's meta.json and index header) and the
            // registry (Chronicle Map opening and scanning the tiers) on threads of their own, the WAL replay on this
            // one. The replay only notes the series it creates; those the registry lacks (none after a clean close)
            // are registered once both are done, before the storage takes any write.
            blocksOpening = openAsync("tsdb-blocks-open", "blocks-open", () -> BlockStore.open(options.fileLayer(), dir.resolve("blocks")));
            registryOpening = openAsync("tsdb-registry-open", "registry", () -> {
                long t0 = System.nanoTime();
                SeriesRegistry r = SeriesRegistry.open(options.fileLayer(), dir.resolve("registry"), options.registryCapacity());
                log.info("series registry opened: {} series in {} tier(s) in {} ms", r.size(), r.tierCount(), (System.nanoTime() - t0) / 1_000_000);
                return r;
            });
            var replay = io.tsdb.core.StartupSteps.begin("wal-replay");
            HeadReplayer replayer = new HeadReplayer(head, index);
            w = Wal.open(options.fileLayer(), dir.resolve("wal"), options.walFsync(), options.walSegmentBytes(),
                    options.walFsyncInterval().toMillis(), replayer);
            if (replayer.unknownSeriesSamples() > 0)
                log.warn("WAL replay skipped {} samples of series ids found neither in the registry nor in the WAL", replayer.unknownSeriesSamples());
            replay.end();
            var wait = io.tsdb.core.StartupSteps.begin("await-registry-blocks");
            reg = awaitOpened(registryOpening);
            registryOpening = null;
            bs = awaitOpened(blocksOpening);
            blocksOpening = null;
            wait.end();
            replayer.registerMissing(reg);
            int nextId = Math.max(reg.nextId(), Math.max(replayer.nextId(), bs.maxSeriesId() + 1));
            this.catalog = new SeriesCatalog(head, index, reg, w, new LabelValidator(options.limits()), options.limits(), metrics, nextId);
        } catch (IOException | RuntimeException e) {
            if (w != null) w.close();
            if (blocksOpening != null) closeOpened(blocksOpening);
            if (registryOpening != null) closeOpened(registryOpening);
            if (bs != null) bs.close();
            if (reg != null) reg.close();
            chunkMemory.files().close();
            dirLock.release();
            lockChannel.close();
            throw e;
        }
        this.registry = reg;
        this.blocks = bs;
        this.wal = w;
        this.generations = new HeadGenerations(head);
        maintenance = daemonScheduler("tsdb-maintenance");
        headMaintenance = daemonScheduler("tsdb-head-maintenance");
        this.flushCycle = new FlushCycle(head, wal, blocks, index, catalog, generations, metrics, clock,
                options.blockDuration().toMillis(), CHURN_QUIET_MS, this::requestHeadMaintenance, this::requestHeadMaintenance);
        long every = Math.max(1000, Math.min(30_000, options.blockDuration().toMillis() / 4));
        headMaintenance.scheduleWithFixedDelay(this::runHeadMaintenance, every, every, TimeUnit.MILLISECONDS);
        maintenance.scheduleWithFixedDelay(this::runBlockMaintenance, every, every, TimeUnit.MILLISECONDS);
    }

    private static ScheduledExecutorService daemonScheduler(String name) {
        return Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
    }

    /** What a part of the storage opens with. */
    private interface Opener<T> {
        T open() throws IOException;
    }

    /** Opens a part of the storage on a thread of its own ({@code thread}), recorded as start-up step {@code step}. */
    private static <T> java.util.concurrent.CompletableFuture<T> openAsync(String thread, String step, Opener<T> opener) {
        java.util.concurrent.CompletableFuture<T> f = new java.util.concurrent.CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                var s = io.tsdb.core.StartupSteps.begin(step);
                f.complete(opener.open());
                s.end();
            } catch (Throwable e) {
                f.completeExceptionally(e);
            }
        }, thread);
        t.setDaemon(true);
        t.start();
        return f;
    }

    /** The opened part, or the exception its opening threw. */
    private static <T> T awaitOpened(java.util.concurrent.CompletableFuture<T> f) throws IOException {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while opening the storage");
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof IOException io) throw io;
            if (c instanceof RuntimeException re) throw re;
            if (c instanceof Error err) throw err;
            throw new IOException(c);
        }
    }

    /**
     * After a failed open: waits for a part's opening to end (the block store may be deleting leftovers of an
     * interrupted compaction) and closes the part if it opened; a failure of its own is dropped for the one being
     * reported.
     */
    private static void closeOpened(java.util.concurrent.CompletableFuture<?> f) {
        try {
            Object c = f.join();
            if (c instanceof SeriesRegistry r) r.close();
            else if (c instanceof BlockStore b) b.close();
        } catch (IOException | RuntimeException e) {
            log.debug("a part of the storage failed to open or close too: {}", e.toString());
        }
    }

    /**
     * Compaction levels: block duration x1, x3, x9, x27 (2h, 6h, 18h, 54h by default), without levels above a
     * tenth of the retention so that retention, which deletes whole blocks, stays close to its setting. Shorter
     * blocks (early cuts under churn) are merged per block duration only where the shortest retention (rules
     * included) is at least ten block durations, for the same reason.
     */
    Compactor compactor() {
        long[] all = Compactor.exponentialRanges(options.blockDuration().toMillis(), 4, 3);
        int n = 1;
        while (n < all.length && all[n] <= options.retention().toMillis() / 10) n++;
        long shortest = options.retention().toMillis();
        for (io.tsdb.core.RetentionRule r : options.retentionRules()) shortest = Math.min(shortest, r.retention().toMillis());
        return new Compactor(java.util.Arrays.copyOf(all, n)).mergeShortBlocks(all[0] <= shortest / 10);
    }

    /**
     * Runs the head's maintenance now on its thread: a commit found the head spanning the block duration, or asks it
     * to look for churn (both requests are the same run).
     */
    private void requestHeadMaintenance() {
        submit(headMaintenance, this::runHeadMaintenance);
    }

    private static void submit(ScheduledExecutorService executor, Runnable task) {
        try {
            executor.execute(task);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closing
        }
    }

    /** The head's part of maintenance; a cut's new block is then compacted on the other thread at once. */
    private void runHeadMaintenance() {
        boolean cut;
        synchronized (headMaintenanceLock) {
            if (closed || !maintainHead()) return;
            cut = headCut;
        }
        if (cut) submit(maintenance, this::runBlockMaintenance);
    }

    /** Whether the last {@link #maintainHead} run wrote a block (guarded by the head-maintenance lock). */
    private boolean headCut;

    private void runBlockMaintenance() {
        synchronized (maintenanceLock) {
            maintainBlocks();
        }
    }

    /**
     * Both parts now, in the calling thread: cut the head into a block when it spans the block duration (or churn
     * left it quiet); apply retention; compact blocks; remove from the registry the series that have no data left;
     * close registry tiers idle since a lookup. Each part waits for a run of its own on the maintenance threads.
     */
    void maintain() {
        synchronized (headMaintenanceLock) {
            if (closed || !maintainHead()) return;
        }
        runBlockMaintenance();
    }

    /** One run of the head's maintenance at a time (a periodic run, a commit's request, a {@link #maintain} call). */
    private final Object headMaintenanceLock = new Object();
    /** One run of the blocks' maintenance at a time (retention, compaction, deletions, the registry). */
    private final Object maintenanceLock = new Object();

    /**
     * The head's part of maintenance (caller holds the head-maintenance lock): cut it into a block when it spans the block
     * duration, when churn left many series quiet or when the WAL asks for it; write the block of a failed flush; remove
     * the series a flush left quiet; close quiet series' open chunks. Returns false when the storage closed meanwhile.
     */
    private boolean maintainHead() {
        headCut = false;
        try {
            // 1. the head: cut it into a block when it spans the block duration, or when the WAL asks for it (a failed
            //    fsync under fsync periodic/never left acknowledged records in a segment not known to be on disk);
            //    write the block of a failed flush's frozen samples
            long persistRequests = wal.persistRequests();
            boolean persist = wal.headPersistRequested();
            long span = head.maxTime() - head.minTime();
            boolean full = span >= options.blockDuration().toMillis();
            int quiet = !full && !persist && head.sampleCount() > 0 && span >= CHURN_MIN_SPAN_MS
                    ? head.quietSeries(head.maxTime() - CHURN_QUIET_MS) : 0;
            boolean churn = quiet >= CHURN_MIN_QUIET && (long) quiet * CHURN_QUIET_SHARE >= head.seriesCount();
            boolean cut = head.sampleCount() > 0 && (full || persist || churn);
            if ((cut || flushCycle.hasUnwrittenFrozen()) && flushRetry.due()) {
                try {
                    if (cut) {
                        if (persist) log.warn("flushing the head: the WAL asks for it after a failed fsync");
                        else if (full) log.info("head spans {} ms >= block duration {}: flushing", span, options.blockDuration());
                        else log.info("{} of the head's {} series went quiet (no sample for {} s): flushing the head early ({} ms)",
                                quiet, head.seriesCount(), CHURN_QUIET_MS / 1000, span);
                        flush();
                        headCut = true;
                        (persist ? walFlushes : full ? spanFlushes : churnFlushes).increment();
                        wal.persisted(persistRequests);
                    } else {
                        flushCycle.writeUnwrittenFrozen();
                        headCut = true;
                    }
                    flushRetry.succeeded();
                } catch (IOException | RuntimeException e) {
                    if (closed) return false;
                    flushRetry.failed(e);   // the frozen samples stay in memory and in the WAL; queries keep answering
                }
            }
            // 1a. series with no samples since the last flush leave the head once its frozen samples are freed
            flushCycle.collectIdle();
            // 1b. series that went quiet give back the memory of their open chunk (the samples stay in the head)
            if (head.sampleCount() > 0) {
                int n = head.closeIdleChunks(head.maxTime() - IDLE_CHUNK_MS);
                if (n > 0) log.debug("closed the open chunks of {} quiet series", n);
            }
        } catch (RuntimeException e) {
            if (!closed) log.error("storage maintenance of the head failed", e);
        }
        return !closed;
    }

    /** The blocks' part of maintenance (caller holds the maintenance lock). */
    private void maintainBlocks() {
        if (closed) return;
        try {
            // 2. retention (whole blocks, then rules)
            if (retentionRetry.due()) {
                try {
                    int n = blocks.applyRetention(now(), options.retention().toMillis());
                    if (n > 0) {
                        log.info("retention deleted {} blocks", n);
                        registryShrinkDue = true;
                    }
                    n = blocks.applyRetentionRules(options.retentionRules(), now());
                    if (n > 0) {
                        log.info("retention rules rewrote {} blocks", n);
                        registryShrinkDue = true;
                    }
                    retentionRetry.succeeded();
                } catch (IOException | RuntimeException e) {
                    if (closed) return;
                    retentionRetry.failed(e);
                }
            }
            // 3. compaction (its sources stay until the merged block is durable)
            if (compactionRetry.due()) {
                try {
                    blocks.compact(compactor());
                    compactionRetry.succeeded();
                } catch (IOException | RuntimeException e) {
                    if (closed) return;
                    compactionRetry.failed(e);
                }
            }
            // 4. block directories whose deletion failed; the registry
            blocks.retryDeletions();
            if (registryRetry.due()) {
                try {
                    if (registryShrinkDue) shrinkRegistry();
                    registry.closeIdleTiers();
                    registryRetry.succeeded();
                } catch (IOException | RuntimeException e) {
                    if (closed) return;
                    registryRetry.failed(e);
                }
            }
        } catch (RuntimeException e) {
            if (!closed) log.error("storage maintenance failed", e);
        }
    }

    /**
     * First and longest delay between attempts of a maintenance step that keeps failing (storage errors). At most a
     * minute, as Prometheus retries a failed compaction at its next one-minute cycle: once space returns a flush
     * completes within about a minute, while the head keeps growing in memory.
     */
    static final long RETRY_MIN_MS = 1_000, RETRY_MAX_MS = 60_000;
    private final Backoff flushRetry = new Backoff("head flush", log, RETRY_MIN_MS, RETRY_MAX_MS, System::nanoTime);
    private final Backoff retentionRetry = new Backoff("retention", log, RETRY_MIN_MS, RETRY_MAX_MS, System::nanoTime);
    private final Backoff compactionRetry = new Backoff("compaction", log, RETRY_MIN_MS, RETRY_MAX_MS, System::nanoTime);
    private final Backoff registryRetry = new Backoff("series registry maintenance", log, RETRY_MIN_MS, RETRY_MAX_MS, System::nanoTime);

    /** The WAL (tests: what the periodic fsync does). */
    io.tsdb.core.wal.Wal walForTesting() { return wal; }

    private final java.util.concurrent.atomic.LongAdder spanFlushes = new java.util.concurrent.atomic.LongAdder(),
            churnFlushes = new java.util.concurrent.atomic.LongAdder(), walFlushes = new java.util.concurrent.atomic.LongAdder();

    /**
     * Head flushes since open by reason: {@code span} (the head spanned the block duration), {@code churn} (cut early,
     * see {@link #CHURN_QUIET_MS}), {@code wal} (the WAL asked for it after a failed fsync), {@code other} (asked
     * through {@link #flush()}: the admin API, a close).
     */
    public java.util.Map<String, Long> flushesByReason() {
        long span = spanFlushes.sum(), churn = churnFlushes.sum(), wal = walFlushes.sum();
        return java.util.Map.of("span", span, "churn", churn, "wal", wal, "other", Math.max(0, flushes() - span - churn - wal));
    }

    /** Consecutive failures of the head flush in maintenance (0 when the last one succeeded). */
    public int flushFailures() { return flushRetry.failures(); }
    /** Consecutive failures of compaction in maintenance. */
    public int compactionFailures() { return compactionRetry.failures(); }

    /**
     * Removes from the registry the series that are neither in the head nor in any block (retention deleted
     * their last block); see {@link SeriesRegistry#retainOnly}. Returns what was done.
     */
    SeriesRegistry.Shrink shrinkRegistry() throws IOException {
        registryShrinkDue = false;
        // no flush meanwhile: one could publish a block after the blocks' ids were read, and the removal of idle
        // series that follows it take a series out of the head before the head is read
        RoaringBitmap live = flushCycle.withoutFlush(() -> {
            RoaringBitmap ids = blocks.seriesIds();
            if (ids != null) head.forEach(s -> ids.add(s.id));
            return ids;
        });
        if (live == null) {
            log.info("series registry: not removing series without data while blocks written before index version 2 remain");
            return SeriesRegistry.Shrink.NONE;
        }
        SeriesRegistry.Shrink r = registry.retainOnly(live::contains, id -> head.byId(id) != null, catalog::underCreationLock, REGISTRY_REWRITE_FRACTION);
        if (r.tiersRewritten() > 0) lastShrink = r;
        return r;
    }

    /** A sealed registry tier is rewritten when at least this fraction of its series have no data left. */
    static final double REGISTRY_REWRITE_FRACTION = 0.25;

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

    /**
     * Drops the idle pooled appender stagings: their arrays (28 bytes a sample of the largest write each served) and
     * WAL encoding buffers (direct, 25 bytes a sample) go with the next collection. For the launcher's heap trimmer,
     * after a flush or compaction: the harness's 75,000-sample writes left four of them, about 15 MB of
     * heap and 7.5 MB of direct memory, a third of the live heap after its ingest (settled RSS 181-186 MiB with
     * them, 153-157 without). Appenders staging now keep theirs; the next write borrows a new one and grows it
     * again. Safe at any time.
     */
    public void releaseIdleStagings() {
        while (stagings.poll() != null) pooledStagings.decrementAndGet();
    }

    @Override public Querier querier(long mint, long maxt) {
        if (closed) throw new IllegalStateException("storage is closed");
        ReadView v;
        do {
            v = generations.current();
        } while (!v.tryAcquire());
        // the view is taken before the block list: a flush adds its block before it supersedes the view
        List<Querier> sources = blocks.queriers(mint, maxt);
        ReadView fv = v;
        sources.add(new HeadQuerier(head, index, mint, maxt, () -> fv.superseded ? ReadMode.ALL : ReadMode.CURRENT));
        return new ViewQuerier(sources, v, seriesIdOf);
    }

    /** Storage-wide id of a label set (-1 when unknown); one instance, so blocks cache their id maps for it. */
    private final java.util.function.ToIntFunction<Labels> seriesIdOf = this::seriesId;

    /** For blocks that do not record series ids (index version 1): the head's id, else the registry's. */
    private int seriesId(Labels l) {
        HeadSeries s = head.get(l);
        return s != null ? s.id : registry.get(l);
    }

    /** {@link #seriesId}: the id the head or the registry holds for a label set, -1 when none (tests). */
    int seriesIdForTesting(Labels l) { return seriesId(l); }

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
     * Writes the head to a new block and truncates the WAL; series that had no samples since the previous
     * flush leave the head (see {@link FlushCycle}).
     */
    @Override public void flush() throws IOException {
        if (closed) throw new IOException("storage is closed");
        flushCycle.flush();
    }

    /**
     * A flush followed by a maintenance run, as maintenance follows its own cuts of the head: the new block is
     * compacted with its neighbours (and sealed registry tiers give back their unused blocks) before this returns,
     * not at the next periodic run up to 30 s later.
     */
    @Override public void flushAndMaintain() throws IOException {
        flush();
        maintain();
    }

    // ---- admin operations (the work is in HeadDeletion, BlockStore and Snapshotter) --------------------

    /** Blocks first, then the head (logged with commits excluded, applied with commits running); no flush meanwhile. */
    @Override public long deleteSeries(List<List<io.tsdb.core.Matcher>> selectors, long mint, long maxt) throws IOException {
        if (closed) throw new IOException("storage is closed");
        return flushCycle.withoutFlush(() -> {
            long n = blocks.deleteSeries(selectors, mint, maxt);
            HeadDeletion.Prepared p = flushCycle.withoutCommits(() -> HeadDeletion.prepare(head, index, wal, selectors, mint, maxt));
            return n + p.apply();
        });
    }

    /** Series whose data is all gone leave the rewritten blocks: the registry may shrink at the next maintenance. */
    @Override public int cleanTombstones() throws IOException {
        if (closed) throw new IOException("storage is closed");
        int n = blocks.cleanTombstones();
        if (n > 0) registryShrinkDue = true;
        return n;
    }

    /** No flush runs meanwhile: the head's samples are in a published block or in the head. */
    @Override public String snapshot(boolean skipHead) throws IOException {
        if (closed) throw new IOException("storage is closed");
        return flushCycle.withoutFlush(() -> {
            Snapshotter.HeadSource src = null;
            if (!skipHead) {
                long mint = head.minTime(), maxt = head.maxTime();
                ReadMode mode = ReadMode.CURRENT;
                long[] unwritten = flushCycle.unwrittenFrozen();
                if (unwritten != null) {   // a failed flush: its samples are in no block yet
                    mint = Math.min(mint, unwritten[0]);
                    maxt = Math.max(maxt, unwritten[1]);
                    mode = ReadMode.ALL;
                }
                ReadMode m = mode;
                src = new Snapshotter.HeadSource(new HeadQuerier(head, index, mint, maxt, () -> m), mint, maxt);
            }
            return Snapshotter.take(options.fileLayer(), options.dataDir(), now(), blocks, registry, src);
        });
    }

    @Override public void close() throws IOException {
        if (closed) return;
        maintenance.shutdownNow();
        headMaintenance.shutdownNow();
        try {
            flushCycle.close(() -> {
                closed = true;
                catalog.close();
                try {
                    wal.close();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                } finally {
                    try {
                        registry.close();
                    } catch (IOException e) {
                        log.error("closing the series registry failed", e);
                    }
                    blocks.close();
                }
            });
        } catch (java.io.UncheckedIOException e) {
            throw e.getCause();
        } finally {
            closed = true;
            chunkMemory.files().close();
            if (dirLock.isValid()) dirLock.release();
            lockChannel.close();
        }
    }

    /**
     * Test hook simulating a process crash: drops the directory lock and file handles without flushing,
     * syncing or closing the registry cleanly (what is written so far stays in the OS page cache).
     */
    void crashForTesting() throws IOException {
        flushCycle.abandon();
        closed = true;
        catalog.close();
        maintenance.shutdownNow();
        headMaintenance.shutdownNow();
        wal.abandon();
        blocks.close();
        chunkMemory.files().abandon();
        dirLock.release();
        lockChannel.close();
        registry.abandon();
    }

    // ---- accessors for the appender and for metrics -------------------------------------------------

    Head head() { return head; }
    SeriesCatalog catalog() { return catalog; }
    TsdbMetrics metrics() { return metrics; }
    long now() { return clock.getAsLong(); }
    long futureToleranceMs() { return futureToleranceMs; }
    boolean isClosed() { return closed; }
    void commit(TsdbAppender a) throws IOException { flushCycle.commit(a); }

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

    /** Bytes of the head's closed chunks held in memory-mapped segment files (docs/format/head-chunks.md). */
    public long headChunkFileBytes() { return chunkMemory.files().liveBytes(); }

    /** Closed head chunks that could not be written to a segment file and were kept in memory. */
    public long headChunkFileWriteFailures() { return chunkMemory.files().writeFailures(); }
    /** Number of WAL corruptions found (and truncated) at open. */
    public long walCorruptions() { return wal.replayResult().corruptions(); }
    /** Bytes dropped from the WAL because of corruption at open. */
    public long walTruncatedBytes() { return wal.replayResult().truncatedBytes(); }
    public WalReplayResult walReplay() { return wal.replayResult(); }
    public long walReplaySamples() { return wal.replayResult().samples(); }
    public long walFsyncs() { return wal.fsyncs(); }
    /** Bytes skipped between valid WAL records because of damage found at open. */
    public long walSkippedBytes() { return wal.replayResult().skippedBytes(); }
    @Override public String writeRefusal() { return wal.refusal(); }
    /** WAL record writes that failed (ENOSPC, EIO); each was undone or its segment sealed. */
    public long walWriteErrors() { return wal.writeErrors(); }
    /** WAL fsyncs that failed; each sealed its segment. */
    public long walFsyncErrors() { return wal.fsyncErrors(); }
    /** Failed WAL writes undone by truncating the segment back to its last whole record. */
    public long walRestoredWrites() { return wal.restoredWrites(); }
    /** WAL segments sealed as suspect after a storage error. */
    public long walSealedSegments() { return wal.sealedSegments(); }
    /** Bytes of not yet acknowledged WAL records dropped with suspect segments (their writes failed). */
    public long walLostBytes() { return wal.lostBytes(); }
    public long walBytesWritten() { return wal.bytesWritten(); }
    public long walDiskBytes() { return wal.diskBytes(); }
    public long walSegment() { return wal.currentSegment(); }
    /** Number of persisted blocks. */
    public int blockCount() { return blocks.blocks().size(); }
    /** Head flushes (to blocks) since open. */
    public long flushes() { return flushCycle.flushes(); }
    /** Wall-clock time of the last flush (ms), or 0. */
    public long lastFlushMillis() { return flushCycle.lastFlushMillis(); }
    /** Series in the series registry (every series with data in a block or in the head). */
    public long registrySeries() { return registry.size(); }
    /** Distinct series over all blocks, or -1 when a block does not record series ids (index version 1). */
    public long blockSeries() {
        RoaringBitmap ids = blocks.seriesIds();
        return ids == null ? -1 : ids.getLongCardinality();
    }
    /** Series that came back into the head from the registry (same id) since open. */
    public long seriesRevived() { return catalog.revivedCount(); }
    /** Series removed from the head (no samples since the previous flush) since open. */
    public long seriesRemoved() { return catalog.removedCount(); }
    /**
     * Lets go of resident memory that only a busy server needs: the pages of the series registry's newest tier that
     * new series touched, and older tiers opened for lookups ({@link SeriesRegistry#releaseResidentPages}). For a
     * caller that saw the server go quiet
     * (the launcher's heap trimmer); safe at any time, a no-op when nothing was touched.
     */
    public void releaseResidentPages() throws IOException {
        if (!closed) registry.releaseResidentPages();
    }
    /** Active series of one metric name (the per-metric limit counts these). */
    public int activeSeries(String metric) { return catalog.activeSeries(metric); }
    /** The last registry rewrite that removed series without data, or {@link SeriesRegistry.Shrink#NONE}. */
    public SeriesRegistry.Shrink lastRegistryShrink() { return lastShrink; }
}
