package io.tsdb.core.head;

import io.tsdb.core.AppendStatus;
import io.tsdb.core.Labels;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The in-memory head: series by labels and by id, and the append rules (in-order, out-of-order window,
 * duplicates). Durability and validation of label sets are the caller's job (see io.tsdb.core.db.Tsdb).
 *
 * <p>Series by labels: an open-addressing table of series ids (linear probing on the label set's hash,
 * load factor at most 1/2), about 6-12 bytes per series instead of a hash-map node (about 45 bytes).
 * Lookups take no lock; {@link #create} (serialised) publishes the series in {@code byId} before its slot.
 */
public final class Head {
    private final Supplier<SeriesSamples> samplesFactory;
    private final long oooWindowMs;
    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(int[].class);
    /** Slots hold series id + 1 (0 = empty); length a power of two. Replaced (never mutated) when grown. */
    private volatile int[] table = new int[1024];
    private volatile HeadSeries[] byId = new HeadSeries[1024];
    private volatile int count;
    private final LongAdder samples = new LongAdder();
    private final AtomicLong minT = new AtomicLong(Long.MAX_VALUE);
    private final AtomicLong maxT = new AtomicLong(Long.MIN_VALUE);
    private final ThreadLocal<SampleBuffer> probe = ThreadLocal.withInitial(() -> new SampleBuffer(4));

    public Head(Supplier<SeriesSamples> samplesFactory, long oooWindowMs) {
        this.samplesFactory = samplesFactory;
        this.oooWindowMs = oooWindowMs;
    }

    public HeadSeries get(Labels labels) {
        int[] t = table;
        int mask = t.length - 1, h = labels.hashCode();
        for (int i = spread(h) & mask; ; i = (i + 1) & mask) {
            int v = (int) SLOT.getAcquire(t, i);
            if (v == 0) return null;
            HeadSeries s = byId(v - 1);
            if (s != null && s.labels.hashCode() == h && s.labels.equals(labels)) return s;
        }
    }

    private static int spread(int h) { return (h ^ (h >>> 16)) * 0x9E3779B1; }

    private static void place(int[] t, int id, int hash) {
        int mask = t.length - 1;
        int i = spread(hash) & mask;
        while (t[i] != 0) i = (i + 1) & mask;
        SLOT.setRelease(t, i, id + 1);
    }

    public HeadSeries byId(int id) {
        HeadSeries[] a = byId;
        return id >= 0 && id < a.length ? a[id] : null;
    }

    /** Registers a series; the caller serialises creation and guarantees id and labels are new. */
    public synchronized HeadSeries create(int id, Labels labels) {
        HeadSeries s = new HeadSeries(id, labels, samplesFactory.get());
        HeadSeries[] a = byId;
        if (id >= a.length) {
            a = Arrays.copyOf(a, Math.max(id + 1, a.length * 2));
        }
        a[id] = s;
        byId = a;
        int n = count + 1;
        int[] t = table;
        if (2 * n > t.length) {
            int[] grown = new int[t.length * 2];
            for (int v : t) if (v != 0) place(grown, v - 1, a[v - 1].labels.hashCode());
            place(grown, id, labels.hashCode());
            table = grown;
        } else {
            place(t, id, labels.hashCode());
        }
        count = n;
        return s;
    }

    public int seriesCount() { return count; }

    public long sampleCount() { return samples.sum(); }

    public long minTime() { return minT.get(); }

    public long maxTime() { return maxT.get(); }

    public long oooWindowMs() { return oooWindowMs; }

    /** What {@link #insert} would answer now, without changing anything. */
    public AppendStatus check(HeadSeries s, long t, double v) {
        synchronized (s) {
            return classify(s, t, v, false);
        }
    }

    /**
     * Adds a sample. Returns OK when stored, DUPLICATE_SAME_VALUE when already present with the same
     * value (nothing stored), or a rejection. With {@code replay} the out-of-order window is not
     * enforced (the sample was accepted before the restart).
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
        AppendStatus st = classify(s, t, v, replay);
        if (st != AppendStatus.OK) return st;
        if (t > s.maxT) {
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
        if (t == s.maxT) return bits == s.lastBits ? AppendStatus.DUPLICATE_SAME_VALUE : AppendStatus.DUPLICATE_DIFFERENT_VALUE;
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
        return AppendStatus.OK;
    }

    /** Restores the newest timestamp/value of a series whose samples are in blocks (after a restart). */
    public void restoreNewest(HeadSeries s, long maxT, long lastBits) {
        synchronized (s) {
            if (maxT > s.maxT) {
                s.maxT = maxT;
                s.lastBits = lastBits;
            }
        }
    }

    /** Newest timestamp ever accepted for the series and its value bits, as {maxT, bits}. */
    public long[] newest(HeadSeries s) {
        synchronized (s) {
            return new long[]{s.maxT, s.lastBits};
        }
    }

    /** Every series, by id. */
    public void forEach(Consumer<HeadSeries> fn) {
        for (HeadSeries s : byId) if (s != null) fn.accept(s);
    }

    /**
     * After the head's samples were written to a block: moves them aside (still readable by queriers
     * opened before, see {@link HeadSeries#read(long, long, SampleBuffer, boolean)}) and starts empty
     * ones. The caller excludes appends meanwhile and calls {@link #releaseFrozen()} once no old querier
     * remains.
     */
    public void freezeAll() {
        forEach(s -> s.freeze(samplesFactory.get()));
        samples.reset();
        minT.set(Long.MAX_VALUE);
        maxT.set(Long.MIN_VALUE);
    }

    public void releaseFrozen() {
        forEach(HeadSeries::releaseFrozen);
    }

    public long memoryBytes() {
        long[] sum = {8L * count};   // byId and table slots, roughly
        forEach(s -> sum[0] += s.memoryBytes());
        return sum[0];
    }

    public long chunks() {
        long[] sum = {0};
        forEach(s -> sum[0] += s.chunks());
        return sum[0];
    }
}
