package io.tsdb.core.histogram;

import io.tsdb.core.histogram.InvalidHistogramException.Rule;

/**
 * Checks a histogram against the model's rules (Prometheus {@code Validate}), in this order: schema; for custom
 * buckets the bounds (not NaN, strictly increasing, finite, enough of them for the spans), then no zero bucket and
 * no negative side; for exponential schemas the spans of both sides, the negative bucket counts and no custom
 * bounds; then the positive bucket counts and the total: with a non-NaN sum the count must equal zero count plus
 * all bucket counts, with a NaN sum (NaN observations count but land in no bucket) it must be at least that.
 * Float histograms are not held to the total (rates and sums of them drift by rounding) but must have no negative
 * count. Throws {@link InvalidHistogramException} naming the rule, the side and the bucket. Stale markers are
 * valid whatever their other fields. Allocates nothing unless it throws.
 */
public final class HistogramValidator {
    private HistogramValidator() {}

    public static void validate(Histogram h) {
        if (h.isStale()) return;
        long bucketTotal;
        if (h.usesCustomBuckets()) {
            checkCustomBounds(h.customValues, h.positiveSpans, h.positiveCount);
            if (h.zeroCount != 0) throw new InvalidHistogramException(Rule.CUSTOM_BUCKETS_ZERO_COUNT, "zero count is " + h.zeroCount);
            if (h.zeroThreshold != 0) throw new InvalidHistogramException(Rule.CUSTOM_BUCKETS_ZERO_THRESHOLD, "zero threshold is " + h.zeroThreshold);
            if (h.negativeSpans.size() > 0) throw new InvalidHistogramException(Rule.CUSTOM_BUCKETS_NEGATIVE_SPANS, h.negativeSpans.size() + " negative spans");
            if (h.negativeCount > 0) throw new InvalidHistogramException(Rule.CUSTOM_BUCKETS_NEGATIVE_BUCKETS, h.negativeCount + " negative buckets");
            bucketTotal = 0;
        } else if (Schemas.isExponential(h.schema)) {
            checkSpans("positive side", h.positiveSpans, h.positiveCount, false);
            checkSpans("negative side", h.negativeSpans, h.negativeCount, false);
            bucketTotal = deltaTotal("negative side", h.negativeBuckets, h.negativeCount);
            if (h.customValues != null) throw new InvalidHistogramException(Rule.EXPONENTIAL_WITH_CUSTOM_BOUNDS, h.customValues.length + " custom bounds with schema " + h.schema);
            if (h.zeroCount < 0) throw new InvalidHistogramException(Rule.NEGATIVE_BUCKET_COUNT, "zero bucket has observation count of " + Long.toUnsignedString(h.zeroCount) + " (above 2^63-1)");
        } else {
            throw new InvalidHistogramException(Rule.INVALID_SCHEMA, "got schema " + h.schema);
        }
        if (h.count < 0) throw new InvalidHistogramException(Rule.NEGATIVE_COUNT, "count is " + Long.toUnsignedString(h.count) + " (above 2^63-1)");
        bucketTotal = addTotal(bucketTotal, deltaTotal("positive side", h.positiveBuckets, h.positiveCount));
        bucketTotal = addTotal(bucketTotal, h.zeroCount);
        if (Double.isNaN(h.sum)) {
            if (Long.compareUnsigned(bucketTotal, h.count) > 0) {
                throw new InvalidHistogramException(Rule.COUNT_NOT_BIG_ENOUGH, Long.toUnsignedString(bucketTotal) + " observations found in buckets, but the Count field is " + h.count);
            }
        } else if (bucketTotal != h.count) {
            throw new InvalidHistogramException(Rule.COUNT_MISMATCH, Long.toUnsignedString(bucketTotal) + " observations found in buckets, but the Count field is " + h.count);
        }
    }

    public static void validate(FloatHistogram h) {
        if (h.isStale()) return;
        if (h.usesCustomBuckets()) {
            checkCustomBounds(h.customValues, h.positiveSpans, h.positiveCount);
            if (h.zeroCount != 0) throw new InvalidHistogramException(Rule.CUSTOM_BUCKETS_ZERO_COUNT, "zero count is " + h.zeroCount);
            if (h.zeroThreshold != 0) throw new InvalidHistogramException(Rule.CUSTOM_BUCKETS_ZERO_THRESHOLD, "zero threshold is " + h.zeroThreshold);
            if (h.negativeSpans.size() > 0) throw new InvalidHistogramException(Rule.CUSTOM_BUCKETS_NEGATIVE_SPANS, h.negativeSpans.size() + " negative spans");
            if (h.negativeCount > 0) throw new InvalidHistogramException(Rule.CUSTOM_BUCKETS_NEGATIVE_BUCKETS, h.negativeCount + " negative buckets");
        } else if (Schemas.isExponential(h.schema)) {
            checkSpans("positive side", h.positiveSpans, h.positiveCount, false);
            checkSpans("negative side", h.negativeSpans, h.negativeCount, false);
            checkAbsolute("negative side", h.negativeBuckets, h.negativeCount);
            if (h.zeroCount < 0) throw new InvalidHistogramException(Rule.NEGATIVE_BUCKET_COUNT, "zero bucket has observation count of " + h.zeroCount);
            if (h.customValues != null) throw new InvalidHistogramException(Rule.EXPONENTIAL_WITH_CUSTOM_BOUNDS, h.customValues.length + " custom bounds with schema " + h.schema);
        } else {
            throw new InvalidHistogramException(Rule.INVALID_SCHEMA, "got schema " + h.schema);
        }
        if (h.count < 0) throw new InvalidHistogramException(Rule.NEGATIVE_COUNT, "observation count is " + h.count);
        checkAbsolute("positive side", h.positiveBuckets, h.positiveCount);
    }

    /** Spans: offsets after the first (all, for custom buckets) >= 0; lengths add up to the bucket count. Returns the index span covered. */
    private static long checkSpans(String side, Spans spans, int numBuckets, boolean custom) {
        long total = 0, covered = 0;
        for (int i = 0; i < spans.size(); i++) {
            int off = spans.offset(i);
            if ((i > 0 || custom) && off < 0) {
                throw new InvalidHistogramException(Rule.SPAN_NEGATIVE_OFFSET, side + ": span number " + (i + 1) + " with offset " + off);
            }
            long len = spans.length(i) & 0xffffffffL;
            total += len;
            covered += len + off;
        }
        if (total != numBuckets) {
            throw new InvalidHistogramException(Rule.SPANS_BUCKETS_MISMATCH, side + ": spans need " + total + " buckets, have " + numBuckets + " buckets");
        }
        return covered;
    }

    private static void checkCustomBounds(double[] bounds, Spans spans, int numBuckets) {
        int n = bounds == null ? 0 : bounds.length;
        for (int i = 0; i < n; i++) {
            double b = bounds[i];
            if (Double.isNaN(b)) throw new InvalidHistogramException(Rule.CUSTOM_BOUNDS_NAN, "custom buckets: bound number " + (i + 1) + " is NaN");
            if (i > 0 && !(b > bounds[i - 1])) {
                throw new InvalidHistogramException(Rule.CUSTOM_BOUNDS_NOT_INCREASING, "custom buckets: bound number " + i + " is " + bounds[i - 1]
                        + " and bound number " + (i + 1) + " is " + b);
            }
        }
        if (n > 0 && bounds[n - 1] == Double.POSITIVE_INFINITY) {
            throw new InvalidHistogramException(Rule.CUSTOM_BOUNDS_INFINITE, "custom buckets: the last bound +Inf must not be explicitly defined");
        }
        long covered = checkSpans("custom buckets", spans, numBuckets, true);
        if (n + 1L < covered) {
            throw new InvalidHistogramException(Rule.CUSTOM_BOUNDS_TOO_FEW, "custom buckets: only " + n + " custom bounds defined which is insufficient to cover total span length of " + covered);
        }
    }

    /** Sum of the absolute counts of delta-encoded buckets; throws at the first negative count. */
    private static long deltaTotal(String side, long[] deltas, int n) {
        long abs = 0, total = 0;
        for (int i = 0; i < n; i++) {
            abs += deltas[i];
            if (abs < 0) throw new InvalidHistogramException(Rule.NEGATIVE_BUCKET_COUNT, side + ": bucket number " + (i + 1) + " has observation count of " + abs);
            total = addTotal(total, abs);
        }
        return total;
    }

    private static long addTotal(long a, long b) {
        long s = a + b;
        if (Long.compareUnsigned(s, a) < 0) return -1L; // saturate at 2^64-1 (unsigned): more than any count can be
        return s;
    }

    private static void checkAbsolute(String side, double[] b, int n) {
        for (int i = 0; i < n; i++) {
            if (b[i] < 0) throw new InvalidHistogramException(Rule.NEGATIVE_BUCKET_COUNT, side + ": bucket number " + (i + 1) + " has observation count of " + b[i]);
        }
    }
}
