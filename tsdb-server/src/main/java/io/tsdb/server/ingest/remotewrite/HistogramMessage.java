package io.tsdb.server.ingest.remotewrite;

import io.tsdb.core.histogram.CounterResetHint;
import io.tsdb.core.histogram.Schemas;
import io.tsdb.server.ingest.proto.NativeHistogramFields;
import io.tsdb.server.ingest.proto.ProtoException;
import io.tsdb.server.ingest.proto.ProtoReader;

import java.util.Arrays;

/**
 * Reads one native histogram message of remote write ({@code prometheus.Histogram} in 1.0,
 * {@code io.prometheus.write.v2.Histogram} in 2.0: the same field numbers, 2.0 adds {@code start_timestamp = 17})
 * with the server's one {@link ProtoReader} into reusable holders, the spans, deltas and counts through
 * {@link NativeHistogramFields} (which the protobuf exposition format shares), then brings it into the model's form
 * and checks it ({@link #prepare}).
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
public final class HistogramMessage extends NativeHistogramFields {
    public long timestamp;
    /** The 2.0 start timestamp (ms) of the sample, 0 when unset. */
    public long startTimestamp;

    private double[] custom = new double[16];
    private int nCustom;
    private double[] lastCustom;

    /** Reads the message within the reader's current limit. Structural errors throw {@link ProtoException}. */
    public void read(ProtoReader r) {
        clear();
        timestamp = startTimestamp = 0;
        nCustom = 0;
        int hint = 0;
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
                case 8 -> span(r, tag, false, "negative_spans");
                case 9 -> deltas(r, tag, false, "negative_deltas");
                case 10 -> counts(r, tag, false, "negative_counts");
                case 11 -> span(r, tag, true, "positive_spans");
                case 12 -> deltas(r, tag, true, "positive_deltas");
                case 13 -> counts(r, tag, true, "positive_counts");
                case 14 -> { r.expect(tag, ProtoReader.VARINT, "histogram reset_hint"); hint = r.varint32(); }
                case 15 -> { r.expect(tag, ProtoReader.VARINT, "histogram timestamp"); timestamp = r.varint64(); }
                case 16 -> customValues(r, tag);
                case 17 -> { r.expect(tag, ProtoReader.VARINT, "histogram start_timestamp"); startTimestamp = r.varint64(); }
                default -> r.skip(tag);
            }
        }
        finish(hint >= 0 && hint <= 3 ? CounterResetHint.ofCode(hint) : CounterResetHint.UNKNOWN,
                schema == Schemas.CUSTOM_BUCKETS || nCustom > 0 ? customBounds() : null);
    }

    /** A short description for error messages: "integer histogram at 1700000000000 (schema 3, count 12)". */
    public String describe() {
        return (isFloat ? "float histogram" : "histogram") + " at timestamp " + timestamp + " (schema "
                + (isFloat ? floating.schema : integer.schema) + ")";
    }

    private void customValues(ProtoReader r, int tag) {
        int old = r.repeated(tag, ProtoReader.FIXED64, "custom_values");
        while (r.hasRemaining()) {
            if (nCustom == custom.length) custom = Arrays.copyOf(custom, nCustom * 2);
            custom[nCustom++] = r.doubleValue();
        }
        r.popLimit(old);
    }

    /** The custom bounds read, as the array of the previous message when equal (bounds rarely change). */
    private double[] customBounds() {
        if (lastCustom != null && Arrays.equals(lastCustom, 0, lastCustom.length, custom, 0, nCustom)) return lastCustom;
        lastCustom = Arrays.copyOf(custom, nCustom);
        return lastCustom;
    }
}
