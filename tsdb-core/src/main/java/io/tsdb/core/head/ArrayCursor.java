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

    @Override public long timestamp() { return t[i]; }

    @Override public double value() { return v[i]; }
}
