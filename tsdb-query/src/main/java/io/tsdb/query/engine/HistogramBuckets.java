package io.tsdb.query.engine;

import io.tsdb.core.histogram.BucketIterator;
import io.tsdb.core.histogram.FloatHistogram;

/**
 * The buckets of a native histogram as the Prometheus HTTP API lists them ({@code "buckets": [[boundary_rule,
 * lower, upper, count], ...]}): negative buckets from the most negative up, then the zero bucket, then the positive
 * buckets ascending; buckets with a zero count are left out. The boundary rule says which ends are inclusive:
 * {@link #OPEN_LEFT} {@code (lower, upper]}, {@link #OPEN_RIGHT} {@code [lower, upper)}, {@link #OPEN_BOTH},
 * {@link #CLOSED_BOTH} (the zero bucket {@code [-threshold, threshold]}).
 */
public final class HistogramBuckets {
    private HistogramBuckets() {}

    public static final int OPEN_LEFT = 0;
    public static final int OPEN_RIGHT = 1;
    public static final int OPEN_BOTH = 2;
    public static final int CLOSED_BOTH = 3;

    /** Receives one bucket. */
    @FunctionalInterface
    public interface Visitor {
        void bucket(int boundaryRule, double lower, double upper, double count);
    }

    /** Visits h's non-empty buckets in the API's order. Allocates two iterators per call. */
    public static void forEach(FloatHistogram h, Visitor v) {
        BucketIterator it = new BucketIterator();
        if (h.negativeCount > 0) {
            // the iterator walks negative buckets by ascending index, i.e. from zero outwards: collect, then reverse
            int n = 0;
            double[] lo = new double[h.negativeCount], hi = new double[h.negativeCount], c = new double[h.negativeCount];
            int[] rule = new int[h.negativeCount];
            it.reset(h, false);
            while (it.next()) {
                if (it.count == 0) continue;
                lo[n] = it.lower();
                hi[n] = it.upper();
                c[n] = it.count;
                rule[n] = rule(it.lowerInclusive(), it.upperInclusive());
                n++;
            }
            for (int i = n - 1; i >= 0; i--) v.bucket(rule[i], lo[i], hi[i], c[i]);
        }
        if (!h.usesCustomBuckets() && h.zeroCount != 0) {
            v.bucket(CLOSED_BOTH, -h.zeroThreshold, h.zeroThreshold, h.zeroCount);
        }
        it.reset(h, true);
        while (it.next()) {
            if (it.count == 0) continue;
            v.bucket(rule(it.lowerInclusive(), it.upperInclusive()), it.lower(), it.upper(), it.count);
        }
    }

    static int rule(boolean lowerInclusive, boolean upperInclusive) {
        if (lowerInclusive && upperInclusive) return CLOSED_BOTH;
        if (upperInclusive) return OPEN_LEFT;
        if (lowerInclusive) return OPEN_RIGHT;
        return OPEN_BOTH;
    }
}
