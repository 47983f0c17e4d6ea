package io.tsdb.core.head;

import io.tsdb.core.Labels;
import io.tsdb.core.SeriesRef;

import java.util.Arrays;
import java.util.function.Supplier;

/**
 * One series in the head: in-order samples (compressed/off-heap via {@link SeriesSamples}) plus a small
 * sorted on-heap buffer of out-of-order samples, merged on read. All access is synchronised on the
 * instance. {@code maxT} survives a flush of the samples, so out-of-order and duplicate checks keep
 * working after the head was persisted.
 *
 * <p>One instance per active series: rarely used state (out-of-order samples, frozen samples) lives in
 * separate objects allocated only when needed, so a series with in-order samples costs a few fields.
 *
 * <p>It is also the {@link SeriesRef} that appenders hand out: a writer keeps it and passes it back, and the
 * appender accepts it only while it is still this head's series ({@link Head#holds}) and not removed.
 */
public final class HeadSeries implements SeriesRef {
    public final int id;
    public final Labels labels;
    SeriesSamples samples;
    /** Samples already persisted to a block but still visible to queriers opened before that flush. */
    Frozen frozen;
    /** Out-of-order samples (null when none). */
    OooSamples ooo;
    /** Native histogram samples (null until the series' first one). */
    HistogramSamples hist;
    /** Newest accepted timestamp ever (Long.MIN_VALUE when none); value bits of that sample. */
    long maxT = Long.MIN_VALUE;
    long lastBits;
    /**
     * What the newest sample is: {@link #FLOAT_KIND} or a {@link HistogramBuffer} kind ({@code INT}, {@code FLOAT}
     * histogram); then {@link #lastBits} is {@link #HISTOGRAM_BITS} or {@link #FLOAT_HISTOGRAM_BITS}, so that the
     * kind survives a restart through the WAL checkpoint's series state.
     */
    byte lastKind;
    static final byte FLOAT_KIND = 0;
    /** {@link #lastBits} of a series whose newest sample is an integer / float histogram (NaN payloads). */
    public static final long HISTOGRAM_BITS = 0x7ff8_4849_5354_0001L, FLOAT_HISTOGRAM_BITS = 0x7ff8_4849_5354_0002L;

    static byte kindOfBits(long bits) {
        return bits == HISTOGRAM_BITS ? HistogramBuffer.INT : bits == FLOAT_HISTOGRAM_BITS ? HistogramBuffer.FLOAT : FLOAT_KIND;
    }

    static long bitsOfKind(byte kind) { return kind == HistogramBuffer.INT ? HISTOGRAM_BITS : FLOAT_HISTOGRAM_BITS; }

    /** The histogram samples, created on first use. */
    HistogramSamples histograms(ChunkMemory mem) {
        if (hist == null) hist = new HistogramSamples(mem);
        return hist;
    }

    /** The samples of a series removed from the head: always empty, refuses appends. */
    private static final SeriesSamples REMOVED = new SeriesSamples() {
        @Override public void append(long t, double v) { throw new IllegalStateException("series was removed from the head"); }
        @Override public int count() { return 0; }
        @Override public long minTime() { return Long.MAX_VALUE; }
        @Override public long maxTime() { return Long.MIN_VALUE; }
        @Override public void read(long mint, long maxt, SampleBuffer out) { }
        @Override public long memoryBytes() { return 0; }
        @Override public int chunks() { return 0; }
        @Override public void clear() { }
    };

    /** In-order and out-of-order samples (and histogram samples, or null) moved aside by a flush. */
    record Frozen(SeriesSamples samples, OooSamples ooo, HistogramSamples hist) {
        void clear() {
            samples.clear();
            if (hist != null) hist.clear();
        }
    }

    /** A small sorted buffer of out-of-order samples. */
    static final class OooSamples {
        long[] t = new long[8];
        double[] v = new double[8];
        int n;
    }

    HeadSeries(int id, Labels labels, SeriesSamples samples) {
        this.id = id;
        this.labels = labels;
        this.samples = samples;
    }

    @Override public Labels labels() { return labels; }

    /**
     * Marks the series removed from the head if it holds no samples in memory (current, out-of-order or
     * frozen), freeing what its empty sample store holds; returns whether it did. A removed series stays
     * readable (empty) by queriers that still hold it and refuses inserts ({@link #isRemoved()}).
     */
    synchronized boolean markRemovedIfEmpty() { return markRemovedIfEmpty(Long.MAX_VALUE); }

    /**
     * As {@link #markRemovedIfEmpty()}, only for a series whose newest sample is older than {@code before} (with
     * {@code before < Long.MAX_VALUE}, never one without any sample: a writer may have just created it for samples
     * it has not committed yet).
     */
    synchronized boolean markRemovedIfEmpty(long before) {
        if (samples == REMOVED) return true;
        if (maxT >= before || (maxT == Long.MIN_VALUE && before != Long.MAX_VALUE)) return false;
        if (samples.count() > 0 || (ooo != null && ooo.n > 0) || frozen != null || (hist != null && hist.count() > 0)) return false;
        samples.clear();
        samples = REMOVED;
        ooo = null;
        if (hist != null) hist.clear();
        hist = null;
        return true;
    }

    /** Whether the series left the head (see {@link Head#removeIdle}); a new series with the same id may exist there. */
    public synchronized boolean isRemoved() { return samples == REMOVED; }

    /** As {@link #isRemoved()} for a caller holding this series' monitor. */
    boolean isRemovedLocked() { return samples == REMOVED; }

    /** Samples currently held in memory (in order plus out of order). */
    public synchronized int sampleCount() { return samples.count() + (ooo == null ? 0 : ooo.n) + (hist == null ? 0 : hist.count()); }

    public synchronized long maxTime() { return maxT; }

    public synchronized long minTime() {
        long m = samples.minTime();
        if (hist != null) m = Math.min(m, hist.minTime());
        return ooo != null && ooo.n > 0 ? Math.min(m, ooo.t[0]) : m;
    }

    /**
     * Whether the series has samples in [mint, maxt] in the part(s) {@code mode} reads, from time bounds only
     * (no decoding): exact for out-of-order samples; for in-order samples true when their [first, last]
     * span overlaps the range, so a gap between two samples wider than the whole range may count.
     */
    public synchronized boolean hasSamplesIn(long mint, long maxt, Supplier<ReadMode> mode) {
        ReadMode m = mode.get();
        if (m == ReadMode.FROZEN) return frozen != null && partHas(frozen.samples, frozen.ooo, frozen.hist, mint, maxt);
        if (partHas(samples, ooo, hist, mint, maxt)) return true;
        return m == ReadMode.ALL && frozen != null && partHas(frozen.samples, frozen.ooo, frozen.hist, mint, maxt);
    }

    private static boolean partHas(SeriesSamples s, OooSamples ooo, HistogramSamples hist, long mint, long maxt) {
        if (hist != null && hist.hasSamplesIn(mint, maxt)) return true;
        if (s.count() > 0 && s.minTime() <= maxt && s.maxTime() >= mint) return true;
        if (ooo == null || ooo.n == 0) return false;
        int i = Arrays.binarySearch(ooo.t, 0, ooo.n, mint);
        if (i >= 0) return true;
        i = -i - 1;
        return i < ooo.n && ooo.t[i] <= maxt;
    }

    /** Index of t in the OOO buffer, or -(insertion point)-1. */
    int oooSearch(long t) {
        return ooo == null || ooo.n == 0 ? -1 : Arrays.binarySearch(ooo.t, 0, ooo.n, t);
    }

    /** Value of the out-of-order sample at {@code pos} (from {@link #oooSearch}). */
    double oooValue(int pos) { return ooo.v[pos]; }

    void oooInsert(int pos, long t, double v) {
        OooSamples o = ooo;
        if (o == null) {
            o = ooo = new OooSamples();
        } else if (o.n == o.t.length) {
            o.t = Arrays.copyOf(o.t, o.n * 2);
            o.v = Arrays.copyOf(o.v, o.n * 2);
        }
        System.arraycopy(o.t, pos, o.t, pos + 1, o.n - pos);
        System.arraycopy(o.v, pos, o.v, pos + 1, o.n - pos);
        o.t[pos] = t;
        o.v[pos] = v;
        o.n++;
    }

    /** Reads current samples in [mint, maxt] into {@code out} (cleared first), merging out-of-order samples. */
    public synchronized void read(long mint, long maxt, SampleBuffer out) {
        read(mint, maxt, out, ReadMode.CURRENT);
    }

    /**
     * As {@link #read(long, long, SampleBuffer, ReadMode)} with the mode asked while holding this series' lock:
     * a flush marks the readers' view superseded before it freezes the series (under the same lock), so a
     * reader deciding on {@link ReadMode#CURRENT} can never find its samples frozen meanwhile.
     */
    public synchronized void read(long mint, long maxt, SampleBuffer out, Supplier<ReadMode> mode) {
        read(mint, maxt, out, mode.get());
    }

    /**
     * Reads current samples, current and frozen ones (for queriers that do not see the block the frozen ones
     * went to; on equal timestamps the newer, unfrozen sample wins), or only frozen ones (to write them to a block).
     */
    public synchronized void read(long mint, long maxt, SampleBuffer out, ReadMode mode) {
        out.clear();
        if (mode == ReadMode.FROZEN) {
            if (frozen != null) readPart(frozen.samples, frozen.ooo, frozen.hist, mint, maxt, out);
            return;
        }
        if (mode == ReadMode.CURRENT || frozen == null) {
            readPart(samples, ooo, hist, mint, maxt, out);
            return;
        }
        readPart(frozen.samples, frozen.ooo, frozen.hist, mint, maxt, out);
        SampleBuffer cur = out.aux();
        cur.clear();
        readPart(samples, ooo, hist, mint, maxt, cur);
        out.mergeFrom(cur);
        if (cur.hasHistograms()) out.histograms().mergeFrom(cur.hist);
    }

    private static void readPart(SeriesSamples samples, OooSamples ooo, HistogramSamples hist, long mint, long maxt, SampleBuffer out) {
        if (hist != null && hist.count() > 0) hist.read(mint, maxt, out.histograms());
        samples.read(mint, maxt, out);
        if (ooo == null || ooo.n == 0) return;
        long[] oooT = ooo.t;
        double[] oooV = ooo.v;
        int oooN = ooo.n;
        int lo = Arrays.binarySearch(oooT, 0, oooN, mint);
        if (lo < 0) lo = -lo - 1;
        int hi = lo;
        while (hi < oooN && oooT[hi] <= maxt) hi++;
        int k = hi - lo;
        if (k == 0) return;
        out.ensure(k);
        // merge from the back: out[0..n) and ooo[lo..hi) are both sorted and share no timestamp
        int i = out.n - 1, j = hi - 1, w = out.n + k - 1;
        while (j >= lo) {
            if (i >= 0 && out.t[i] > oooT[j]) { out.t[w] = out.t[i]; out.v[w] = out.v[i]; i--; }
            else { out.t[w] = oooT[j]; out.v[w] = oooV[j]; j--; }
            w--;
        }
        out.n += k;
    }

    /**
     * Whether {@link #deleteRange} would change anything: a sample in [mint, maxt] (current, out-of-order or
     * frozen ones, by time bounds), or the newest accepted timestamp lies in it.
     */
    public synchronized boolean touches(long mint, long maxt) {
        if (maxT >= mint && maxT <= maxt) return true;
        if (partHas(samples, ooo, hist, mint, maxt)) return true;
        return frozen != null && partHas(frozen.samples, frozen.ooo, frozen.hist, mint, maxt);
    }

    /**
     * Deletes the samples in [mint, maxt] (delete_series): in-order and out-of-order ones, and frozen ones not
     * yet in a block. When the newest accepted timestamp lies in the range it falls back to the newest sample
     * left in the head ({@code Long.MIN_VALUE} when none), so deleted data can be written again. Returns how many
     * current (not frozen) samples were removed.
     */
    public synchronized long deleteRange(long mint, long maxt) {
        long removed = deleteIn(samples, mint, maxt) + deleteOoo(ooo, mint, maxt);
        if (hist != null) removed += hist.deleteRange(mint, maxt);
        if (frozen != null) {
            deleteIn(frozen.samples, mint, maxt);
            deleteOoo(frozen.ooo, mint, maxt);
            if (frozen.hist != null) frozen.hist.deleteRange(mint, maxt);
        }
        if (maxT >= mint && maxT <= maxt) {
            maxT = Long.MIN_VALUE;
            lastBits = 0;
            lastKind = FLOAT_KIND;
            newest(samples, ooo, hist);
            if (frozen != null) newest(frozen.samples, frozen.ooo, frozen.hist);
        }
        return removed;
    }

    /** Raises maxT/lastBits/lastKind to the newest sample of a part if it is newer. */
    private void newest(SeriesSamples s, OooSamples o, HistogramSamples h) {
        if (h != null) {
            byte[] kind = new byte[1];
            long t = h.newest(kind);
            if (t > maxT) {
                maxT = t;
                lastKind = kind[0];
                lastBits = bitsOfKind(kind[0]);
            }
        }
        if (s.count() > 0 && s.maxTime() > maxT) {
            SampleBuffer b = new SampleBuffer(4);
            s.read(s.maxTime(), s.maxTime(), b);
            maxT = s.maxTime();
            lastBits = Double.doubleToRawLongBits(b.v[b.n - 1]);
            lastKind = FLOAT_KIND;
        }
        if (o != null && o.n > 0 && o.t[o.n - 1] > maxT) {
            maxT = o.t[o.n - 1];
            lastBits = Double.doubleToRawLongBits(o.v[o.n - 1]);
            lastKind = FLOAT_KIND;
        }
    }

    /** Rewrites {@code s} without its samples in [mint, maxt]; returns how many were removed. */
    private static long deleteIn(SeriesSamples s, long mint, long maxt) {
        if (s.count() == 0 || s.maxTime() < mint || s.minTime() > maxt) return 0;
        if (mint <= s.minTime() && maxt >= s.maxTime()) {   // everything goes: no decoding
            int n = s.count();
            s.clear();
            return n;
        }
        SampleBuffer b = new SampleBuffer(s.count());
        s.read(Long.MIN_VALUE, Long.MAX_VALUE, b);
        s.clear();
        int kept = 0;
        for (int i = 0; i < b.n; i++) {
            if (b.t[i] >= mint && b.t[i] <= maxt) continue;
            s.append(b.t[i], b.v[i]);
            kept++;
        }
        return b.n - kept;
    }

    private static long deleteOoo(OooSamples o, long mint, long maxt) {
        if (o == null || o.n == 0) return 0;
        int w = 0;
        for (int i = 0; i < o.n; i++) {
            if (o.t[i] >= mint && o.t[i] <= maxt) continue;
            o.t[w] = o.t[i];
            o.v[w] = o.v[i];
            w++;
        }
        long removed = o.n - w;
        o.n = w;
        return removed;
    }

    /** Closes the open chunk if the newest sample is older than {@code before}; returns whether it did. */
    synchronized boolean closeOpenChunkIfIdle(long before) {
        if (maxT >= before) return false;
        boolean closed = samples.closeOpenChunk();
        return (hist != null && hist.closeIdle()) | closed;
    }

    /**
     * Whether the series holds current (unflushed) samples and none newer than {@code before}: a flush would move
     * them to a block and the series would then leave the head (see {@link Head#quietSeries}).
     */
    synchronized boolean isQuietWithSamples(long before) {
        return maxT < before && (samples.chunks() > 0 || (ooo != null && ooo.n > 0) || (hist != null && hist.count() > 0));
    }

    /** Moves the current samples aside (they were written to a block) and starts empty ones. */
    synchronized void freeze(SeriesSamples fresh) {
        if (frozen != null) frozen.clear();
        frozen = new Frozen(samples, ooo, hist);
        samples = fresh;
        ooo = null;
        hist = hist == null ? null : hist.successor();   // keeps the newest histogram for duplicate checks
    }

    /** Frees frozen samples once no querier can read them. */
    synchronized void releaseFrozen() {
        if (frozen != null) frozen.clear();
        frozen = null;
    }

    synchronized void clearSamples() {
        samples.clear();
        ooo = null;
        if (hist != null) hist.clear();
        hist = null;
    }

    synchronized long memoryBytes() {
        return 48 + samples.memoryBytes() + oooBytes(ooo) + (hist == null ? 0 : hist.memoryBytes())
                + (frozen == null ? 0 : 16 + frozen.samples.memoryBytes() + oooBytes(frozen.ooo) + (frozen.hist == null ? 0 : frozen.hist.memoryBytes()));
    }

    private static long oooBytes(OooSamples o) {
        return o == null ? 0 : 24 + 32 + 16L * o.t.length;
    }

    synchronized int chunks() {
        return samples.chunks() + (hist == null ? 0 : hist.chunks())
                + (frozen == null ? 0 : frozen.samples.chunks() + (frozen.hist == null ? 0 : frozen.hist.chunks()));
    }
}
