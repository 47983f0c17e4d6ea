package io.tsdb.server.api;

import io.tsdb.core.histogram.FloatHistogram;
import io.tsdb.core.histogram.Histogram;
import io.tsdb.core.histogram.Spans;
import io.tsdb.server.ingest.proto.ProtoWriter;

/**
 * Writes native histograms as the remote-read/remote-write {@code prometheus.Histogram} message (field numbers in
 * {@link io.tsdb.server.ingest.remotewrite.HistogramMessage}, which reads them): an integer histogram with
 * {@code count_int}, {@code zero_count_int} and bucket deltas, a float one with {@code count_float},
 * {@code zero_count_float} and absolute counts (the count fields are always written, so the kind survives a count of
 * 0), then schema, zero threshold, spans, reset hint, timestamp and custom bounds. Reuses the caller's scratch writer.
 */
final class HistogramWire {
    private HistogramWire() {}

    static void write(ProtoWriter out, ProtoWriter scratch, Histogram h, long ts) {
        out.int64(1, h.count);
        out.fixed64(3, h.sum);
        out.sint64(4, h.schema);
        if (h.zeroThreshold != 0) out.fixed64(5, h.zeroThreshold);
        if (h.zeroCount != 0) out.int64(6, h.zeroCount);
        spans(out, scratch, 8, h.negativeSpans);
        out.packedSint64(9, h.negativeBuckets, h.negativeCount);
        spans(out, scratch, 11, h.positiveSpans);
        out.packedSint64(12, h.positiveBuckets, h.positiveCount);
        tail(out, h.hint.code, ts, h.customValues);
    }

    static void write(ProtoWriter out, ProtoWriter scratch, FloatHistogram h, long ts) {
        out.fixed64(2, h.count);
        out.fixed64(3, h.sum);
        out.sint64(4, h.schema);
        if (h.zeroThreshold != 0) out.fixed64(5, h.zeroThreshold);
        if (h.zeroCount != 0) out.fixed64(7, h.zeroCount);
        spans(out, scratch, 8, h.negativeSpans);
        out.packedDoubles(10, h.negativeBuckets, h.negativeCount);
        spans(out, scratch, 11, h.positiveSpans);
        out.packedDoubles(13, h.positiveBuckets, h.positiveCount);
        tail(out, h.hint.code, ts, h.customValues);
    }

    private static void tail(ProtoWriter out, int hint, long ts, double[] custom) {
        if (hint != 0) out.int64(14, hint);
        out.int64(15, ts);
        if (custom != null) out.packedDoubles(16, custom, custom.length);
    }

    /**
     * BucketSpan {offset = 1 (sint32), length = 2} messages of one side, zero fields left out: the same message in
     * remote read and the protobuf exposition format ({@link Federation}).
     */
    static void spans(ProtoWriter out, ProtoWriter scratch, int field, Spans spans) {
        for (int i = 0; i < spans.size(); i++) {
            scratch.reset();
            if (spans.offset(i) != 0) scratch.sint64(1, spans.offset(i));
            if (spans.length(i) != 0) scratch.int64(2, spans.length(i) & 0xffffffffL);
            out.message(field, scratch);
        }
    }
}
