package io.tsdb.core.head;

import io.tsdb.core.Labels;

import java.util.Arrays;

/**
 * One series in the head: in-order samples (compressed/off-heap via {@link SeriesSamples}) plus a small
 * sorted on-heap buffer of out-of-order samples, merged on read. All access is synchronised on the
 * instance. {@code maxT} survives a flush of the samples, so out-of-order and duplicate checks keep
 * working after the head was persisted.
 */
public final class HeadSeries {
    public final int id;
    public final Labels labels;
    SeriesSamples samples;
    /** Samples already persisted to a block but still visible to queriers opened before that flush. */
    SeriesSamples frozen;
    long[] frozenOooT;
    double[] frozenOooV;
    int frozenOooN;
    /** Newest accepted timestamp ever (Long.MIN_VALUE when none); value bits of that sample. */
    long maxT = Long.MIN_VALUE;
    long lastBits;
    long[] oooT;
    double[] oooV;
    int oooN;

    HeadSeries(int id, Labels labels, SeriesSamples samples) {
        this.id = id;
        this.labels = labels;
        this.samples = samples;
    }

    /** Samples currently held in memory (in order plus out of order). */
    public synchronized int sampleCount() { return samples.count() + oooN; }

    public synchronized long maxTime() { return maxT; }

    public synchronized long minTime() {
        long m = samples.minTime();
        return oooN > 0 ? Math.min(m, oooT[0]) : m;
    }

    /** Index of t in the OOO buffer, or -(insertion point)-1. */
    int oooSearch(long t) {
        return oooN == 0 ? -1 : Arrays.binarySearch(oooT, 0, oooN, t);
    }

    void oooInsert(int pos, long t, double v) {
        if (oooT == null) {
            oooT = new long[8];
            oooV = new double[8];
        } else if (oooN == oooT.length) {
            oooT = Arrays.copyOf(oooT, oooN * 2);
            oooV = Arrays.copyOf(oooV, oooN * 2);
        }
        System.arraycopy(oooT, pos, oooT, pos + 1, oooN - pos);
        System.arraycopy(oooV, pos, oooV, pos + 1, oooN - pos);
        oooT[pos] = t;
        oooV[pos] = v;
        oooN++;
    }

    /** Reads samples in [mint, maxt] into {@code out} (cleared first), merging out-of-order samples. */
    public synchronized void read(long mint, long maxt, SampleBuffer out) {
        read(mint, maxt, out, false);
    }

    /**
     * As {@link #read(long, long, SampleBuffer)}; with {@code includeFrozen} also the samples frozen by the
     * last flush (for queriers that do not see the block they went to). On equal timestamps the newer
     * (unfrozen) sample wins.
     */
    public synchronized void read(long mint, long maxt, SampleBuffer out, boolean includeFrozen) {
        read(mint, maxt, out, includeFrozen ? READ_ALL : READ_CURRENT);
    }

    public static final int READ_CURRENT = 0, READ_ALL = 1, READ_FROZEN = 2;

    /**
     * As {@link #read(long, long, SampleBuffer, int)} with the mode asked while holding this series' lock: a
     * flush marks the readers' view superseded before it freezes the series (under the same lock), so a
     * reader deciding on READ_CURRENT can never find its samples frozen meanwhile.
     */
    public synchronized void read(long mint, long maxt, SampleBuffer out, java.util.function.IntSupplier mode) {
        read(mint, maxt, out, mode.getAsInt());
    }

    /** Reads current samples, current and frozen ones, or only frozen ones (to write them to a block). */
    public synchronized void read(long mint, long maxt, SampleBuffer out, int mode) {
        out.clear();
        if (mode == READ_FROZEN) {
            if (frozen != null) readPart(frozen, frozenOooT, frozenOooV, frozenOooN, mint, maxt, out);
            return;
        }
        if (mode == READ_CURRENT || frozen == null) {
            readPart(samples, oooT, oooV, oooN, mint, maxt, out);
            return;
        }
        readPart(frozen, frozenOooT, frozenOooV, frozenOooN, mint, maxt, out);
        SampleBuffer cur = out.aux();
        cur.clear();
        readPart(samples, oooT, oooV, oooN, mint, maxt, cur);
        out.mergeFrom(cur);
    }

    private static void readPart(SeriesSamples samples, long[] oooT, double[] oooV, int oooN, long mint, long maxt, SampleBuffer out) {
        samples.read(mint, maxt, out);
        if (oooN == 0) return;
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

    /** Moves the current samples aside (they were written to a block) and starts empty ones. */
    synchronized void freeze(SeriesSamples fresh) {
        if (frozen != null) frozen.clear();
        frozen = samples;
        frozenOooT = oooT;
        frozenOooV = oooV;
        frozenOooN = oooN;
        samples = fresh;
        oooT = null;
        oooV = null;
        oooN = 0;
    }

    /** Frees frozen samples once no querier can read them. */
    synchronized void releaseFrozen() {
        if (frozen != null) frozen.clear();
        frozen = null;
        frozenOooT = null;
        frozenOooV = null;
        frozenOooN = 0;
    }

    synchronized void clearSamples() {
        samples.clear();
        oooT = null;
        oooV = null;
        oooN = 0;
    }

    synchronized long memoryBytes() {
        return 80 + samples.memoryBytes() + (oooT == null ? 0 : 16L * oooT.length + 32)
                + (frozen == null ? 0 : frozen.memoryBytes()) + (frozenOooT == null ? 0 : 16L * frozenOooT.length + 32);
    }

    synchronized int chunks() { return samples.chunks() + (frozen == null ? 0 : frozen.chunks()); }
}
