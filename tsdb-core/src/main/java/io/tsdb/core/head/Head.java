package io.tsdb.core.head;

import io.tsdb.core.AppendStatus;
import io.tsdb.core.Labels;
import io.tsdb.core.StaleNaN;
import io.tsdb.core.histogram.FloatHistogram;
import io.tsdb.core.histogram.Histogram;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The in-memory head: the <em>active</em> series by labels and by storage-wide id, and the append rules
 * (in-order, out-of-order window, duplicates) for float samples and native histograms alike (a series' newest
 * timestamp is shared by both kinds; see {@link HistogramSamples} for how histograms are kept). Durability,
 * validation of label sets and histograms and the choice of ids are the caller's job (see io.tsdb.core.db).
 *
 * <h2>Series tables</h2>
 * Two open-addressing tables of {@link HeadSeries} references with linear probing, one keyed by the label
 * set's hash, one by the series id, both of the same length (a power of two) and holding the same series.
 * Their size follows the number of series in the head, never the highest id ever assigned: ids are
 * storage-wide and never reused, and series leave the head when they go quiet ({@link #removeIdle}), so a
 * dense id-indexed array would grow with every series that ever existed.
 *
 * <p>Invariants: creation and removal are serialised on this object's monitor; lookups ({@link #get},
 * {@link #byId}) take no lock. A new series is published into a slot (release store) after it is fully
 * constructed. A removed series' slots hold {@link #TOMBSTONE}, which lookups step over; creation reuses
 * tombstone slots. When live series plus tombstones would exceed half the length, both tables are rebuilt
 * (without tombstones, sized for the live series, so they also shrink) and replaced; a reader still probing
 * an old array sees a consistent, possibly stale, set. Slots are read with acquire semantics.
 */
public final class Head {
    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(HeadSeries[].class);
    private static final int MIN_TABLE = 1024;
    /** Marks the slots of a removed series. */
    private static final HeadSeries TOMBSTONE = new HeadSeries(-1, Labels.EMPTY, null);

    private final Supplier<SeriesSamples> samplesFactory;
    /** Where closed histogram chunks go (null: the heap). */
    private final ChunkMemory histogramMemory;
    private final long oooWindowMs;
    private volatile HeadSeries[] byLabels = new HeadSeries[MIN_TABLE];
    private volatile HeadSeries[] byIds = new HeadSeries[MIN_TABLE];
    /** Slots that are not null (live series plus tombstones) in the id and label tables. Guarded by this. */
    private int usedIds, usedLabels;
    private volatile int count;
    /** Incremented by every {@link #removeIdle} that removed a series (writers detect removals cheaply). */
    private volatile long removals;
    private final LongAdder samples = new LongAdder();
    private final AtomicLong minT = new AtomicLong(Long.MAX_VALUE);
    private final AtomicLong maxT = new AtomicLong(Long.MIN_VALUE);
    private final ThreadLocal<SampleBuffer> probe = ThreadLocal.withInitial(() -> new SampleBuffer(4));

    public Head(Supplier<SeriesSamples> samplesFactory, long oooWindowMs) {
        this(samplesFactory, oooWindowMs, null);
    }

    /** @param histogramMemory where closed histogram chunks are kept (the float chunks' {@link ChunkMemory}); null: the heap */
    public Head(Supplier<SeriesSamples> samplesFactory, long oooWindowMs, ChunkMemory histogramMemory) {
        this.samplesFactory = samplesFactory;
        this.oooWindowMs = oooWindowMs;
        this.histogramMemory = histogramMemory;
    }

    /** The active series with these labels, or null. */
    public HeadSeries get(Labels labels) {
        HeadSeries[] t = byLabels;
        int mask = t.length - 1, h = labels.hashCode();
        for (int i = spread(h) & mask; ; i = (i + 1) & mask) {
            HeadSeries s = (HeadSeries) SLOT.getAcquire(t, i);
            if (s == null) return null;
            if (s != TOMBSTONE && s.labels.hashCode() == h && s.labels.equals(labels)) return s;
        }
    }

    /** The active series with this id, or null. */
    public HeadSeries byId(int id) {
        HeadSeries[] t = byIds;
        int mask = t.length - 1;
        for (int i = spread(id) & mask; ; i = (i + 1) & mask) {
            HeadSeries s = (HeadSeries) SLOT.getAcquire(t, i);
            if (s == null) return null;
            if (s.id == id && s != TOMBSTONE) return s;
        }
    }

    /**
     * Whether {@code s} is this head's live series with its id: false for a series that left the head (see
     * {@link #removeIdle}) and for one of another head. Lock-free, one probe of the id table: how a writer
     * validates a series reference it kept (see {@link io.tsdb.core.SeriesRef}) without hashing its labels.
     * A series may still leave the head right after; {@link #check} tells under its lock.
     */
    public boolean holds(HeadSeries s) { return s.id >= 0 && byId(s.id) == s; }

    private static int spread(int h) { return (h ^ (h >>> 16)) * 0x9E3779B1; }

    private static int labelsKey(HeadSeries s) { return s.labels.hashCode(); }

    /** Places {@code s} at the first free or tombstone slot of its probe sequence; returns whether it took a free one. */
    private static boolean place(HeadSeries[] t, HeadSeries s, int hash) {
        int mask = t.length - 1;
        int i = spread(hash) & mask;
        while (true) {
            HeadSeries x = t[i];
            if (x == null || x == TOMBSTONE) {
                SLOT.setRelease(t, i, s);
                return x == null;
            }
            i = (i + 1) & mask;
        }
    }

    private static void clear(HeadSeries[] t, HeadSeries s, int hash) {
        int mask = t.length - 1;
        for (int i = spread(hash) & mask; ; i = (i + 1) & mask) {
            HeadSeries x = t[i];
            if (x == null) return;
            if (x == s) {
                SLOT.setRelease(t, i, TOMBSTONE);
                return;
            }
        }
    }

    /** Registers a series; the caller serialises creation and guarantees id and labels are not in the head. */
    public synchronized HeadSeries create(int id, Labels labels) {
        if (id < 0) throw new IllegalArgumentException("negative series id " + id);
        HeadSeries s = new HeadSeries(id, labels, samplesFactory.get());
        if (2 * (Math.max(usedIds, usedLabels) + 1) > byIds.length) rebuild(count + 1);
        // the id table first: a lookup by labels never returns a series that byId does not know yet
        if (place(byIds, s, s.id)) usedIds++;
        if (place(byLabels, s, labelsKey(s))) usedLabels++;
        count = count + 1;
        return s;
    }

    /** Rebuilds both tables without tombstones for {@code live} series (grows or shrinks them). */
    private void rebuild(int live) {
        int len = MIN_TABLE;
        while (len < 4L * live) len <<= 1;   // load at most 1/4 after a rebuild, so growth is rare
        HeadSeries[] ids = new HeadSeries[len], lbl = new HeadSeries[len];
        int n = 0;
        for (HeadSeries s : byIds) {
            if (s == null || s == TOMBSTONE) continue;
            place(ids, s, s.id);
            place(lbl, s, labelsKey(s));
            n++;
        }
        byIds = ids;
        byLabels = lbl;
        usedIds = usedLabels = n;
    }

    /**
     * Removes every series that holds no samples in memory (current, out-of-order or frozen): they went quiet
     * and their data is in blocks. Each removed series is marked removed (see {@link HeadSeries#isRemoved()})
     * and passed to {@code onRemoved} (e.g. to drop it from the label index). The caller excludes commits and
     * series creation meanwhile. Returns how many series were removed.
     */
    public int removeIdle(Consumer<HeadSeries> onRemoved) { return removeIdle(Long.MAX_VALUE, onRemoved); }

    /**
     * As {@link #removeIdle(Consumer)}, only for series whose newest sample is older than {@code before}: between
     * flushes, a series still active when the head was cut may simply not have sent its next sample yet.
     */
    public synchronized int removeIdle(long before, Consumer<HeadSeries> onRemoved) {
        int removed = 0;
        for (HeadSeries s : byIds) {
            if (s == null || s == TOMBSTONE) continue;
            if (!s.markRemovedIfEmpty(before)) continue;
            clear(byIds, s, s.id);
            clear(byLabels, s, labelsKey(s));
            removed++;
            onRemoved.accept(s);
        }
        count = count - removed;
        if (removed > 0) removals = removals + 1;
        if (removed > 0 && byIds.length > MIN_TABLE && 8L * count < byIds.length) rebuild(count);
        return removed;
    }

    /**
     * A counter that changes whenever series are removed: a writer that resolved series when it was {@code e}
     * need not check them for removal while it is still {@code e}.
     */
    public long removals() { return removals; }

    /** Number of series in the head (active series). */
    public int seriesCount() { return count; }

    /** Length of the series tables (tests and memory accounting). */
    int tableLength() { return byIds.length; }

    public long sampleCount() { return samples.sum(); }

    public long minTime() { return minT.get(); }

    public long maxTime() { return maxT.get(); }

    public long oooWindowMs() { return oooWindowMs; }

    /** {@link #check}: the sample is newer than every sample of the series ({@link AppendStatus#OK}, in order). */
    public static final int IN_ORDER = -1;

    /**
     * What {@link #insert} would answer now, without changing anything, as {@link #IN_ORDER} or an
     * {@link AppendStatus#ordinal()}: {@link AppendStatus#SERIES_REMOVED} when the series left the head (the
     * caller finds it again), else the outcome of the append rules ({@link AppendStatus#OK} for a sample that
     * would be stored out of order).
     */
    public int check(HeadSeries s, long t, double v) {
        synchronized (s) {
            if (s.isRemovedLocked()) return SERIES_REMOVED;
            if (t > s.maxT) return IN_ORDER;
            return classify(s, t, v, false).ordinal();
        }
    }

    private static final int SERIES_REMOVED = AppendStatus.SERIES_REMOVED.ordinal();

    /** {@link #insertCommitted}: the sample was stored and is older than the series' newest sample. */
    public static final int STORED_OUT_OF_ORDER = -1;

    /**
     * Inserts the committed samples {@code ts/vs[from, to)} of one series under one lock of it, as a replay of
     * their WAL record would: the out-of-order window is not enforced again. The appender's check admitted each
     * sample against the series' state then, the commit logged it, and a newer sample inserted since (staged
     * before it in the same commit, or a concurrent commit's) must not drop it: it was acknowledged, and a replay
     * after a crash would store it, so the live head stores it too (the head equals what a replay produces).
     * Duplicates are still found. Tells each one's outcome in {@code out[i]}: {@link #STORED_OUT_OF_ORDER}
     * (stored, older than the series' newest sample) or the {@link AppendStatus#ordinal()} of the outcome.
     * Returns false, storing nothing, when the series left the head (the caller brings it back and retries).
     * Head-wide counters are the caller's ({@link #addStats}).
     */
    public boolean insertCommitted(HeadSeries s, long[] ts, double[] vs, int from, int to, int[] out) {
        synchronized (s) {
            if (s.isRemovedLocked()) return false;
            for (int i = from; i < to; i++) {
                long t = ts[i];
                boolean ooo = t < s.maxT;
                AppendStatus st = insertLocked(s, t, vs[i], true);   // admitted and logged: stored as a replay stores it
                out[i] = st == AppendStatus.OK && ooo ? STORED_OUT_OF_ORDER : st.ordinal();
            }
            return true;
        }
    }

    /**
     * Adds a sample. Returns OK when stored, DUPLICATE_SAME_VALUE when already present with the same
     * value (nothing stored), or a rejection. With {@code replay} the out-of-order window is not
     * enforced (the sample was accepted before the restart). A series removed from the head meanwhile
     * ({@link HeadSeries#isRemoved()}) stores nothing and answers {@link AppendStatus#SERIES_REMOVED}: the
     * caller finds the series again (same id) and retries.
     */
    public AppendStatus insert(HeadSeries s, long t, double v, boolean replay) {
        AppendStatus st = insertNoStats(s, t, v, replay);
        if (st == AppendStatus.OK) addStats(1, t, t);
        return st;
    }

    /** As {@link #insert} without updating the head-wide counters; callers batch them with {@link #addStats}. */
    public AppendStatus insertNoStats(HeadSeries s, long t, double v, boolean replay) {
        synchronized (s) {
            return insertLocked(s, t, v, replay);
        }
    }

    /**
     * As {@link #insertNoStats} for a caller that already holds the series' monitor ({@code synchronized (s)}),
     * e.g. WAL replay inserting a run of samples of one series under one lock.
     */
    public AppendStatus insertLocked(HeadSeries s, long t, double v, boolean replay) {
        if (s.isRemovedLocked()) return AppendStatus.SERIES_REMOVED;
        PendingDeletion pd = pendingDeletion;
        if (pd != null) applyLocked(s, pd);   // a deletion logged before this sample: apply it first
        AppendStatus st = classify(s, t, v, replay);
        if (st != AppendStatus.OK) return st;
        if (t > s.maxT) {
            if (s.lastKind != HeadSeries.FLOAT_KIND) {
                if (StaleNaN.is(v)) {
                    // a float stale marker ends a histogram series as a histogram stale marker (as Prometheus's head does)
                    s.histograms(histogramMemory).appendStale(t, s.lastKind);
                    s.maxT = t;
                    return AppendStatus.OK;
                }
                if (s.hist != null) s.hist.closeOpen();   // the switch to floats ends the histogram chunk
                s.lastKind = HeadSeries.FLOAT_KIND;
            }
            s.samples.append(t, v);
            s.maxT = t;
            s.lastBits = Double.doubleToRawLongBits(v);
        } else {
            int pos = s.oooSearch(t);
            s.oooInsert(-pos - 1, t, v);
        }
        return AppendStatus.OK;
    }

    /** Accounts {@code n} stored samples with timestamps in [mint, maxt]. */
    public void addStats(long n, long mint, long maxt) {
        if (n <= 0) return;
        samples.add(n);
        if (mint < minT.get()) minT.accumulateAndGet(mint, Math::min);
        if (maxt > maxT.get()) maxT.accumulateAndGet(maxt, Math::max);
    }

    private AppendStatus classify(HeadSeries s, long t, double v, boolean replay) {
        if (t > s.maxT) return AppendStatus.OK;
        long bits = Double.doubleToRawLongBits(v);
        if (t == s.maxT) {
            if (s.lastKind != HeadSeries.FLOAT_KIND) {   // the newest sample is a histogram: only its stale marker repeats it
                return StaleNaN.is(v) && s.hist != null && s.hist.lastStale() ? AppendStatus.DUPLICATE_SAME_VALUE : AppendStatus.DUPLICATE_DIFFERENT_VALUE;
            }
            return bits == s.lastBits ? AppendStatus.DUPLICATE_SAME_VALUE : AppendStatus.DUPLICATE_DIFFERENT_VALUE;
        }
        if (!replay) {
            if (oooWindowMs <= 0) return AppendStatus.OUT_OF_ORDER;
            if (t < s.maxT - oooWindowMs) return AppendStatus.TOO_OLD;
        }
        int pos = s.oooSearch(t);
        if (pos >= 0) return Double.doubleToRawLongBits(s.oooValue(pos)) == bits ? AppendStatus.DUPLICATE_SAME_VALUE : AppendStatus.DUPLICATE_DIFFERENT_VALUE;
        if (s.samples.count() > 0 && t >= s.samples.minTime()) {
            SampleBuffer b = probe.get();
            b.clear();
            s.samples.read(t, t, b);
            if (b.n > 0) return Double.doubleToRawLongBits(b.v[0]) == bits ? AppendStatus.DUPLICATE_SAME_VALUE : AppendStatus.DUPLICATE_DIFFERENT_VALUE;
        }
        if (s.hist != null && s.hist.compareAt(t, null, null) != 0) return AppendStatus.DUPLICATE_DIFFERENT_VALUE;   // a histogram there
        return AppendStatus.OK;
    }

    // ---- native histograms ----

    /** As {@link #insert} for a histogram sample (exactly one of h, f non-null, validated). */
    public AppendStatus insert(HeadSeries s, long t, Histogram h, FloatHistogram f) {
        AppendStatus st;
        synchronized (s) {
            st = insertHistogramLocked(s, t, h, f, false);
        }
        if (st == AppendStatus.OK) addStats(1, t, t);
        return st;
    }

    /** As {@link #check} for a histogram sample (exactly one of h, f non-null). */
    public int checkHistogram(HeadSeries s, long t, Histogram h, FloatHistogram f) {
        synchronized (s) {
            if (s.isRemovedLocked()) return SERIES_REMOVED;
            if (t > s.maxT) return IN_ORDER;
            return classifyHistogram(s, t, h, f, false).ordinal();
        }
    }

    /**
     * As {@link #insertLocked} for a histogram sample (exactly one of h, f non-null; the head keeps no reference to
     * it). In order it goes to the series' histogram chunks (a switch from float samples ends the float chunk),
     * out of order to its out-of-order list. The caller validated it.
     */
    public AppendStatus insertHistogramLocked(HeadSeries s, long t, Histogram h, FloatHistogram f, boolean replay) {
        if (s.isRemovedLocked()) return AppendStatus.SERIES_REMOVED;
        PendingDeletion pd = pendingDeletion;
        if (pd != null) applyLocked(s, pd);
        AppendStatus st = classifyHistogram(s, t, h, f, replay);
        if (st != AppendStatus.OK) return st;
        HistogramSamples hs = s.histograms(histogramMemory);
        if (t > s.maxT) {
            if (s.lastKind == HeadSeries.FLOAT_KIND) s.samples.closeOpenChunk();   // the switch to histograms ends the float chunk
            hs.append(t, h, f);
            s.maxT = t;
            s.lastKind = h != null ? HistogramBuffer.INT : HistogramBuffer.FLOAT;
            s.lastBits = HeadSeries.bitsOfKind(s.lastKind);
        } else {
            hs.oooInsert(t, h, f);
        }
        return AppendStatus.OK;
    }

    /**
     * Inserts the committed histogram samples [from, to) of one series (for each i, {@code hs[i]} or, when it is
     * null, {@code fs[i]}) under one lock of it, with outcomes as {@link #insertCommitted}.
     */
    public boolean insertCommittedHistograms(HeadSeries s, long[] ts, Histogram[] hs, FloatHistogram[] fs, int from, int to, int[] out) {
        synchronized (s) {
            if (s.isRemovedLocked()) return false;
            for (int i = from; i < to; i++) {
                long t = ts[i];
                boolean ooo = t < s.maxT;
                Histogram h = hs[i];
                AppendStatus st = insertHistogramLocked(s, t, h, h == null ? fs[i] : null, true);   // as insertCommitted
                out[i] = st == AppendStatus.OK && ooo ? STORED_OUT_OF_ORDER : st.ordinal();
            }
            return true;
        }
    }

    private AppendStatus classifyHistogram(HeadSeries s, long t, Histogram h, FloatHistogram f, boolean replay) {
        if (t > s.maxT) return AppendStatus.OK;
        if (t == s.maxT) {
            return s.lastKind != HeadSeries.FLOAT_KIND && s.hist != null && s.hist.lastEquals(h, f)
                    ? AppendStatus.DUPLICATE_SAME_VALUE : AppendStatus.DUPLICATE_DIFFERENT_VALUE;
        }
        if (!replay) {
            if (oooWindowMs <= 0) return AppendStatus.OUT_OF_ORDER;
            if (t < s.maxT - oooWindowMs) return AppendStatus.TOO_OLD;
        }
        if (s.oooSearch(t) >= 0) return AppendStatus.DUPLICATE_DIFFERENT_VALUE;   // a float there
        if (s.samples.count() > 0 && t >= s.samples.minTime() && t <= s.samples.maxTime()) {
            SampleBuffer b = probe.get();
            b.clear();
            s.samples.read(t, t, b);
            if (b.n > 0) return AppendStatus.DUPLICATE_DIFFERENT_VALUE;
        }
        if (s.hist != null) {
            int c = s.hist.compareAt(t, h, f);
            if (c != 0) return c > 0 ? AppendStatus.DUPLICATE_SAME_VALUE : AppendStatus.DUPLICATE_DIFFERENT_VALUE;
        }
        return AppendStatus.OK;
    }

    /**
     * Deletes the series' samples in [mint, maxt] (see {@link HeadSeries#deleteRange}); the head's sample count
     * follows. Time bounds of the head stay as they were (they may then be wider than the data).
     */
    public long deleteRange(HeadSeries s, long mint, long maxt) {
        long removed = s.deleteRange(mint, maxt);
        if (removed > 0) samples.add(-removed);
        return removed;
    }

    /** A deletion logged but not yet applied to every series (see {@link #beginDeletion}). */
    private record PendingDeletion(java.util.Set<Integer> ids, long mint, long maxt) {}
    /** Non-null while a deletion is being applied; read once per inserted sample. */
    private volatile PendingDeletion pendingDeletion;

    /**
     * Starts a deletion of [mint, maxt] from {@code series} whose record is now in the WAL: the caller excludes
     * commits while it calls this, then applies it with {@link #applyDeletion} (commits running) and ends it with
     * {@link #endDeletion}. A commit that reaches one of the series first applies the deletion to it before its
     * own sample (that sample is logged after the deletion, so it must survive it), which keeps the head equal to
     * what a replay of the log produces without pausing ingestion for the rewrite of the series' samples.
     * One deletion at a time (the caller serialises them).
     */
    public void beginDeletion(java.util.Collection<HeadSeries> series, long mint, long maxt) {
        java.util.Set<Integer> ids = java.util.concurrent.ConcurrentHashMap.newKeySet(series.size());
        for (HeadSeries s : series) ids.add(s.id);
        pendingDeletion = new PendingDeletion(ids, mint, maxt);
    }

    /** Applies the pending deletion to {@code s} unless a commit did already. */
    public void applyDeletion(HeadSeries s) {
        PendingDeletion pd = pendingDeletion;
        if (pd == null) return;
        synchronized (s) {
            applyLocked(s, pd);
        }
    }

    private void applyLocked(HeadSeries s, PendingDeletion pd) {
        if (!pd.ids.remove(s.id)) return;
        long removed = s.deleteRange(pd.mint, pd.maxt);
        if (removed > 0) samples.add(-removed);
    }

    /** Ends the deletion started by {@link #beginDeletion} (after {@link #applyDeletion} for every series). */
    public void endDeletion() { pendingDeletion = null; }

    /** Restores the newest timestamp/value of a series whose samples are in blocks (after a restart). */
    public void restoreNewest(HeadSeries s, long maxT, long lastBits) {
        synchronized (s) {
            if (maxT > s.maxT) {
                s.maxT = maxT;
                s.lastBits = lastBits;
                s.lastKind = HeadSeries.kindOfBits(lastBits);
            }
        }
    }

    /** Newest timestamp ever accepted for the series and its value bits, as {maxT, bits}. */
    public long[] newest(HeadSeries s) {
        synchronized (s) {
            return new long[]{s.maxT, s.lastBits};
        }
    }

    /**
     * Closes the open chunk of every series whose newest sample is older than {@code before} (series that went quiet,
     * e.g. the pods of an earlier deploy): their samples stay, the 256 bytes each held for appending are freed.
     * Returns how many chunks were closed.
     */
    public int closeIdleChunks(long before) {
        int[] n = new int[1];
        forEach(s -> { if (s.closeOpenChunkIfIdle(before)) n[0]++; });
        return n[0];
    }

    /**
     * Series with current samples, none of them newer than {@code before}: series that went quiet and would leave
     * the head after the next flush (the churn measure behind an early flush, see io.tsdb.core.db.Tsdb).
     */
    public int quietSeries(long before) {
        int[] n = new int[1];
        forEach(s -> { if (s.isQuietWithSamples(before)) n[0]++; });
        return n[0];
    }

    /** Every series in the head, in no particular order. */
    public void forEach(Consumer<HeadSeries> fn) {
        for (HeadSeries s : byIds) if (s != null && s != TOMBSTONE) fn.accept(s);
    }

    /**
     * After the head's samples were written to a block: moves them aside (still readable by queriers
     * opened before, see {@link HeadSeries#read(long, long, SampleBuffer, ReadMode)}) and starts empty
     * ones. The caller excludes appends meanwhile and calls {@link #releaseFrozen()} once no old querier
     * remains.
     */
    public void freezeAll() {
        forEach(s -> s.freeze(samplesFactory.get()));
        // the frozen chunks are freed together: the segment files holding them go then (see HeadChunkFiles)
        if (histogramMemory != null && histogramMemory.files() != null) histogramMemory.files().cutSegment();
        samples.reset();
        minT.set(Long.MAX_VALUE);
        maxT.set(Long.MIN_VALUE);
    }

    public void releaseFrozen() {
        forEach(HeadSeries::releaseFrozen);
    }

    public long memoryBytes() {
        long[] sum = {8L * byIds.length};   // both tables' slots (compressed references)
        forEach(s -> sum[0] += s.memoryBytes());
        return sum[0];
    }

    public long chunks() {
        long[] sum = {0};
        forEach(s -> sum[0] += s.chunks());
        return sum[0];
    }
}
