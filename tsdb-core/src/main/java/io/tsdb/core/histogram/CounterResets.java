package io.tsdb.core.histogram;

import java.util.Arrays;

/**
 * Detects counter resets between two consecutive histograms of a series, as Prometheus's
 * {@code FloatHistogram.DetectReset} defines it: the hint decides when it is COUNTER_RESET or NOT_COUNTER_RESET;
 * otherwise (UNKNOWN, and GAUGE treated like a counter) a reset is any sign that the current histogram cannot have
 * grown from the previous one: a lower count, a switch to custom buckets or other custom bounds where a shared
 * bucket range went down, a higher schema (finer buckets), a smaller zero bucket or one that would cut a populated
 * bucket of the previous histogram, a lower zero count, or any bucket (the previous one merged to the current
 * schema) that decreased or disappeared while populated.
 *
 * <p>An instance holds scratch state (reuse one per cursor or evaluator; not thread-safe); nothing is allocated per
 * call except when custom bounds differ.
 */
public final class CounterResets {
    private final FloatHistogram work = new FloatHistogram();
    private final BucketIterator cur = new BucketIterator();
    private final BucketIterator prev = new BucketIterator();
    private final FloatHistogram curF = new FloatHistogram();
    private final FloatHistogram prevF = new FloatHistogram();

    /** Integer histograms: converted to float in scratch holders, then as {@link #detect(FloatHistogram, FloatHistogram)}. */
    public boolean detect(Histogram h, Histogram previous) {
        if (h.hint == CounterResetHint.COUNTER_RESET) return true;
        if (h.hint == CounterResetHint.NOT_COUNTER_RESET) return false;
        return detect(h.toFloat(curF), previous.toFloat(prevF));
    }

    public boolean detect(FloatHistogram h, FloatHistogram previous) {
        if (h.hint == CounterResetHint.COUNTER_RESET) return true;
        if (h.hint == CounterResetHint.NOT_COUNTER_RESET) return false;
        if (h.count < previous.count) return true;
        if (h.usesCustomBuckets()) {
            if (!previous.usesCustomBuckets()) return true;
            if (!Arrays.equals(h.customValues, previous.customValues)) return mismatchedCustomReset(h, previous);
        }
        if (h.schema > previous.schema) return true;
        if (h.zeroThreshold < previous.zeroThreshold) return true;
        double previousZero = ZeroBuckets.countForLargerThreshold(previous, h.zeroThreshold, work);
        if (work.tmpThreshold != h.zeroThreshold) return true;
        if (h.zeroCount < previousZero) return true;
        return sideReset(h, previous, true) || sideReset(h, previous, false);
    }

    private boolean sideReset(FloatHistogram h, FloatHistogram previous, boolean positive) {
        double start = h.usesCustomBuckets() ? 0 : h.zeroThreshold;
        BucketIterator c = cur.reset(h, positive, h.schema, start);
        BucketIterator p = prev.reset(previous, positive, h.schema, start);
        if (!p.next()) return false;
        boolean curHas = c.next();
        while (true) {
            while (curHas && c.index < p.index) curHas = c.next();
            if (!curHas || c.index > p.index) {
                // the previous histogram has a bucket the current one lacks: a reset if it was populated
                if (p.count != 0) return true;
            } else if (c.count < p.count) {
                return true;
            }
            if (!p.next()) return false;
        }
    }

    /** Custom buckets with different bounds: a reset when any range between shared bounds lost observations. */
    private boolean mismatchedCustomReset(FloatHistogram h, FloatHistogram previous) {
        double[] inter = HistogramArithmetic.intersect(h.customValues, previous.customValues);
        double[] a = new double[inter.length + 1], b = new double[inter.length + 1];
        HistogramArithmetic.mapOnto(h, inter, a, 1);
        HistogramArithmetic.mapOnto(previous, inter, b, 1);
        for (int i = 0; i <= inter.length; i++) if (a[i] < b[i]) return true;
        return false;
    }
}
