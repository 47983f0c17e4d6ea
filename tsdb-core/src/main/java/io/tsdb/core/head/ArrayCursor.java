package io.tsdb.core.head;

import io.tsdb.core.SampleCursor;

/** A reusable {@link SampleCursor} over a {@link SampleBuffer}; no allocation per sample. */
public final class ArrayCursor implements SampleCursor {
    private long[] t;
    private double[] v;
    private int n;
    private int i;

    public ArrayCursor reset(SampleBuffer b) {
        this.t = b.t;
        this.v = b.v;
        this.n = b.n;
        this.i = -1;
        return this;
    }

    @Override public boolean next() {
        if (i < n) i++;
        return i < n;
    }

    @Override public boolean seek(long ts) {
        if (i < 0) i = 0;
        if (i >= n) return false;
        if (t[i] >= ts) return true;
        int lo = i + 1, hi = n;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (t[mid] < ts) lo = mid + 1; else hi = mid;
        }
        i = lo;
        return i < n;
    }

    @Override public int readFloats(long maxt, long[] dt, double[] dv, int off, int max) {
        if (i < 0 || i >= n || max <= 0) return 0;
        int k = copyRun(t, v, i, n, maxt, dt, dv, off, max);
        if (k > 0) i += k - 1;
        return k;
    }

    /**
     * The run copy behind {@code readFloats} of cursors over decoded arrays: copies samples {@code from} on (at most
     * {@code max}, none past index {@code n} or timestamp {@code maxt}) into {@code dt}/{@code dv} at {@code off};
     * returns how many. The cursor then stands on the last one copied.
     */
    public static int copyRun(long[] t, double[] v, int from, int n, long maxt, long[] dt, double[] dv, int off, int max) {
        int end = Math.min(n, from + max);
        if (t[end - 1] > maxt) end = upperBound(t, from, end, maxt);
        int k = end - from;
        if (k <= 0) return 0;
        System.arraycopy(t, from, dt, off, k);
        System.arraycopy(v, from, dv, off, k);
        return k;
    }

    /** The first index in [from, to) whose timestamp is after x (to if none). */
    public static int upperBound(long[] t, int from, int to, long x) {
        int lo = from, hi = to;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (t[mid] <= x) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    @Override public long timestamp() { return t[i]; }

    @Override public double value() { return v[i]; }
}
