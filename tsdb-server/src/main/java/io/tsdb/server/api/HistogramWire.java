package io.tsdb.server.api;

import io.tsdb.core.histogram.FloatHistogram;
import io.tsdb.core.histogram.Histogram;
import io.tsdb.core.histogram.Spans;

/**
 * Writes native histograms as the remote-read/remote-write {@code prometheus.Histogram} message (field numbers in
 * {@link io.tsdb.server.ingest.remotewrite.HistogramMessage}, which reads them): an integer histogram with
 * {@code count_int}, {@code zero_count_int} and bucket deltas, a float one with {@code count_float},
 * {@code zero_count_float} and absolute counts (the count fields are always written, so the kind survives a count of
 * 0), then schema, zero threshold, spans, reset hint, timestamp and custom bounds. Reuses the caller's scratch writer.
 */
final class HistogramWire {
    private HistogramWire() {}

    static void write(Proto.Writer out, Proto.Writer scratch, Histogram h, long ts) {
        out.int64(1, h.count);
        out.fixed64(3, h.sum);
        out.int64(4, zigzag(h.schema));
        if (h.zeroThreshold != 0) out.fixed64(5, h.zeroThreshold);
        if (h.zeroCount != 0) out.int64(6, h.zeroCount);
        spans(out, scratch, 8, h.negativeSpans);
        deltas(out, scratch, 9, h.negativeBuckets, h.negativeCount);
        spans(out, scratch, 11, h.positiveSpans);
        deltas(out, scratch, 12, h.positiveBuckets, h.positiveCount);
        tail(out, scratch, h.hint.code, ts, h.customValues);
    }

    static void write(Proto.Writer out, Proto.Writer scratch, FloatHistogram h, long ts) {
        out.fixed64(2, h.count);
        out.fixed64(3, h.sum);
        out.int64(4, zigzag(h.schema));
        if (h.zeroThreshold != 0) out.fixed64(5, h.zeroThreshold);
        if (h.zeroCount != 0) out.fixed64(7, h.zeroCount);
        spans(out, scratch, 8, h.negativeSpans);
        doubles(out, scratch, 10, h.negativeBuckets, h.negativeCount);
        spans(out, scratch, 11, h.positiveSpans);
        doubles(out, scratch, 13, h.positiveBuckets, h.positiveCount);
        tail(out, scratch, h.hint.code, ts, h.customValues);
    }

    private static void tail(Proto.Writer out, Proto.Writer scratch, int hint, long ts, double[] custom) {
        if (hint != 0) out.int64(14, hint);
        out.int64(15, ts);
        if (custom != null && custom.length > 0) doubles(out, scratch, 16, custom, custom.length);
    }

    private static long zigzag(long v) { return (v << 1) ^ (v >> 63); }

    private static void spans(Proto.Writer out, Proto.Writer scratch, int field, Spans spans) {
        for (int i = 0; i < spans.size(); i++) {
            scratch.reset();
            if (spans.offset(i) != 0) scratch.int64(1, zigzag(spans.offset(i)));
            if (spans.length(i) != 0) scratch.int64(2, spans.length(i) & 0xffffffffL);
            out.message(field, scratch);
        }
    }

    private static void deltas(Proto.Writer out, Proto.Writer scratch, int field, long[] d, int n) {
        if (n == 0) return;
        scratch.reset();
        for (int i = 0; i < n; i++) scratch.varint(zigzag(d[i]));
        out.message(field, scratch);
    }

    private static void doubles(Proto.Writer out, Proto.Writer scratch, int field, double[] d, int n) {
        if (n == 0) return;
        scratch.reset();
        for (int i = 0; i < n; i++) scratch.rawDouble(d[i]);
        out.message(field, scratch);
    }
}
