package io.tsdb.core.histogram;

/**
 * Zero-bucket reconciliation of exponential float histograms (Prometheus semantics): widening a zero bucket
 * absorbs the buckets it covers; a threshold that would cut through a populated bucket is raised to that bucket's
 * outer bound.
 */
final class ZeroBuckets {
    private ZeroBuckets() {}

    /**
     * The zero count x would have with a threshold of at least {@code larger} (>= x.zeroThreshold); the threshold
     * actually needed (raised to the outer bound of a populated bucket it would cut) is left in work.tmpThreshold.
     * work supplies the iterators (may be x itself); x is not modified.
     */
    static double countForLargerThreshold(FloatHistogram x, double larger, FloatHistogram work) {
        if (larger == x.zeroThreshold) { work.tmpThreshold = larger; return x.zeroCount; }
        if (larger < x.zeroThreshold) throw new IllegalArgumentException("new threshold " + larger + " is below the old one " + x.zeroThreshold);
        outer:
        while (true) {
            double zc = x.zeroCount;
            BucketIterator it = work.iterA.reset(x, true);
            while (it.next()) {
                if (it.lower() >= larger) break;
                zc += it.count;
                if (it.upper() > larger) {
                    if (it.count != 0) larger = it.upper();
                    break;
                }
            }
            it = work.iterA.reset(x, false);
            while (it.next()) {
                if (it.upper() <= -larger) break;
                zc += it.count;
                if (it.lower() < -larger) {
                    if (it.count != 0) {
                        larger = -it.lower();
                        continue outer;
                    }
                    break;
                }
            }
            work.tmpThreshold = larger;
            return zc;
        }
    }

    /**
     * Widens the zero buckets of h (in place) and of o (virtually) to a common threshold; returns the zero count
     * o would have at that threshold.
     */
    static double reconcile(FloatHistogram h, FloatHistogram o) {
        double oZero = o.zeroCount, oThreshold = o.zeroThreshold;
        while (oThreshold != h.zeroThreshold) {
            if (h.zeroThreshold > oThreshold) {
                oZero = countForLargerThreshold(o, h.zeroThreshold, h);
                oThreshold = h.tmpThreshold;
            }
            if (oThreshold > h.zeroThreshold) {
                h.zeroCount = countForLargerThreshold(h, oThreshold, h);
                h.zeroThreshold = h.tmpThreshold;
                trimInsideZeroBucket(h);
            }
        }
        return oZero;
    }

    /** Empties the buckets of h inside its zero bucket (their counts are already in the zero count), then compacts. */
    static void trimInsideZeroBucket(FloatHistogram h) {
        BucketIterator it = h.iterA.reset(h, true);
        int i = 0;
        while (it.next() && it.lower() < h.zeroThreshold) h.positiveBuckets[i++] = 0;
        it = h.iterA.reset(h, false);
        i = 0;
        while (it.next() && it.upper() > -h.zeroThreshold) h.negativeBuckets[i++] = 0;
        h.compact(0);
    }
}
