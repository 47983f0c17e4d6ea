package io.tsdb.core.histogram;

import java.util.Arrays;

/**
 * Whether two histograms hold the same data for duplicate-sample checks: schema, zero threshold, counts, sum (bit
 * for bit, so stale markers only equal stale markers), custom bounds and the non-empty buckets; how the buckets
 * are split into spans and empty buckets are ignored (a histogram read back from a chunk is on the chunk's layout,
 * which may hold buckets the appended one did not), as is the counter-reset hint. Allocates nothing.
 */
public final class HistogramEquality {
    private HistogramEquality() {}

    private static final ThreadLocal<BucketIterator[]> ITS = ThreadLocal.withInitial(() -> new BucketIterator[]{new BucketIterator(), new BucketIterator()});

    public static boolean same(Histogram a, Histogram b) {
        if (a.isStale() || b.isStale()) return a.isStale() && b.isStale();
        if (a.schema != b.schema || a.count != b.count || a.zeroCount != b.zeroCount
                || Double.doubleToRawLongBits(a.sum) != Double.doubleToRawLongBits(b.sum)
                || Double.doubleToRawLongBits(a.zeroThreshold) != Double.doubleToRawLongBits(b.zeroThreshold)
                || !Arrays.equals(a.customValues, b.customValues)) return false;
        BucketIterator[] its = ITS.get();
        return sameBuckets(its[0].reset(a, true), its[1].reset(b, true)) && sameBuckets(its[0].reset(a, false), its[1].reset(b, false));
    }

    public static boolean same(FloatHistogram a, FloatHistogram b) {
        if (a.isStale() || b.isStale()) return a.isStale() && b.isStale();
        if (a.schema != b.schema
                || Double.doubleToRawLongBits(a.count) != Double.doubleToRawLongBits(b.count)
                || Double.doubleToRawLongBits(a.zeroCount) != Double.doubleToRawLongBits(b.zeroCount)
                || Double.doubleToRawLongBits(a.sum) != Double.doubleToRawLongBits(b.sum)
                || Double.doubleToRawLongBits(a.zeroThreshold) != Double.doubleToRawLongBits(b.zeroThreshold)
                || !Arrays.equals(a.customValues, b.customValues)) return false;
        BucketIterator[] its = ITS.get();
        return sameBuckets(its[0].reset(a, true), its[1].reset(b, true)) && sameBuckets(its[0].reset(a, false), its[1].reset(b, false));
    }

    /** A stored copy (Histogram or FloatHistogram) against h / f (one of them null). */
    public static boolean sameObject(Object stored, Histogram h, FloatHistogram f) {
        if (stored instanceof Histogram x) return h != null && same(x, h);
        return f != null && same((FloatHistogram) stored, f);
    }

    private static boolean sameBuckets(BucketIterator x, BucketIterator y) {
        while (true) {
            boolean hx = nextNonEmpty(x), hy = nextNonEmpty(y);
            if (hx != hy) return false;
            if (!hx) return true;
            if (x.index != y.index || Double.doubleToRawLongBits(x.count) != Double.doubleToRawLongBits(y.count)) return false;
        }
    }

    private static boolean nextNonEmpty(BucketIterator it) {
        while (it.next()) if (it.count != 0) return true;
        return false;
    }
}
