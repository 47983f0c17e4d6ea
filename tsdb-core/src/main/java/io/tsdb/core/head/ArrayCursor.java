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
        int end = Math.min(n, i + max);
        if (t[end - 1] > maxt) end = upperBound(t, i, end, maxt);
        int k = end - i;
        if (k <= 0) return 0;
        System.arraycopy(t, i, dt, off, k);
        System.arraycopy(v, i, dv, off, k);
        i = end - 1;
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
