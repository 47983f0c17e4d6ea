package io.tsdb.server.api;

import io.tsdb.core.Labels;
import io.tsdb.core.SampleCursor;
import io.tsdb.core.StaleNaN;
import io.tsdb.core.histogram.CounterResetHint;
import io.tsdb.core.histogram.FloatHistogram;
import io.tsdb.server.http.Response;
import io.tsdb.server.ingest.proto.ProtoWriter;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The answer of {@code GET /federate}: the newest sample of each series, as Prometheus federates it. A client that
 * accepts the delimited protobuf exposition format ({@code application/vnd.google.protobuf;
 * proto=io.prometheus.client.MetricFamily; encoding=delimited}, what Prometheus asks for when it scrapes native
 * histograms) gets {@code MetricFamily} messages: floats as {@code UNTYPED}, native histograms as {@code HISTOGRAM}
 * (or {@code GAUGE_HISTOGRAM} for gauge histograms) with their schema, spans and counts, custom-bucket histograms
 * as classic buckets. Everyone else gets the text format 0.0.4, which cannot carry exponential histograms: those are
 * left out (as Prometheus does), custom-bucket histograms are written as classic histograms ({@code _bucket{le}},
 * {@code _sum}, {@code _count}).
 */
final class Federation {
    static final String PROTOBUF = "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";
    static final String TEXT = "text/plain; version=0.0.4; charset=utf-8";

    /** One newest sample: {@code h == null} for a float. */
    record Point(Labels labels, long t, double v, FloatHistogram h) {}

    private Federation() {}

    /** Whether the Accept header asks for the delimited protobuf exposition format. */
    static boolean wantsProtobuf(String accept) {
        if (accept == null) return false;
        for (String part : accept.split(",")) {
            String p = part.toLowerCase(java.util.Locale.ROOT);
            if (p.contains("application/vnd.google.protobuf") && p.contains("io.prometheus.client.metricfamily")
                    && p.contains("encoding=delimited")) return true;
        }
        return false;
    }

    /** The newest non-stale sample of the cursor's series, or null. */
    static Point newest(Labels labels, SampleCursor c) {
        long t = 0;
        double v = 0;
        int type = -1;
        FloatHistogram h = null;
        while (c.next()) {
            t = c.timestamp();
            type = c.sampleType();
            if (type == SampleCursor.FLOAT) {
                v = c.value();
            } else {
                if (h == null) h = new FloatHistogram();
                c.floatHistogram(h);
            }
        }
        if (type < 0) return null;
        if (type == SampleCursor.FLOAT) return StaleNaN.is(v) ? null : new Point(labels, t, v, null);
        return h.isStale() ? null : new Point(labels, t, Double.NaN, h);
    }

    /** Points sorted by label set (so by metric name first). */
    static Response answer(List<Point> points, boolean protobuf) {
        return protobuf ? new Response(200, PROTOBUF, protobuf(points)) : new Response(200, TEXT, text(points).getBytes(StandardCharsets.UTF_8));
    }

    // ------------------------------------------------------------------ text

    static String text(List<Point> points) {
        StringBuilder sb = new StringBuilder(4096);
        String lastName = null;
        int lastKind = -1;
        for (Point p : points) {
            if (p.h != null && !p.h.usesCustomBuckets()) continue; // not expressible in the text format
            String name = p.labels.metricName();
            int kind = p.h == null ? 0 : 1;
            if (!name.equals(lastName) || kind != lastKind) {
                sb.append("# TYPE ").append(name).append(kind == 0 ? " untyped\n" : p.h.hint == CounterResetHint.GAUGE ? " gaugehistogram\n" : " histogram\n");
                lastName = name;
                lastKind = kind;
            }
            if (p.h == null) {
                series(sb, name, p.labels, null, null);
                sb.append(' ').append(GoFloat.text(p.v)).append(' ').append(p.t).append('\n');
                continue;
            }
            double cumulative = 0;
            double[] bounds = p.h.customValues == null ? new double[0] : p.h.customValues;
            double[] perBound = customBucketCounts(p.h, bounds.length);
            for (int i = 0; i < bounds.length; i++) {
                cumulative += perBound[i];
                series(sb, name + "_bucket", p.labels, "le", GoFloat.text(bounds[i]));
                sb.append(' ').append(GoFloat.text(cumulative)).append(' ').append(p.t).append('\n');
            }
            series(sb, name + "_bucket", p.labels, "le", "+Inf");
            sb.append(' ').append(GoFloat.text(p.h.count)).append(' ').append(p.t).append('\n');
            series(sb, name + "_sum", p.labels, null, null);
            sb.append(' ').append(GoFloat.text(p.h.sum)).append(' ').append(p.t).append('\n');
            series(sb, name + "_count", p.labels, null, null);
            sb.append(' ').append(GoFloat.text(p.h.count)).append(' ').append(p.t).append('\n');
        }
        return sb.toString();
    }

    /** Counts of custom buckets 0..n-1 (the +Inf bucket n is the count's remainder). */
    private static double[] customBucketCounts(FloatHistogram h, int n) {
        double[] out = new double[n + 1];
        int idx = 0, k = 0;
        for (int s = 0; s < h.positiveSpans.size(); s++) {
            idx += h.positiveSpans.offset(s);
            for (int j = 0; j < h.positiveSpans.length(s); j++, idx++, k++) {
                if (idx >= 0 && idx <= n) out[idx] += h.positiveBuckets[k];
            }
        }
        return out;
    }

    private static void series(StringBuilder sb, String name, Labels labels, String extraName, String extraValue) {
        sb.append(name);
        boolean any = false;
        for (int i = 0; i < labels.size(); i++) {
            if (labels.name(i).equals(Labels.METRIC_NAME)) continue;
            sb.append(any ? ',' : '{');
            any = true;
            sb.append(labels.name(i)).append("=\"");
            escape(sb, labels.value(i));
            sb.append('"');
        }
        if (extraName != null) {
            sb.append(any ? ',' : '{').append(extraName).append("=\"").append(extraValue).append('"');
            any = true;
        }
        if (any) sb.append('}');
    }

    static void escape(StringBuilder sb, String v) {
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            switch (c) {
                case '\\' -> sb.append("\\\\");
                case '"' -> sb.append("\\\"");
                case '\n' -> sb.append("\\n");
                default -> sb.append(c);
            }
        }
    }

    // ------------------------------------------------------------------ protobuf

    // io.prometheus.client: MetricFamily {name=1, help=2, type=3, metric=4}; MetricType UNTYPED=3, HISTOGRAM=4,
    // GAUGE_HISTOGRAM=5; Metric {label=1 {name=1, value=2}, untyped=5 {value=1}, histogram=7, timestamp_ms=6};
    // Histogram {sample_sum=2, bucket=3 {cumulative_count_float=4, upper_bound=2}, sample_count_float=4, schema=5
    // (sint32), zero_threshold=6, zero_count_float=8, negative_span=9 {offset=1 (sint32), length=2},
    // negative_count=11, positive_span=12, positive_count=14}.
    static byte[] protobuf(List<Point> points) {
        ProtoWriter out = new ProtoWriter(), fam = new ProtoWriter(), metric = new ProtoWriter(), tmp = new ProtoWriter(),
                tmp2 = new ProtoWriter();
        String lastName = null;
        int lastType = -1;
        for (Point p : points) {
            String name = p.labels.metricName();
            int type = p.h == null ? 3 : p.h.hint == CounterResetHint.GAUGE ? 5 : 4;
            if (!name.equals(lastName) || type != lastType) {
                if (lastName != null) out.delimited(fam);
                fam.reset();
                fam.string(1, name);
                fam.int64(3, type);
                lastName = name;
                lastType = type;
            }
            metric.reset();
            for (int i = 0; i < p.labels.size(); i++) {
                if (p.labels.name(i).equals(Labels.METRIC_NAME)) continue;
                tmp.reset();
                tmp.string(1, p.labels.name(i));
                tmp.string(2, p.labels.value(i));
                metric.message(1, tmp);
            }
            tmp.reset();
            if (p.h == null) {
                tmp.fixed64(1, p.v);
                metric.message(5, tmp);
            } else {
                histogram(tmp, tmp2, p.h);
                metric.message(7, tmp);
            }
            metric.int64(6, p.t);
            fam.message(4, metric);
        }
        if (lastName != null) out.delimited(fam);
        return out.toByteArray();
    }

    private static void histogram(ProtoWriter w, ProtoWriter scratch, FloatHistogram h) {
        w.fixed64(2, h.sum);
        w.fixed64(4, h.count);
        if (h.usesCustomBuckets()) {
            double[] bounds = h.customValues == null ? new double[0] : h.customValues;
            double[] per = customBucketCounts(h, bounds.length);
            double cumulative = 0;
            for (int i = 0; i < bounds.length; i++) {
                cumulative += per[i];
                scratch.reset();
                scratch.fixed64(2, bounds[i]);
                scratch.fixed64(4, cumulative);
                w.message(3, scratch);
            }
            return;
        }
        w.sint64(5, h.schema);
        w.fixed64(6, h.zeroThreshold);
        w.fixed64(8, h.zeroCount);
        HistogramWire.spans(w, scratch, 9, h.negativeSpans);
        w.packedDoubles(11, h.negativeBuckets, h.negativeCount);
        HistogramWire.spans(w, scratch, 12, h.positiveSpans);
        w.packedDoubles(14, h.positiveBuckets, h.positiveCount);
    }

    static List<Point> sorted(List<Point> in) {
        List<Point> out = new ArrayList<>(in);
        out.sort((a, b) -> a.labels.compareTo(b.labels));
        return out;
    }
}
