package io.tsdb.server.ingest.prom;

import io.netty.buffer.ByteBuf;
import io.tsdb.core.AppendStatus;
import io.tsdb.core.Labels;
import io.tsdb.core.StaleNaN;
import io.tsdb.core.histogram.CounterResetHint;
import io.tsdb.core.histogram.InvalidHistogramException;
import io.tsdb.server.MetadataStore;
import io.tsdb.server.ingest.IngestBatch;
import io.tsdb.server.ingest.LabelRules;
import io.tsdb.server.ingest.LabelSetBuilder;
import io.tsdb.server.ingest.proto.NativeHistogramFields;
import io.tsdb.server.ingest.proto.ProtoException;
import io.tsdb.server.ingest.proto.ProtoReader;

import java.util.ArrayList;
import java.util.List;

/**
 * The Prometheus protobuf exposition format ({@code application/vnd.google.protobuf;
 * proto=io.prometheus.client.MetricFamily; encoding=delimited}: varint-length-prefixed {@code MetricFamily}
 * messages), read with the server's one {@link ProtoReader}, as Prometheus ingests a scrape of it: counters, gauges
 * and untyped metrics as one series each; summaries as {@code {quantile}}, {@code _sum} and {@code _count}; a
 * histogram with native fields (spans, a zero bucket, or the empty span that marks a native histogram without
 * observations) as one native histogram sample (a gauge histogram's marked as such), otherwise as classic
 * {@code _bucket{le}}, {@code _sum} and {@code _count}. HELP, TYPE and UNIT go to the metadata store.
 *
 * <p>Field numbers (io.prometheus.client): MetricFamily {name=1, help=2, type=3, metric=4, unit=5}; Metric {label=1
 * {name=1, value=2}, gauge=2, counter=3, summary=4, untyped=5, histogram=7, timestamp_ms=6}; Gauge/Counter/Untyped
 * {value=1}; Summary {sample_count=1, sample_sum=2, quantile=3 {quantile=1, value=2}}; Histogram {sample_count=1,
 * sample_count_float=4, sample_sum=2, bucket=3 {cumulative_count=1, cumulative_count_float=4, upper_bound=2},
 * schema=5, zero_threshold=6, zero_count=7, zero_count_float=8, negative_span=9, negative_delta=10,
 * negative_count=11, positive_span=12, positive_delta=13, positive_count=14}. Structural errors throw
 * {@link ProtoException} (the caller stores nothing); invalid series or histograms are counted and skipped.
 * Not thread-safe.
 */
public final class PromProtobufParser {
    public static final String CONTENT_TYPE = "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";
    static final int COUNTER = 0, GAUGE = 1, SUMMARY = 2, UNTYPED = 3, HISTOGRAM = 4, GAUGE_HISTOGRAM = 5;

    private final ProtoReader r = new ProtoReader();
    private final LabelSetBuilder lb;
    private final NativeHistogramFields nh = new NativeHistogramFields();
    private final List<String> labelNames = new ArrayList<>(), labelValues = new ArrayList<>();
    private double[] bounds = new double[16], cumulative = new double[16], quantiles = new double[8], qvalues = new double[8];

    public PromProtobufParser(LabelRules rules) { this.lb = new LabelSetBuilder(rules); }

    /** Whether a Content-Type names the delimited protobuf exposition format. */
    public static boolean isProtobuf(String contentType) {
        if (contentType == null) return false;
        String c = contentType.toLowerCase(java.util.Locale.ROOT);
        return c.contains("application/vnd.google.protobuf") && c.contains("io.prometheus.client.metricfamily");
    }

    public void parse(ByteBuf buf, String[] extra, PromTextParser.Timestamps timestamps, long nowMs, IngestBatch batch, MetadataStore metadata) {
        try {
            parseBody(buf, extra, timestamps, nowMs, batch, metadata);
        } finally {
            r.clear();   // no reference to the request's buffer outlives the request (a pooled chunk)
        }
    }

    private void parseBody(ByteBuf buf, String[] extra, PromTextParser.Timestamps timestamps, long nowMs, IngestBatch batch, MetadataStore metadata) {
        r.reset(buf);
        int family = 0;
        while (r.hasRemaining()) {
            int len = r.lengthDelimited();
            int old = r.pushLimit(len);
            family(++family, extra, timestamps, nowMs, batch, metadata);
            r.popLimit(old);
        }
    }

    private void family(int index, String[] extra, PromTextParser.Timestamps tsMode, long nowMs, IngestBatch batch, MetadataStore metadata) {
        int start = r.position();
        String name = null, help = "", unit = "";
        int type = UNTYPED;
        while (r.hasRemaining()) {
            int tag = r.tag();
            switch (ProtoReader.field(tag)) {
                case 1 -> { r.expect(tag, ProtoReader.LEN, "metric family name"); name = r.string(); }
                case 2 -> { r.expect(tag, ProtoReader.LEN, "help"); help = r.string(); }
                case 3 -> { r.expect(tag, ProtoReader.VARINT, "type"); type = r.varint32(); }
                case 5 -> { r.expect(tag, ProtoReader.LEN, "unit"); unit = r.string(); }
                default -> r.skip(tag);
            }
        }
        if (name == null || name.isEmpty()) {
            throw new ProtoException("metric family #" + index + " has no name (at byte " + (start - r.buffer().readerIndex()) + ")");
        }
        if (metadata != null) metadata.put(batch.metadataTenant(), name, typeName(type), help, unit);
        r.position(start);
        for (int tag; (tag = r.next(4)) != 0; ) {
            int old = r.message(tag, "metric");
            metric(name, type, extra, tsMode, nowMs, batch);
            r.popLimit(old);
        }
    }

    private static String typeName(int t) {
        return switch (t) {
            case COUNTER -> "counter";
            case GAUGE -> "gauge";
            case SUMMARY -> "summary";
            case HISTOGRAM -> "histogram";
            case GAUGE_HISTOGRAM -> "gaugehistogram";
            default -> "unknown";
        };
    }

    private void metric(String name, int type, String[] extra, PromTextParser.Timestamps tsMode, long nowMs, IngestBatch batch) {
        int start = r.position();
        labelNames.clear();
        labelValues.clear();
        long ts = 0;
        boolean hasTs = false;
        int valueStart = -1, valueLen = 0, valueField = 0;
        while (r.hasRemaining()) {
            int tag = r.tag();
            int f = ProtoReader.field(tag);
            switch (f) {
                case 1 -> {
                    int old = r.message(tag, "label");
                    String ln = "", lv = "";
                    while (r.hasRemaining()) {
                        int t = r.tag();
                        if (ProtoReader.field(t) == 1) { r.expect(t, ProtoReader.LEN, "label name"); ln = r.string(); }
                        else if (ProtoReader.field(t) == 2) { r.expect(t, ProtoReader.LEN, "label value"); lv = r.string(); }
                        else r.skip(t);
                    }
                    r.popLimit(old);
                    labelNames.add(ln);
                    labelValues.add(lv);
                }
                case 2, 3, 4, 5, 7 -> {
                    r.expect(tag, ProtoReader.LEN, "metric value");
                    valueLen = r.lengthDelimited();
                    valueStart = r.position();
                    valueField = f;
                    r.position(valueStart + valueLen);
                }
                case 6 -> { r.expect(tag, ProtoReader.VARINT, "timestamp_ms"); ts = r.varint64(); hasTs = true; }
                default -> r.skip(tag);
            }
        }
        int end = r.position();
        if (valueStart < 0) return; // a metric without a value: nothing to store
        if (hasTs && tsMode == PromTextParser.Timestamps.REJECTED) {
            batch.reject("timestamp_not_allowed", "metric " + name + ": pushed samples must not carry timestamps");
            return;
        }
        long t = hasTs ? ts : nowMs;
        r.position(valueStart);
        int old = r.pushLimit(valueLen);
        switch (valueField) {
            case 2, 3, 5 -> {
                double v = 0;
                while (r.hasRemaining()) {
                    int tag = r.tag();
                    if (ProtoReader.field(tag) == 1) { r.expect(tag, ProtoReader.FIXED64, "value"); v = r.doubleValue(); }
                    else r.skip(tag);
                }
                emit(name, null, null, extra, t, v, batch);
            }
            case 4 -> summary(name, extra, t, batch);
            case 7 -> histogram(name, type == GAUGE_HISTOGRAM, extra, t, batch);
            default -> { }
        }
        r.popLimit(old);
        r.position(end);
    }

    /** Labels of the current metric plus an optional extra label (le, quantile) and the grouping labels; null when invalid. */
    private Labels labels(String name, String extraName, String extraValue, String[] extra, IngestBatch batch) {
        lb.reset();
        lb.add(Labels.METRIC_NAME, name);
        for (int i = 0; i < labelNames.size(); i++) lb.add(labelNames.get(i), labelValues.get(i));
        if (extraName != null) lb.add(extraName, extraValue);
        for (int i = 0; i + 1 < extra.length; i += 2) {
            String have = lb.get(extra[i]);
            if (have != null && !have.equals(extra[i + 1])) {
                lb.reject(AppendStatus.DUPLICATE_LABEL_NAME, "label " + extra[i] + "=\"" + have + "\" conflicts with the grouping label "
                        + extra[i] + "=\"" + extra[i + 1] + "\"");
                batch.reject(lb.reason().reason, lb.message());
                return null;
            }
            if (have == null) lb.add(extra[i], extra[i + 1]);
        }
        Labels l = lb.build();
        if (l == null) batch.reject(lb.reason().reason, lb.message());
        return l;
    }

    private void emit(String name, String extraName, String extraValue, String[] extra, long t, double v, IngestBatch batch) {
        Labels l = labels(name, extraName, extraValue, extra, batch);
        if (l != null) batch.append(l, t, v);
    }

    private void summary(String name, String[] extra, long t, IngestBatch batch) {
        long count = 0;
        double sum = 0;
        int n = 0;
        while (r.hasRemaining()) {
            int tag = r.tag();
            switch (ProtoReader.field(tag)) {
                case 1 -> { r.expect(tag, ProtoReader.VARINT, "sample_count"); count = r.varint64(); }
                case 2 -> { r.expect(tag, ProtoReader.FIXED64, "sample_sum"); sum = r.doubleValue(); }
                case 3 -> {
                    int old = r.message(tag, "quantile");
                    double q = 0, v = 0;
                    while (r.hasRemaining()) {
                        int t2 = r.tag();
                        if (ProtoReader.field(t2) == 1) { r.expect(t2, ProtoReader.FIXED64, "quantile"); q = r.doubleValue(); }
                        else if (ProtoReader.field(t2) == 2) { r.expect(t2, ProtoReader.FIXED64, "quantile value"); v = r.doubleValue(); }
                        else r.skip(t2);
                    }
                    r.popLimit(old);
                    if (n == quantiles.length) { quantiles = java.util.Arrays.copyOf(quantiles, n * 2); qvalues = java.util.Arrays.copyOf(qvalues, n * 2); }
                    quantiles[n] = q;
                    qvalues[n++] = v;
                }
                default -> r.skip(tag);
            }
        }
        for (int i = 0; i < n; i++) emit(name, "quantile", io.tsdb.server.ingest.otlp.OtlpNames.formatFloat(quantiles[i]), extra, t, qvalues[i], batch);
        emit(name + "_sum", null, null, extra, t, sum, batch);
        emit(name + "_count", null, null, extra, t, unsigned(count), batch);
    }

    private void histogram(String name, boolean gauge, String[] extra, long t, IngestBatch batch) {
        NativeHistogramFields h = nh;
        h.clear();
        int nb = 0;
        while (r.hasRemaining()) {
            int tag = r.tag();
            switch (ProtoReader.field(tag)) {
                case 1 -> { r.expect(tag, ProtoReader.VARINT, "sample_count"); h.countInt = r.varint64(); }
                case 2 -> { r.expect(tag, ProtoReader.FIXED64, "sample_sum"); h.sum = r.doubleValue(); }
                case 3 -> {
                    int old = r.message(tag, "bucket");
                    double c = 0, ub = 0;
                    while (r.hasRemaining()) {
                        int t2 = r.tag();
                        switch (ProtoReader.field(t2)) {
                            case 1 -> { r.expect(t2, ProtoReader.VARINT, "cumulative_count"); c = r.varint64(); }
                            case 4 -> { r.expect(t2, ProtoReader.FIXED64, "cumulative_count_float"); c = r.doubleValue(); }
                            case 2 -> { r.expect(t2, ProtoReader.FIXED64, "upper_bound"); ub = r.doubleValue(); }
                            default -> r.skip(t2);
                        }
                    }
                    r.popLimit(old);
                    if (nb == bounds.length) { bounds = java.util.Arrays.copyOf(bounds, nb * 2); cumulative = java.util.Arrays.copyOf(cumulative, nb * 2); }
                    bounds[nb] = ub;
                    cumulative[nb++] = c;
                }
                case 4 -> { r.expect(tag, ProtoReader.FIXED64, "sample_count_float"); h.countFloat = r.doubleValue(); h.isFloat = true; }
                case 5 -> { r.expect(tag, ProtoReader.VARINT, "schema"); h.schema = (int) r.sint64(); }
                case 6 -> { r.expect(tag, ProtoReader.FIXED64, "zero_threshold"); h.zeroThreshold = r.doubleValue(); }
                case 7 -> { r.expect(tag, ProtoReader.VARINT, "zero_count"); h.zeroInt = r.varint64(); }
                case 8 -> { r.expect(tag, ProtoReader.FIXED64, "zero_count_float"); h.zeroFloat = r.doubleValue(); }
                case 9 -> h.span(r, tag, false, "negative_span");
                case 10 -> h.deltas(r, tag, false, "negative_delta");
                case 11 -> h.counts(r, tag, false, "negative_count");
                case 12 -> h.span(r, tag, true, "positive_span");
                case 13 -> h.deltas(r, tag, true, "positive_delta");
                case 14 -> h.counts(r, tag, true, "positive_count");
                default -> r.skip(tag);
            }
        }
        if (h.hasNativeFields()) {
            Labels l = labels(name, null, null, extra, batch);
            if (l == null) return;
            try {
                h.dropEmptySpans();
                h.finish(gauge ? CounterResetHint.GAUGE : CounterResetHint.UNKNOWN, null);
                h.prepare();
                if (h.isFloat) batch.appendFloatHistogram(l, t, h.floating);
                else batch.appendHistogram(l, t, h.integer);
            } catch (InvalidHistogramException e) {
                batch.reject("invalid_histogram", "series " + l + ": histogram (schema " + h.schema + ") breaks rule " + e.rule().id + ": " + e.getMessage());
            }
            return;
        }
        // classic histogram
        double total = h.isFloat ? h.countFloat : unsigned(h.countInt);
        boolean inf = false;
        for (int i = 0; i < nb; i++) {
            if (bounds[i] == Double.POSITIVE_INFINITY) inf = true;
            emit(name + "_bucket", "le", io.tsdb.server.ingest.otlp.OtlpNames.formatFloat(bounds[i]), extra, t, cumulative[i], batch);
        }
        if (!inf) emit(name + "_bucket", "le", "+Inf", extra, t, total, batch);
        emit(name + "_sum", null, null, extra, t, h.sum, batch);
        emit(name + "_count", null, null, extra, t, total, batch);
    }

    /** A uint64 field as a double. */
    private static double unsigned(long v) { return v >= 0 ? v : (v >>> 1) * 2.0 + (v & 1); }
}
