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

    private long[] st = new long[0];
    private double[] sv = new double[0];

    public void clear() { n = 0; }

    /** Scratch arrays for decoding a chunk before copying the wanted range (grown on demand). */
    long[] scratchT(int cap) {
        if (st.length < cap) st = new long[Math.max(cap, 128)];
        return st;
    }

    double[] scratchV(int cap) {
        if (sv.length < cap) sv = new double[Math.max(cap, 128)];
        return sv;
    }

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
