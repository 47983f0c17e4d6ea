package io.tsdb.core.histogram;

import java.util.Arrays;

import io.tsdb.core.StaleNaN;

/**
 * A float native histogram (Prometheus {@code model/histogram.FloatHistogram} semantics), as a reusable mutable
 * holder. Bucket counts are absolute (not deltas) and may be fractional (results of rate, sums of scaled
 * histograms). A stale marker is a histogram whose {@code sum} has the {@link StaleNaN} bits.
 *
 * <p>Arithmetic ({@link #add}, {@link #sub}), {@link #compact}, {@link #reduceResolution} and
 * {@link CounterResets#detect} work in place on the receiver and reuse its scratch arrays: after warm-up they
 * allocate nothing. {@code customValues} (schema -53 only, null otherwise) is shared and never modified; an
 * operation that changes the bounds installs a new array. Not thread-safe.
 */
public final class FloatHistogram extends HistogramBase {
    private static final double[] NO_BUCKETS = new double[0];

    public double zeroCount;
    public double count;
    /** Absolute positive bucket counts in [0, positiveCount). */
    public double[] positiveBuckets = NO_BUCKETS;
    /** Absolute negative bucket counts in [0, negativeCount). */
    public double[] negativeBuckets = NO_BUCKETS;

    // scratch for operations that rebuild a side (double-buffered with the live arrays)
    final Spans scratchSpans = new Spans();
    double[] scratchBuckets = NO_BUCKETS;
    final BucketIterator iterA = new BucketIterator();
    final BucketIterator iterB = new BucketIterator();
    /** Second result of {@link ZeroBuckets#countForLargerThreshold}: the threshold actually reached. */
    double tmpThreshold;

    public FloatHistogram clear() {
        clearBase();
        zeroCount = count = 0;
        return this;
    }

    public FloatHistogram setStale() {
        clear();
        sum = StaleNaN.VALUE;
        return this;
    }

    public void addPositive(double c) {
        if (positiveCount == positiveBuckets.length) positiveBuckets = Arrays.copyOf(positiveBuckets, Math.max(8, positiveCount * 2));
        positiveBuckets[positiveCount++] = c;
    }

    public void addNegative(double c) {
        if (negativeCount == negativeBuckets.length) negativeBuckets = Arrays.copyOf(negativeBuckets, Math.max(8, negativeCount * 2));
        negativeBuckets[negativeCount++] = c;
    }

    public void ensureCapacity(int positive, int negative) {
        if (positiveBuckets.length < positive) positiveBuckets = Arrays.copyOf(positiveBuckets, Math.max(positive, positiveBuckets.length * 2));
        if (negativeBuckets.length < negative) negativeBuckets = Arrays.copyOf(negativeBuckets, Math.max(negative, negativeBuckets.length * 2));
    }

    double[] scratch(int n) {
        if (scratchBuckets.length < n) scratchBuckets = new double[Math.max(n, Math.max(8, scratchBuckets.length * 2))];
        return scratchBuckets;
    }

    public FloatHistogram copyFrom(FloatHistogram o) {
        copyBaseFrom(o);
        zeroCount = o.zeroCount;
        count = o.count;
        ensureCapacity(o.positiveCount, o.negativeCount);
        System.arraycopy(o.positiveBuckets, 0, positiveBuckets, 0, o.positiveCount);
        System.arraycopy(o.negativeBuckets, 0, negativeBuckets, 0, o.negativeCount);
        return this;
    }

    /**
     * Adds other to this histogram in place (Prometheus {@code FloatHistogram.Add}): the zero buckets are
     * reconciled to the larger threshold, the result takes the lower of the two schemas (the finer one is
     * reduced), buckets missing on one side are inserted. Custom-bucket histograms with different bounds are
     * mapped onto the intersection of their bounds. Returns flags of {@link HistogramArithmetic}
     * ({@code COUNTER_RESET_COLLISION}, {@code NHCB_BOUNDS_RECONCILED}).
     *
     * @throws IncompatibleHistogramsException when one uses custom buckets and the other an exponential schema
     */
    public int add(FloatHistogram other) { return HistogramArithmetic.addOrSub(this, other, false); }

    /** Subtracts other from this histogram in place; see {@link #add}. */
    public int sub(FloatHistogram other) { return HistogramArithmetic.addOrSub(this, other, true); }

    /** Multiplies count, sum, zero count and every bucket by factor. */
    public FloatHistogram mul(double factor) {
        count *= factor;
        sum *= factor;
        zeroCount *= factor;
        for (int i = 0; i < positiveCount; i++) positiveBuckets[i] *= factor;
        for (int i = 0; i < negativeCount; i++) negativeBuckets[i] *= factor;
        return this;
    }

    /**
     * Merges buckets to the lower-resolution exponential schema {@code target} (<= schema). A no-op for custom
     * buckets and for target == schema.
     */
    public FloatHistogram reduceResolution(int target) {
        if (usesCustomBuckets() || target == schema) return this;
        if (target > schema || !Schemas.isExponential(target)) {
            throw new IllegalArgumentException("cannot reduce resolution from schema " + schema + " to " + target);
        }
        positiveCount = Resolution.reduce(positiveSpans, positiveBuckets, positiveCount, schema, target);
        negativeCount = Resolution.reduce(negativeSpans, negativeBuckets, negativeCount, schema, target);
        schema = target;
        return this;
    }

    /**
     * Normal form of the layout (Prometheus {@code Compact}): drops empty buckets except runs of at most
     * {@code maxEmptyBuckets} between populated ones (which keep two spans joined), merges spans whose gap is at
     * most that, drops empty spans.
     */
    public FloatHistogram compact(int maxEmptyBuckets) {
        positiveCount = Resolution.compact(this, positiveSpans, true, positiveCount, maxEmptyBuckets);
        negativeCount = Resolution.compact(this, negativeSpans, false, negativeCount, maxEmptyBuckets);
        return this;
    }

    /** Exact data equality as {@link Histogram#sameData}: bits of every field, same layout, hint ignored. */
    public boolean sameData(FloatHistogram o) {
        if (schema != o.schema || bits(count) != bits(o.count) || bits(zeroCount) != bits(o.zeroCount)
                || bits(sum) != bits(o.sum) || bits(zeroThreshold) != bits(o.zeroThreshold)) return false;
        if (!Arrays.equals(customValues, o.customValues)) return false;
        if (positiveCount != o.positiveCount || negativeCount != o.negativeCount) return false;
        if (!positiveSpans.sameLayout(o.positiveSpans) || !negativeSpans.sameLayout(o.negativeSpans)) return false;
        for (int i = 0; i < positiveCount; i++) if (bits(positiveBuckets[i]) != bits(o.positiveBuckets[i])) return false;
        for (int i = 0; i < negativeCount; i++) if (bits(negativeBuckets[i]) != bits(o.negativeBuckets[i])) return false;
        return true;
    }

    private static long bits(double d) { return Double.doubleToRawLongBits(d); }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("{schema=").append(schema).append(", hint=").append(hint)
                .append(", count=").append(count).append(", sum=").append(sum);
        if (!usesCustomBuckets()) sb.append(", zeroThreshold=").append(zeroThreshold).append(", zeroCount=").append(zeroCount);
        sb.append(", positive=").append(positiveSpans).append(Arrays.toString(Arrays.copyOf(positiveBuckets, positiveCount)));
        if (negativeCount > 0 || negativeSpans.size() > 0) {
            sb.append(", negative=").append(negativeSpans).append(Arrays.toString(Arrays.copyOf(negativeBuckets, negativeCount)));
        }
        if (customValues != null) sb.append(", customValues=").append(Arrays.toString(customValues));
        return sb.append('}').toString();
    }
}
