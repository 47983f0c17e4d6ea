package io.tsdb.core.head;

import java.util.Arrays;

/**
 * Reusable column arrays of decoded samples (timestamps and values), grown on demand, never shrunk. Histogram
 * samples of the same read go to {@link #hist} (created at the first read that meets one).
 */
public final class SampleBuffer {
    public long[] t;
    public double[] v;
    public int n;
    /** Histogram samples of the read, or null when no read through this buffer met one. */
    public HistogramBuffer hist;

    public SampleBuffer() { this(64); }

    public SampleBuffer(int capacity) {
        t = new long[capacity];
        v = new double[capacity];
    }

    private long[] st = new long[0];
    private double[] sv = new double[0];

    private SampleBuffer aux;

    public void clear() {
        n = 0;
        if (hist != null) hist.clear();
    }

    /** The histogram samples of this buffer (created on first use). */
    HistogramBuffer histograms() {
        if (hist == null) hist = new HistogramBuffer();
        return hist;
    }

    /** Whether the read holds histogram samples. */
    public boolean hasHistograms() { return hist != null && hist.n > 0; }

    /** A second buffer owned by this one (for merges). */
    SampleBuffer aux() {
        if (aux == null) aux = new SampleBuffer(64);
        return aux;
    }

    /**
     * Merges the sorted samples of {@code o} into this sorted buffer; on equal timestamps {@code o} wins.
     */
    void mergeFrom(SampleBuffer o) {
        if (o.n == 0) return;
        if (n == 0 || t[n - 1] < o.t[0]) {
            ensure(o.n);
            System.arraycopy(o.t, 0, t, n, o.n);
            System.arraycopy(o.v, 0, v, n, o.n);
            n += o.n;
            return;
        }
        long[] mt = scratchT(n + o.n);
        double[] mv = scratchV(n + o.n);
        int i = 0, j = 0, w = 0;
        while (i < n || j < o.n) {
            if (j >= o.n || (i < n && t[i] < o.t[j])) { mt[w] = t[i]; mv[w] = v[i]; i++; }
            else {
                if (i < n && t[i] == o.t[j]) i++;
                mt[w] = o.t[j]; mv[w] = o.v[j]; j++;
            }
            w++;
        }
        n = 0;
        ensure(w);
        System.arraycopy(mt, 0, t, 0, w);
        System.arraycopy(mv, 0, v, 0, w);
        n = w;
    }

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
