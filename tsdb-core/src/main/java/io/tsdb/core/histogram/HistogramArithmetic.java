package io.tsdb.core.histogram;

import java.util.Arrays;

/**
 * Addition and subtraction of float histograms with schema and zero-bucket reconciliation (Prometheus
 * {@code FloatHistogram.Add/Sub} semantics). Works in place on the receiver with its scratch buffers.
 */
public final class HistogramArithmetic {
    private HistogramArithmetic() {}

    /** Flag: one operand said counter reset, the other not counter reset; the result's hint became unknown. */
    public static final int COUNTER_RESET_COLLISION = 1;
    /** Flag: custom-bucket histograms with different bounds were mapped onto the intersection of their bounds. */
    public static final int NHCB_BOUNDS_RECONCILED = 2;

    static int addOrSub(FloatHistogram h, FloatHistogram o, boolean negate) {
        if (h.usesCustomBuckets() != o.usesCustomBuckets()) {
            throw new IncompatibleHistogramsException("cannot apply this operation on histograms with a mix of exponential and custom bucket schemas (schemas "
                    + h.schema + " and " + o.schema + ")");
        }
        int flags = adjustHint(h, o) ? COUNTER_RESET_COLLISION : 0;
        double sign = negate ? -1 : 1;
        if (!h.usesCustomBuckets()) {
            double oZero = ZeroBuckets.reconcile(h, o);
            h.zeroCount += sign * oZero;
        }
        h.count += sign * o.count;
        h.sum += sign * o.sum;
        if (h.usesCustomBuckets()) {
            if (Arrays.equals(h.customValues, o.customValues)) {
                h.positiveCount = mergeSide(h, o, true, negate);
            } else {
                mergeCustomMismatched(h, o, negate);
                flags |= NHCB_BOUNDS_RECONCILED;
            }
            return flags;
        }
        if (o.schema < h.schema) h.reduceResolution(o.schema);
        h.positiveCount = mergeSide(h, o, true, negate);
        h.negativeCount = mergeSide(h, o, false, negate);
        return flags;
    }

    /** Sets h's hint for the result of combining h and o; true on a reset / not-reset collision. */
    static boolean adjustHint(FloatHistogram h, FloatHistogram o) {
        CounterResetHint a = h.hint, b = o.hint;
        if (a == b || a == CounterResetHint.GAUGE) return false;
        if (b == CounterResetHint.GAUGE) { h.hint = CounterResetHint.GAUGE; return false; }
        if (a == CounterResetHint.UNKNOWN) return false;
        h.hint = CounterResetHint.UNKNOWN;
        return b != CounterResetHint.UNKNOWN;
    }

    /**
     * Merges one side of o (at its schema, reduced on the fly to h's; buckets inside h's zero bucket skipped, they
     * are already in the zero count) into h's same side; returns the new bucket count.
     */
    private static int mergeSide(FloatHistogram h, FloatHistogram o, boolean positive, boolean negate) {
        BucketIterator a = h.iterA.reset(h, positive);
        BucketIterator b = h.iterB.reset(o, positive, h.schema, h.usesCustomBuckets() ? 0 : h.zeroThreshold);
        int n = positive ? h.positiveCount : h.negativeCount;
        int on = positive ? o.positiveCount : o.negativeCount;
        double[] out = h.scratch(n + on);
        Spans os = h.scratchSpans;
        os.clear();
        int w = 0;
        long last = 0;
        boolean ha = a.next(), hb = b.next();
        while (ha || hb) {
            int idx;
            double c;
            if (hb && (!ha || b.index < a.index)) {
                idx = b.index; c = negate ? -b.count : b.count; hb = b.next();
            } else if (ha && (!hb || a.index < b.index)) {
                idx = a.index; c = a.count; ha = a.next();
            } else {
                idx = a.index; c = negate ? a.count - b.count : a.count + b.count; ha = a.next(); hb = b.next();
            }
            if (w == 0) os.add(idx, 1);
            else if (idx == last + 1) os.setLength(os.size() - 1, os.length(os.size() - 1) + 1);
            else os.add((int) (idx - last - 1), 1);
            out[w++] = c;
            last = idx;
        }
        Spans live = positive ? h.positiveSpans : h.negativeSpans;
        live.swap(os);
        h.scratchBuckets = positive ? h.positiveBuckets : h.negativeBuckets;
        if (positive) h.positiveBuckets = out; else h.negativeBuckets = out;
        return w;
    }

    /** Custom buckets with different bounds: both mapped onto the bounds they share (new bounds array). */
    private static void mergeCustomMismatched(FloatHistogram h, FloatHistogram o, boolean negate) {
        double[] inter = intersect(h.customValues, o.customValues);
        double[] acc = h.scratch(inter.length + 1);
        Arrays.fill(acc, 0, inter.length + 1, 0.0);
        mapOnto(h, inter, acc, 1);
        mapOnto(o, inter, acc, negate ? -1 : 1);
        h.positiveSpans.clear();
        h.positiveCount = 0;
        h.ensureCapacity(inter.length + 1, 0);
        long last = 0;
        for (int i = 0; i <= inter.length; i++) {
            if (acc[i] == 0) continue;
            if (h.positiveCount == 0) h.positiveSpans.add(i, 1);
            else if (i == last + 1) h.positiveSpans.setLength(h.positiveSpans.size() - 1, h.positiveSpans.length(h.positiveSpans.size() - 1) + 1);
            else h.positiveSpans.add((int) (i - last - 1), 1);
            h.positiveBuckets[h.positiveCount++] = acc[i];
            last = i;
        }
        h.customValues = inter;
    }

    /** Adds sign * each bucket of x into acc at the index of the first shared bound >= the bucket's upper bound. */
    static void mapOnto(FloatHistogram x, double[] inter, double[] acc, double sign) {
        BucketIterator it = new BucketIterator().reset(x, true);
        int j = 0;
        while (it.next()) {
            double upper = Schemas.upperBound(it.index, Schemas.CUSTOM_BUCKETS, x.customValues);
            while (j < inter.length && inter[j] < upper) j++;
            acc[j] += sign * it.count;
        }
    }

    /** The bounds present in both (exact equality), ascending; a new array. */
    static double[] intersect(double[] a, double[] b) {
        if (a == null || b == null) return new double[0];
        double[] r = new double[Math.min(a.length, b.length)];
        int i = 0, j = 0, k = 0;
        while (i < a.length && j < b.length) {
            if (a[i] == b[j]) { r[k++] = a[i]; i++; j++; }
            else if (a[i] < b[j]) i++;
            else j++;
        }
        return Arrays.copyOf(r, k);
    }
}
