package io.tsdb.core.head;

import io.tsdb.core.SampleCursor;
import io.tsdb.core.histogram.FloatHistogram;
import io.tsdb.core.histogram.Histogram;

/**
 * A reusable {@link SampleCursor} over the float samples of a {@link SampleBuffer} and the histogram samples of
 * its {@link HistogramBuffer}, merged by timestamp (a series that switched between floats and histograms; the two
 * never share a timestamp within one read, and if they did the histogram would be returned). No allocation per
 * sample.
 */
public final class MixedCursor implements SampleCursor {
    private SampleBuffer f;
    private HistogramBuffer h;
    private int fi, hi;
    /** Whether the current sample is the histogram at hi (else the float at fi). */
    private boolean onHist;
    private boolean started, done;

    public MixedCursor reset(SampleBuffer floats, HistogramBuffer hists) {
        this.f = floats;
        this.h = hists;
        fi = 0;
        hi = 0;
        started = false;
        done = false;
        return this;
    }

    /** Chooses the current sample among positions fi and hi. */
    private boolean pick() {
        boolean hasF = fi < f.n, hasH = hi < h.n;
        if (!hasF && !hasH) { done = true; return false; }
        if (hasH && hasF && h.t[hi] == f.t[fi]) fi++;   // a float at the histogram's timestamp: the histogram wins
        onHist = hasH && (fi >= f.n || h.t[hi] <= f.t[fi]);
        return true;
    }

    @Override public boolean next() {
        if (done) return false;
        if (started) {
            if (onHist) hi++; else fi++;
        }
        started = true;
        return pick();
    }

    @Override public boolean seek(long ts) {
        if (done) return false;
        if (started && timestamp() >= ts) return true;
        started = true;
        fi = lower(f.t, fi, f.n, ts);
        hi = lower(h.t, hi, h.n, ts);
        return pick();
    }

    private static int lower(long[] t, int from, int n, long x) {
        int lo = from, hi = n;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (t[mid] < x) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    @Override public long timestamp() { return onHist ? h.t[hi] : f.t[fi]; }

    @Override public double value() {
        if (onHist) throw new IllegalStateException("the current sample is a native histogram: check sampleType() and read it with histogram()/floatHistogram()");
        return f.v[fi];
    }

    @Override public int sampleType() {
        if (!onHist) return FLOAT;
        return h.kind[hi] == HistogramBuffer.INT ? HISTOGRAM : FLOAT_HISTOGRAM;
    }

    @Override public Histogram histogram(Histogram into) {
        if (!onHist) throw new IllegalStateException("the current sample is a float, not a histogram");
        if (h.kind[hi] != HistogramBuffer.INT) throw new IllegalStateException("the current sample is a float histogram: read it with floatHistogram()");
        return into.copyFrom(h.histogram(hi));
    }

    @Override public FloatHistogram floatHistogram(FloatHistogram into) {
        if (!onHist) throw new IllegalStateException("the current sample is a float, not a histogram");
        if (h.kind[hi] == HistogramBuffer.INT) return h.histogram(hi).toFloat(into);
        return into.copyFrom(h.floatHistogram(hi));
    }
}
