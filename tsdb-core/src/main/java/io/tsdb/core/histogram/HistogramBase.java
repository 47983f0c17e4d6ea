package io.tsdb.core.histogram;

import io.tsdb.core.StaleNaN;

/**
 * What the integer {@link Histogram} and the {@link FloatHistogram} share, in one place: the counter-reset hint, the
 * schema, the zero threshold, the sum, the spans of both sides and how many buckets each has, and the custom bounds;
 * resetting and copying them. The counts and the bucket arrays are the subclasses' own (long deltas, double absolute
 * counts). No virtual methods: every method here is final and the subclasses are final.
 */
public abstract sealed class HistogramBase permits Histogram, FloatHistogram {
    public CounterResetHint hint = CounterResetHint.UNKNOWN;
    public int schema;
    public double zeroThreshold;
    public double sum;
    public final Spans positiveSpans = new Spans();
    public final Spans negativeSpans = new Spans();
    /** How many positive buckets the subclass's array holds. */
    public int positiveCount;
    /** How many negative buckets the subclass's array holds. */
    public int negativeCount;
    /** Strictly increasing finite upper bounds of custom buckets (schema -53), else null. Shared, immutable. */
    public double[] customValues;

    HistogramBase() {}

    /** Resets the shared fields to an empty histogram of schema 0 with unknown counter-reset hint. */
    final void clearBase() {
        hint = CounterResetHint.UNKNOWN;
        schema = 0;
        zeroThreshold = 0;
        sum = 0;
        positiveSpans.clear();
        negativeSpans.clear();
        positiveCount = negativeCount = 0;
        customValues = null;
    }

    /** Copies the shared fields of o (the bucket arrays are the caller's to fill). */
    final void copyBaseFrom(HistogramBase o) {
        hint = o.hint;
        schema = o.schema;
        zeroThreshold = o.zeroThreshold;
        sum = o.sum;
        positiveSpans.copyFrom(o.positiveSpans);
        negativeSpans.copyFrom(o.negativeSpans);
        positiveCount = o.positiveCount;
        negativeCount = o.negativeCount;
        customValues = o.customValues;
    }

    public final boolean isStale() { return StaleNaN.is(sum); }

    public final boolean usesCustomBuckets() { return schema == Schemas.CUSTOM_BUCKETS; }
}
