package io.tsdb.server.ingest.remotewrite;

import io.tsdb.core.histogram.CounterResetHint;
import io.tsdb.core.histogram.FloatHistogram;
import io.tsdb.core.histogram.Histogram;
import io.tsdb.core.histogram.HistogramValidator;
import io.tsdb.core.histogram.InvalidHistogramException;
import io.tsdb.core.histogram.Schemas;
import io.tsdb.core.histogram.Spans;
import io.tsdb.server.ingest.proto.ProtoException;
import io.tsdb.server.ingest.proto.ProtoReader;

import java.util.Arrays;

/**
 * Reads one native histogram message of remote write ({@code prometheus.Histogram} in 1.0,
 * {@code io.prometheus.write.v2.Histogram} in 2.0: the same field numbers, 2.0 adds {@code start_timestamp = 17})
 * with the server's one {@link ProtoReader} into reusable holders, then brings it into the model's form and checks
 * it ({@link #prepare}).
 *
 * <p>Wire fields: {@code count_int = 1} / {@code count_float = 2} (a oneof: the float one makes it a float
 * histogram), {@code sum = 3}, {@code schema = 4} (sint32), {@code zero_threshold = 5}, {@code zero_count_int = 6} /
 * {@code zero_count_float = 7}, {@code negative_spans = 8}, {@code negative_deltas = 9} (sint64),
 * {@code negative_counts = 10}, {@code positive_spans = 11}, {@code positive_deltas = 12}, {@code positive_counts = 13},
 * {@code reset_hint = 14}, {@code timestamp = 15}, {@code custom_values = 16}, {@code start_timestamp = 17};
 * {@code BucketSpan {offset = 1 (sint32), length = 2}}. Repeated numbers may come packed or not. An integer
 * histogram takes the deltas and ignores the counts, a float one the reverse (as Prometheus). Allocates nothing per
 * message once the holders have grown, except a new custom-bounds array when the bounds change. Not thread-safe.
 */
public final class HistogramMessage {
    /** The decoded histogram: {@link #integer} when {@link #isFloat} is false, else {@link #floating}. */
    public final Histogram integer = new Histogram();
    public final FloatHistogram floating = new FloatHistogram();
    public boolean isFloat;
    public long timestamp;
    /** The 2.0 start timestamp (ms) of the sample, 0 when unset. */
    public long startTimestamp;

    private double[] custom = new double[16];
    private int nCustom;
    private double[] lastCustom;

    /** Reads the message within the reader's current limit. Structural errors throw {@link ProtoException}. */
    public void read(ProtoReader r) {
        Histogram h = integer;
        FloatHistogram f = floating;
        h.clear();
        f.clear();
        isFloat = false;
        timestamp = startTimestamp = 0;
        nCustom = 0;
        long countInt = 0, zeroInt = 0;
        double countFloat = 0, zeroFloat = 0, sum = 0, zeroThreshold = 0;
        int schema = 0, hint = 0;
        while (r.hasRemaining()) {
            int tag = r.tag();
            switch (ProtoReader.field(tag)) {
                case 1 -> { r.expect(tag, ProtoReader.VARINT, "histogram count_int"); countInt = r.varint64(); }
                case 2 -> { r.expect(tag, ProtoReader.FIXED64, "histogram count_float"); countFloat = r.doubleValue(); isFloat = true; }
                case 3 -> { r.expect(tag, ProtoReader.FIXED64, "histogram sum"); sum = r.doubleValue(); }
                case 4 -> { r.expect(tag, ProtoReader.VARINT, "histogram schema"); schema = (int) r.sint64(); }
                case 5 -> { r.expect(tag, ProtoReader.FIXED64, "histogram zero_threshold"); zeroThreshold = r.doubleValue(); }
                case 6 -> { r.expect(tag, ProtoReader.VARINT, "histogram zero_count_int"); zeroInt = r.varint64(); }
                case 7 -> { r.expect(tag, ProtoReader.FIXED64, "histogram zero_count_float"); zeroFloat = r.doubleValue(); }
                case 8 -> span(r, tag, h.negativeSpans, "negative_spans");
                case 9 -> deltas(r, tag, h, false);
                case 10 -> counts(r, tag, f, false);
                case 11 -> span(r, tag, h.positiveSpans, "positive_spans");
                case 12 -> deltas(r, tag, h, true);
                case 13 -> counts(r, tag, f, true);
                case 14 -> { r.expect(tag, ProtoReader.VARINT, "histogram reset_hint"); hint = r.varint32(); }
                case 15 -> { r.expect(tag, ProtoReader.VARINT, "histogram timestamp"); timestamp = r.varint64(); }
                case 16 -> customValues(r, tag);
                case 17 -> { r.expect(tag, ProtoReader.VARINT, "histogram start_timestamp"); startTimestamp = r.varint64(); }
                default -> r.skip(tag);
            }
        }
        CounterResetHint rh = hint >= 0 && hint <= 3 ? CounterResetHint.ofCode(hint) : CounterResetHint.UNKNOWN;
        double[] bounds = schema == Schemas.CUSTOM_BUCKETS || nCustom > 0 ? customBounds() : null;
        if (isFloat) {
            f.hint = rh;
            f.schema = schema;
            f.zeroThreshold = zeroThreshold;
            f.zeroCount = zeroFloat;
            f.count = countFloat;
            f.sum = sum;
            f.positiveSpans.copyFrom(h.positiveSpans);
            f.negativeSpans.copyFrom(h.negativeSpans);
            f.customValues = bounds;
        } else {
            h.hint = rh;
            h.schema = schema;
            h.zeroThreshold = zeroThreshold;
            h.zeroCount = zeroInt;
            h.count = countInt;
            h.sum = sum;
            h.customValues = bounds;
        }
    }

    /**
     * Brings the histogram into a storable form and validates it: an exponential schema above 8 that Prometheus
     * reserves for finer resolutions (9..52) is reduced to 8 by merging buckets, as Prometheus does; then every rule
     * of {@link HistogramValidator}. Throws {@link InvalidHistogramException} naming the rule broken.
     */
    public void prepare() {
        if (isFloat) prepare(floating); else prepare(integer);
    }

    /** {@link #prepare()} for an integer histogram decoded elsewhere (the protobuf exposition format, say). */
    public static void prepare(Histogram h) {
        if (h.schema > Schemas.EXPONENTIAL_MAX && h.schema <= Schemas.EXPONENTIAL_MAX_RESERVED) {
            // the buckets must match the spans before they can be merged
            checkLayout("positive side", h.positiveSpans, h.positiveCount);
            checkLayout("negative side", h.negativeSpans, h.negativeCount);
            h.reduceResolution(Schemas.EXPONENTIAL_MAX);
        }
        HistogramValidator.validate(h);
    }

    /** {@link #prepare()} for a float histogram decoded elsewhere. */
    public static void prepare(FloatHistogram h) {
        if (h.schema > Schemas.EXPONENTIAL_MAX && h.schema <= Schemas.EXPONENTIAL_MAX_RESERVED) {
            checkLayout("positive side", h.positiveSpans, h.positiveCount);
            checkLayout("negative side", h.negativeSpans, h.negativeCount);
            h.reduceResolution(Schemas.EXPONENTIAL_MAX);
        }
        HistogramValidator.validate(h);
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

    /** A short description for error messages: "integer histogram at 1700000000000 (schema 3, count 12)". */
    public String describe() {
        return (isFloat ? "float histogram" : "histogram") + " at timestamp " + timestamp + " (schema "
                + (isFloat ? floating.schema : integer.schema) + ")";
    }

    private static void span(ProtoReader r, int tag, Spans into, String what) {
        r.expect(tag, ProtoReader.LEN, what);
        int old = r.pushLimit(r.lengthDelimited());
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
        into.add(offset, length);
    }

    private static void deltas(ProtoReader r, int tag, Histogram h, boolean positive) {
        if (ProtoReader.wireType(tag) == ProtoReader.LEN) {
            int old = r.pushLimit(r.lengthDelimited());
            while (r.hasRemaining()) addDelta(h, positive, r.sint64());
            r.popLimit(old);
        } else {
            r.expect(tag, ProtoReader.VARINT, positive ? "positive_deltas" : "negative_deltas");
            addDelta(h, positive, r.sint64());
        }
    }

    private static void addDelta(Histogram h, boolean positive, long d) {
        if (positive) h.addPositiveDelta(d); else h.addNegativeDelta(d);
    }

    private static void counts(ProtoReader r, int tag, FloatHistogram f, boolean positive) {
        if (ProtoReader.wireType(tag) == ProtoReader.LEN) {
            int len = r.lengthDelimited();
            if ((len & 7) != 0) throw new ProtoException("packed histogram counts of " + len + " bytes is not a multiple of 8 at byte " + r.offset());
            int old = r.pushLimit(len);
            while (r.hasRemaining()) addCount(f, positive, r.doubleValue());
            r.popLimit(old);
        } else {
            r.expect(tag, ProtoReader.FIXED64, positive ? "positive_counts" : "negative_counts");
            addCount(f, positive, r.doubleValue());
        }
    }

    private static void addCount(FloatHistogram f, boolean positive, double c) {
        if (positive) f.addPositive(c); else f.addNegative(c);
    }

    private void customValues(ProtoReader r, int tag) {
        if (ProtoReader.wireType(tag) == ProtoReader.LEN) {
            int len = r.lengthDelimited();
            if ((len & 7) != 0) throw new ProtoException("packed custom_values of " + len + " bytes is not a multiple of 8 at byte " + r.offset());
            int old = r.pushLimit(len);
            while (r.hasRemaining()) addCustom(r.doubleValue());
            r.popLimit(old);
        } else {
            r.expect(tag, ProtoReader.FIXED64, "custom_values");
            addCustom(r.doubleValue());
        }
    }

    private void addCustom(double v) {
        if (nCustom == custom.length) custom = Arrays.copyOf(custom, nCustom * 2);
        custom[nCustom++] = v;
    }

    /** The custom bounds read, as the array of the previous message when equal (bounds rarely change). */
    private double[] customBounds() {
        if (lastCustom != null && Arrays.equals(lastCustom, 0, lastCustom.length, custom, 0, nCustom)) return lastCustom;
        lastCustom = Arrays.copyOf(custom, nCustom);
        return lastCustom;
    }
}
