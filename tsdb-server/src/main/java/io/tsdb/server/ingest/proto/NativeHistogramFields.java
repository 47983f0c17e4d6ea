package io.tsdb.server.ingest.proto;

import io.tsdb.core.histogram.CounterResetHint;
import io.tsdb.core.histogram.FloatHistogram;
import io.tsdb.core.histogram.Histogram;
import io.tsdb.core.histogram.HistogramValidator;
import io.tsdb.core.histogram.InvalidHistogramException;
import io.tsdb.core.histogram.Schemas;
import io.tsdb.core.histogram.Spans;

/**
 * The native histogram fields that remote write's {@code Histogram} message and the protobuf exposition format's
 * {@code io.prometheus.client.Histogram} both carry, under different field numbers: the one place that decodes them.
 * Each message's own field loop reads the scalars into the public fields (count, sum, schema, zero bucket; a float
 * count makes it a float histogram) and hands the repeated ones here: bucket spans ({@code BucketSpan {offset = 1
 * (sint32), length = 2}}), the bucket deltas (sint64) of an integer histogram and the bucket counts (double) of a
 * float one, packed or not. {@link #finish} then moves the scalars into the holder the count chose (an integer
 * histogram keeps the deltas and ignores the counts, a float one the reverse, as Prometheus), and {@link #prepare}
 * brings it into the model's form and checks it. Allocates nothing once the holders have grown. Not thread-safe.
 */
public class NativeHistogramFields {
    /** The decoded histogram: {@link #integer} when {@link #isFloat} is false, else {@link #floating}. */
    public final Histogram integer = new Histogram();
    public final FloatHistogram floating = new FloatHistogram();
    public boolean isFloat;
    public long countInt, zeroInt;
    public double countFloat, zeroFloat, sum, zeroThreshold;
    public int schema;

    /** Empties the holders and zeroes the scalars, before reading a message. */
    public void clear() {
        integer.clear();
        floating.clear();
        isFloat = false;
        countInt = zeroInt = 0;
        countFloat = zeroFloat = sum = zeroThreshold = 0;
        schema = 0;
    }

    /** One {@code BucketSpan} message of the positive or negative side. */
    public final void span(ProtoReader r, int tag, boolean positive, String what) {
        int old = r.message(tag, what);
        int offset = 0, length = 0;
        while (r.hasRemaining()) {
            int t = r.tag();
            switch (ProtoReader.field(t)) {
                case 1 -> { r.expect(t, ProtoReader.VARINT, "span offset"); offset = (int) r.sint64(); }
                case 2 -> { r.expect(t, ProtoReader.VARINT, "span length"); length = r.varint32(); }
                default -> r.skip(t);
            }
        }
        r.popLimit(old);
        (positive ? integer.positiveSpans : integer.negativeSpans).add(offset, length);
    }

    /** Bucket deltas (sint64, packed or not) of the positive or negative side of an integer histogram. */
    public final void deltas(ProtoReader r, int tag, boolean positive, String what) {
        int old = r.repeated(tag, ProtoReader.VARINT, what);
        if (positive) while (r.hasRemaining()) integer.addPositiveDelta(r.sint64());
        else while (r.hasRemaining()) integer.addNegativeDelta(r.sint64());
        r.popLimit(old);
    }

    /** Bucket counts (double, packed or not) of the positive or negative side of a float histogram. */
    public final void counts(ProtoReader r, int tag, boolean positive, String what) {
        int old = r.repeated(tag, ProtoReader.FIXED64, what);
        if (positive) while (r.hasRemaining()) floating.addPositive(r.doubleValue());
        else while (r.hasRemaining()) floating.addNegative(r.doubleValue());
        r.popLimit(old);
    }

    /** Whether any span or zero-bucket field came: what tells a native histogram from a classic one in the exposition format. */
    public final boolean hasNativeFields() {
        return integer.positiveSpans.size() > 0 || integer.negativeSpans.size() > 0 || zeroThreshold > 0 || zeroInt > 0 || zeroFloat > 0;
    }

    /**
     * Drops the span {offset 0, length 0} that marks a native histogram without observations in the exposition
     * format: it carries no bucket.
     */
    public final void dropEmptySpans() {
        dropEmpty(integer.positiveSpans);
        dropEmpty(integer.negativeSpans);
    }

    private static void dropEmpty(Spans s) {
        if (s.size() == 1 && s.length(0) == 0 && s.offset(0) == 0) s.clear();
    }

    /** Moves the scalars read, the hint and the custom bounds (null unless schema -53) into the holder {@link #isFloat} chose. */
    public final void finish(CounterResetHint hint, double[] customValues) {
        if (isFloat) {
            FloatHistogram f = floating;
            f.hint = hint;
            f.schema = schema;
            f.zeroThreshold = zeroThreshold;
            f.zeroCount = zeroFloat;
            f.count = countFloat;
            f.sum = sum;
            f.positiveSpans.copyFrom(integer.positiveSpans);
            f.negativeSpans.copyFrom(integer.negativeSpans);
            f.customValues = customValues;
        } else {
            Histogram h = integer;
            h.hint = hint;
            h.schema = schema;
            h.zeroThreshold = zeroThreshold;
            h.zeroCount = zeroInt;
            h.count = countInt;
            h.sum = sum;
            h.customValues = customValues;
        }
    }

    /**
     * Brings the histogram {@link #finish}ed into a storable form and validates it: an exponential schema above 8 that
     * Prometheus reserves for finer resolutions (9..52) is reduced to 8 by merging buckets, as Prometheus does; then
     * every rule of {@link HistogramValidator}. Throws {@link InvalidHistogramException} naming the rule broken.
     */
    public final void prepare() {
        if (isFloat) {
            FloatHistogram f = floating;
            if (reserved(f.schema, f.positiveSpans, f.positiveCount, f.negativeSpans, f.negativeCount)) f.reduceResolution(Schemas.EXPONENTIAL_MAX);
            HistogramValidator.validate(f);
        } else {
            Histogram h = integer;
            if (reserved(h.schema, h.positiveSpans, h.positiveCount, h.negativeSpans, h.negativeCount)) h.reduceResolution(Schemas.EXPONENTIAL_MAX);
            HistogramValidator.validate(h);
        }
    }

    /** Whether the schema is one reserved for finer resolutions; if so the buckets must match the spans before they can be merged. */
    private static boolean reserved(int schema, Spans positive, int positiveBuckets, Spans negative, int negativeBuckets) {
        if (schema <= Schemas.EXPONENTIAL_MAX || schema > Schemas.EXPONENTIAL_MAX_RESERVED) return false;
        checkLayout("positive side", positive, positiveBuckets);
        checkLayout("negative side", negative, negativeBuckets);
        return true;
    }

    private static void checkLayout(String side, Spans spans, int buckets) {
        if (spans.bucketCount() != buckets) {
            throw new InvalidHistogramException(InvalidHistogramException.Rule.SPANS_BUCKETS_MISMATCH,
                    side + ": spans need " + spans.bucketCount() + " buckets, have " + buckets + " buckets");
        }
        for (int i = 1; i < spans.size(); i++) {
            if (spans.offset(i) < 0) {
                throw new InvalidHistogramException(InvalidHistogramException.Rule.SPAN_NEGATIVE_OFFSET,
                        side + ": span number " + (i + 1) + " with offset " + spans.offset(i));
            }
        }
    }
}
