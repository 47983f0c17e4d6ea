package io.tsdb.core.head;

import java.util.Arrays;

/** Reusable column arrays of decoded samples (timestamps and values), grown on demand, never shrunk. */
public final class SampleBuffer {
    public long[] t;
    public double[] v;
    public int n;

    public SampleBuffer() { this(64); }

    public SampleBuffer(int capacity) {
        t = new long[capacity];
        v = new double[capacity];
    }

    public void clear() { n = 0; }

    public void ensure(int extra) {
        int need = n + extra;
        if (need > t.length) {
            int cap = Math.max(need, t.length * 2);
            t = Arrays.copyOf(t, cap);
            v = Arrays.copyOf(v, cap);
        }
    }

    public void add(long ts, double val) {
        if (n == t.length) ensure(1);
        t[n] = ts;
        v[n] = val;
        n++;
    }
}
