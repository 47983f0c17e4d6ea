package io.tsdb.core.histogram;

import java.util.Arrays;

import io.tsdb.core.StaleNaN;

/**
 * An integer native histogram (Prometheus {@code model/histogram.Histogram} semantics), as a reusable mutable
 * holder: decoders and ingest fill one instance per series or cursor instead of allocating per sample.
 *
 * <p>Buckets are stored as in the exposition and remote-write formats: for each side, {@code buckets[0]} is the
 * absolute count of the first bucket and every later entry the delta to the previous bucket's count (across span
 * gaps too). Counts are non-negative in a valid histogram; {@link HistogramValidator} checks that. {@code count}
 * may exceed the bucket total when observations were NaN (then {@code sum} is NaN). A stale marker is a histogram
 * whose {@code sum} has the {@link StaleNaN} bits; its other fields are ignored.
 *
 * <p>{@code customValues} (schema -53 only, null otherwise) is shared, never modified: replace the reference to
 * change it. Not thread-safe.
 */
public final class Histogram extends HistogramBase {
    private static final long[] NO_BUCKETS = new long[0];

    public long zeroCount;
    public long count;
    /** Positive bucket deltas in [0, positiveCount). */
    public long[] positiveBuckets = NO_BUCKETS;
    /** Negative bucket deltas in [0, negativeCount) (bucket index i covers [-b^i, -b^(i-1))). */
    public long[] negativeBuckets = NO_BUCKETS;

    final Spans scratchSpans = new Spans();
    long[] scratchBuckets = NO_BUCKETS;

    long[] scratch(int n) {
        if (scratchBuckets.length < n) scratchBuckets = new long[Math.max(n, Math.max(8, scratchBuckets.length * 2))];
        return scratchBuckets;
    }

    /** The scratch array with at least need slots, keeping its first used entries. */
    long[] scratchGrow(int used, int need) {
        if (scratchBuckets.length < need) scratchBuckets = Arrays.copyOf(scratchBuckets, Math.max(need, scratchBuckets.length * 2));
        return scratchBuckets;
    }

    /** Merges buckets to the lower exponential schema target (<= schema); a no-op for custom buckets or target == schema. */
    public Histogram reduceResolution(int target) {
        if (usesCustomBuckets() || target == schema) return this;
        if (target > schema || !Schemas.isExponential(target)) {
            throw new IllegalArgumentException("cannot reduce resolution from schema " + schema + " to " + target);
        }
        positiveCount = Resolution.reduceDeltas(positiveSpans, positiveBuckets, positiveCount, schema, target);
        negativeCount = Resolution.reduceDeltas(negativeSpans, negativeBuckets, negativeCount, schema, target);
        schema = target;
        return this;
    }

    /** Normal form of the layout, as {@link FloatHistogram#compact}. */
    public Histogram compact(int maxEmptyBuckets) {
        positiveCount = Resolution.compactDeltas(this, positiveSpans, true, positiveCount, maxEmptyBuckets);
        negativeCount = Resolution.compactDeltas(this, negativeSpans, false, negativeCount, maxEmptyBuckets);
        return this;
    }

    /** Resets to an empty histogram of schema 0 with unknown counter-reset hint (arrays are kept for reuse). */
    public Histogram clear() {
        clearBase();
        zeroCount = count = 0;
        return this;
    }

    /** Makes this a stale marker (sum = StaleNaN, no buckets). */
    public Histogram setStale() {
        clear();
        sum = StaleNaN.VALUE;
        return this;
    }

    /** Appends a positive bucket delta (grows the array as needed); the caller keeps the spans consistent. */
    public void addPositiveDelta(long delta) {
        if (positiveCount == positiveBuckets.length) positiveBuckets = Arrays.copyOf(positiveBuckets, Math.max(8, positiveCount * 2));
        positiveBuckets[positiveCount++] = delta;
    }

    public void addNegativeDelta(long delta) {
        if (negativeCount == negativeBuckets.length) negativeBuckets = Arrays.copyOf(negativeBuckets, Math.max(8, negativeCount * 2));
        negativeBuckets[negativeCount++] = delta;
    }

    /** Makes room for n positive / negative buckets without changing the counts. */
    public void ensureCapacity(int positive, int negative) {
        if (positiveBuckets.length < positive) positiveBuckets = Arrays.copyOf(positiveBuckets, Math.max(positive, positiveBuckets.length * 2));
        if (negativeBuckets.length < negative) negativeBuckets = Arrays.copyOf(negativeBuckets, Math.max(negative, negativeBuckets.length * 2));
    }

    public Histogram copyFrom(Histogram o) {
        copyBaseFrom(o);
        zeroCount = o.zeroCount;
        count = o.count;
        ensureCapacity(o.positiveCount, o.negativeCount);
        System.arraycopy(o.positiveBuckets, 0, positiveBuckets, 0, o.positiveCount);
        System.arraycopy(o.negativeBuckets, 0, negativeBuckets, 0, o.negativeCount);
        return this;
    }

    /**
     * Converts to a float histogram in {@code out} (absolute bucket counts; same spans, schema, hint and custom
     * bounds). No allocation once out's arrays are large enough.
     */
    public FloatHistogram toFloat(FloatHistogram out) {
        out.copyBaseFrom(this);
        out.zeroCount = zeroCount;
        out.count = count;
        out.ensureCapacity(positiveCount, negativeCount);
        long abs = 0;
        for (int i = 0; i < positiveCount; i++) { abs += positiveBuckets[i]; out.positiveBuckets[i] = abs; }
        abs = 0;
        for (int i = 0; i < negativeCount; i++) { abs += negativeBuckets[i]; out.negativeBuckets[i] = abs; }
        return out;
    }

    /**
     * Exact equality of the data (Prometheus {@code Equals}): same schema, zero threshold (bits), counts, sum
     * (bits), custom bounds, the same bucket layout (however split into spans) and the same counts; the
     * counter-reset hint is not compared.
     */
    public boolean sameData(Histogram o) {
        if (schema != o.schema || count != o.count || zeroCount != o.zeroCount
                || Double.doubleToRawLongBits(sum) != Double.doubleToRawLongBits(o.sum)
                || Double.doubleToRawLongBits(zeroThreshold) != Double.doubleToRawLongBits(o.zeroThreshold)) return false;
        if (!Arrays.equals(customValues, o.customValues)) return false;
        if (positiveCount != o.positiveCount || negativeCount != o.negativeCount) return false;
        if (!positiveSpans.sameLayout(o.positiveSpans) || !negativeSpans.sameLayout(o.negativeSpans)) return false;
        return Arrays.equals(positiveBuckets, 0, positiveCount, o.positiveBuckets, 0, positiveCount)
                && Arrays.equals(negativeBuckets, 0, negativeCount, o.negativeBuckets, 0, negativeCount);
    }

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
