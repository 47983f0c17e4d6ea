package io.tsdb.server.ingest.otlp;

import io.netty.buffer.ByteBuf;
import io.tsdb.server.ingest.proto.ProtoException;
import io.tsdb.server.ingest.proto.ProtoReader;

import java.util.Arrays;
import java.util.Base64;

/**
 * Hand-written reader of {@code opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest} over
 * the body buffer. Fields may come in any order: each message is scanned once for the fields that the rest
 * depends on (resource before scope metrics, name/unit before data, temporality before points, attributes
 * before values), then read. Structural errors throw {@link ProtoException}. Not thread-safe.
 */
public final class OtlpProtoDecoder {
    private final ProtoReader r = new ProtoReader();
    private final OtlpConverter out;
    private double[] bounds = new double[64], qs = new double[32], qv = new double[32];
    private long[] counts = new long[64], posCounts = new long[64], negCounts = new long[64];
    private int nPos, nNeg, posOffset, negOffset;

    public OtlpProtoDecoder(OtlpConverter out) { this.out = out; }

    public void decode(ByteBuf buf) {
        try {
            decodeBody(buf);
        } finally {
            r.clear();   // no reference to the request's buffer outlives the request (a pooled chunk)
        }
    }

    private void decodeBody(ByteBuf buf) {
        r.reset(buf);
        for (int tag; (tag = r.next(1)) != 0; ) {
            int old = r.message(tag, "resource_metrics");
            resourceMetrics();
            r.popLimit(old);
        }
    }

    private void resourceMetrics() {
        int start = r.position();
        out.startResource();
        for (int tag; (tag = r.next(1)) != 0; ) {
            int old = r.message(tag, "resource");
            attributeList(1, true);
            r.popLimit(old);
        }
        r.position(start);   // the scope metrics after the resource, which may come last
        for (int tag; (tag = r.next(2)) != 0; ) {
            int old = r.message(tag, "scope_metrics");
            for (int t; (t = r.next(2)) != 0; ) {
                int o2 = r.message(t, "metric");
                metric();
                r.popLimit(o2);
            }
            r.popLimit(old);
        }
    }

    /** The value of the last {@link #keyValue} read. */
    private String kvValue;

    /**
     * KeyValue {key = 1; AnyValue value = 2} within the reader's current limit: returns the key (null when absent) and
     * leaves the value, rendered by {@link #anyValue}, in {@link #kvValue}. Attributes and kvlist entries alike.
     */
    private String keyValue(int depth) {
        String key = null, value = "";
        boolean nested = depth > 0;
        while (r.hasRemaining()) {
            int t = r.tag();
            switch (ProtoReader.field(t)) {
                case 1 -> { r.expect(t, ProtoReader.LEN, nested ? "kvlist_value entry key" : "attribute key"); key = r.string(); }
                case 2 -> {
                    int old = r.message(t, nested ? "kvlist_value entry value" : "attribute value");
                    value = anyValue(depth);
                    r.popLimit(old);
                }
                default -> r.skip(t);
            }
        }
        kvValue = value;
        return key;
    }

    private static final int MAX_DEPTH = 16;

    /** AnyValue as a label value string. */
    private String anyValue(int depth) {
        if (depth > MAX_DEPTH) throw new ProtoException("attribute value nested deeper than " + MAX_DEPTH + " levels at byte " + r.offset());
        String v = "";
        while (r.hasRemaining()) {
            int t = r.tag();
            switch (ProtoReader.field(t)) {
                case 1 -> { r.expect(t, ProtoReader.LEN, "string_value"); v = r.string(); }
                case 2 -> { r.expect(t, ProtoReader.VARINT, "bool_value"); v = r.varint64() != 0 ? "true" : "false"; }
                case 3 -> { r.expect(t, ProtoReader.VARINT, "int_value"); v = Long.toString(r.varint64()); }
                case 4 -> { r.expect(t, ProtoReader.FIXED64, "double_value"); v = OtlpNames.formatFloat(r.doubleValue()); }
                case 5, 6 -> { // ArrayValue {repeated AnyValue values = 1} / KeyValueList {repeated KeyValue values = 1}: JSON-like text
                    boolean kv = ProtoReader.field(t) == 6;
                    int old = r.message(t, kv ? "kvlist_value" : "array_value");
                    StringBuilder sb = new StringBuilder(kv ? "{" : "[");
                    for (int t2; (t2 = r.next(1)) != 0; ) {
                        int o2 = r.message(t2, kv ? "kvlist_value entry" : "array_value entry");
                        if (sb.length() > 1) sb.append(',');
                        if (kv) {
                            String k = keyValue(depth + 1);
                            sb.append('"').append(k == null ? "" : k).append("\":\"").append(kvValue).append('"');
                        } else sb.append('"').append(anyValue(depth + 1)).append('"');
                        r.popLimit(o2);
                    }
                    v = sb.append(kv ? '}' : ']').toString();
                    r.popLimit(old);
                }
                case 7 -> {
                    r.expect(t, ProtoReader.LEN, "bytes_value");
                    int len = r.lengthDelimited();
                    byte[] b = new byte[len];
                    r.buffer().getBytes(r.position(), b);
                    r.position(r.position() + len);
                    v = Base64.getEncoder().encodeToString(b);
                }
                default -> r.skip(t);
            }
        }
        return v;
    }

    /** Metric {name=1, description=2, unit=3, gauge=5, sum=7, histogram=9, exponential_histogram=10, summary=11}. */
    private void metric() {
        String name = null, desc = "", unit = "";
        int kind = 0, dataStart = -1, dataLen = 0;
        while (r.hasRemaining()) {
            int t = r.tag();
            int f = ProtoReader.field(t);
            switch (f) {
                case 1 -> { r.expect(t, ProtoReader.LEN, "metric name"); name = r.string(); }
                case 2 -> { r.expect(t, ProtoReader.LEN, "description"); desc = r.string(); }
                case 3 -> { r.expect(t, ProtoReader.LEN, "unit"); unit = r.string(); }
                case 5, 7, 9, 10, 11 -> {
                    r.expect(t, ProtoReader.LEN, "metric data");
                    int len = r.lengthDelimited();
                    kind = f;
                    dataStart = r.position();
                    dataLen = len;
                    r.position(r.position() + len);
                }
                default -> r.skip(t);
            }
        }
        if (kind == 0) return; // no data: nothing to store
        int end = r.position();
        r.position(dataStart);
        int old = r.pushLimit(dataLen);
        // first: temporality and monotonicity
        int temporality = 0;
        boolean monotonic = false;
        while (r.hasRemaining()) {
            int t = r.tag();
            int f = ProtoReader.field(t);
            if (f == 2 && kind != GAUGE_KIND && kind != SUMMARY_KIND) { r.expect(t, ProtoReader.VARINT, "aggregation_temporality"); temporality = r.varint32(); }
            else if (f == 3 && kind == OtlpConverter.SUM) { r.expect(t, ProtoReader.VARINT, "is_monotonic"); monotonic = r.varint64() != 0; }
            else r.skip(t);
        }
        out.startMetric(name, desc, unit, kind, temporality, monotonic);
        r.position(dataStart);
        for (int t; (t = r.next(1)) != 0; ) {
            int o2 = r.message(t, "data_points");
            switch (kind) {
                case OtlpConverter.GAUGE, OtlpConverter.SUM -> numberPoint();
                case OtlpConverter.HISTOGRAM -> histogramPoint();
                case OtlpConverter.EXP_HISTOGRAM -> exponentialPoint();
                case OtlpConverter.SUMMARY -> summaryPoint();
                default -> out.unsupportedPoint();
            }
            r.popLimit(o2);
        }
        r.popLimit(old);
        r.position(end);
    }

    private static final int GAUGE_KIND = OtlpConverter.GAUGE, SUMMARY_KIND = OtlpConverter.SUMMARY;

    /** A data point's attributes (field {@code attrField}), read first; the point's other fields are read after. */
    private void attributes(int attrField) {
        int start = r.position();
        out.clearAttributes();
        attributeList(attrField, false);
        r.position(start);
    }

    /** Every KeyValue of field {@code field} before the limit, as resource or data point attributes. */
    private void attributeList(int field, boolean resource) {
        for (int t; (t = r.next(field)) != 0; ) {
            int old = r.message(t, resource ? "resource attribute" : "attribute");
            String key = keyValue(0);
            if (key != null) {
                if (resource) out.resourceAttribute(key, kvValue); else out.attribute(key, kvValue);
            }
            r.popLimit(old);
        }
    }

    /** NumberDataPoint {attributes=7, time=3, as_double=4, as_int=6, flags=8}. */
    private void numberPoint() {
        attributes(7);
        long time = 0;
        double v = 0;
        int flags = 0;
        while (r.hasRemaining()) {
            int t = r.tag();
            switch (ProtoReader.field(t)) {
                case 3 -> { r.expect(t, ProtoReader.FIXED64, "time_unix_nano"); time = r.fixed64(); }
                case 4 -> { r.expect(t, ProtoReader.FIXED64, "as_double"); v = r.doubleValue(); }
                case 6 -> { r.expect(t, ProtoReader.FIXED64, "as_int"); v = r.fixed64(); }
                case 8 -> { r.expect(t, ProtoReader.VARINT, "flags"); flags = r.varint32(); }
                default -> r.skip(t);
            }
        }
        out.number(time, v, flags);
    }

    /** HistogramDataPoint {attributes=9, time=3, count=4, sum=5, bucket_counts=6, explicit_bounds=7, flags=10}. */
    private void histogramPoint() {
        attributes(9);
        long time = 0, count = 0;
        double sum = 0;
        boolean hasSum = false;
        int flags = 0, nb = 0, nc = 0;
        while (r.hasRemaining()) {
            int t = r.tag();
            switch (ProtoReader.field(t)) {
                case 3 -> { r.expect(t, ProtoReader.FIXED64, "time_unix_nano"); time = r.fixed64(); }
                case 4 -> { r.expect(t, ProtoReader.FIXED64, "count"); count = r.fixed64(); }
                case 5 -> { r.expect(t, ProtoReader.FIXED64, "sum"); sum = r.doubleValue(); hasSum = true; }
                case 6 -> {
                    int old = r.repeated(t, ProtoReader.FIXED64, "bucket_counts");
                    while (r.hasRemaining()) { if (nc == counts.length) counts = Arrays.copyOf(counts, nc * 2); counts[nc++] = r.fixed64(); }
                    r.popLimit(old);
                }
                case 7 -> {
                    int old = r.repeated(t, ProtoReader.FIXED64, "explicit_bounds");
                    while (r.hasRemaining()) { if (nb == bounds.length) bounds = Arrays.copyOf(bounds, nb * 2); bounds[nb++] = r.doubleValue(); }
                    r.popLimit(old);
                }
                case 10 -> { r.expect(t, ProtoReader.VARINT, "flags"); flags = r.varint32(); }
                default -> r.skip(t);
            }
        }
        out.histogram(time, count, sum, hasSum, bounds, nb, counts, nc, flags);
    }

    /**
     * ExponentialHistogramDataPoint {attributes=1, time=3, count=4 (fixed64), sum=5, scale=6 (sint32), zero_count=7
     * (fixed64), positive=8, negative=9 (Buckets {offset=1 (sint32), bucket_counts=2 (uint64, packed or not)}), flags=10}.
     */
    private void exponentialPoint() {
        attributes(1);
        long time = 0, count = 0, zero = 0;
        double sum = 0;
        boolean hasSum = false;
        int flags = 0, scale = 0;
        nPos = nNeg = posOffset = negOffset = 0;
        while (r.hasRemaining()) {
            int t = r.tag();
            switch (ProtoReader.field(t)) {
                case 3 -> { r.expect(t, ProtoReader.FIXED64, "time_unix_nano"); time = r.fixed64(); }
                case 4 -> { r.expect(t, ProtoReader.FIXED64, "count"); count = r.fixed64(); }
                case 5 -> { r.expect(t, ProtoReader.FIXED64, "sum"); sum = r.doubleValue(); hasSum = true; }
                case 6 -> { r.expect(t, ProtoReader.VARINT, "scale"); scale = (int) r.sint64(); }
                case 7 -> { r.expect(t, ProtoReader.FIXED64, "zero_count"); zero = r.fixed64(); }
                case 8, 9 -> {
                    boolean pos = ProtoReader.field(t) == 8;
                    int old = r.message(t, pos ? "positive" : "negative");
                    buckets(pos);
                    r.popLimit(old);
                }
                case 10 -> { r.expect(t, ProtoReader.VARINT, "flags"); flags = r.varint32(); }
                default -> r.skip(t);
            }
        }
        out.exponentialHistogram(time, count, sum, hasSum, scale, zero, posOffset, posCounts, nPos, negOffset, negCounts, nNeg, flags);
    }

    private void buckets(boolean positive) {
        while (r.hasRemaining()) {
            int t = r.tag();
            switch (ProtoReader.field(t)) {
                case 1 -> {
                    r.expect(t, ProtoReader.VARINT, "bucket offset");
                    int off = (int) r.sint64();
                    if (positive) posOffset = off; else negOffset = off;
                }
                case 2 -> {
                    int old = r.repeated(t, ProtoReader.VARINT, "bucket_counts");
                    while (r.hasRemaining()) addBucket(positive, r.varint64());
                    r.popLimit(old);
                }
                default -> r.skip(t);
            }
        }
    }

    private void addBucket(boolean positive, long c) {
        if (positive) {
            if (nPos == posCounts.length) posCounts = Arrays.copyOf(posCounts, nPos * 2);
            posCounts[nPos++] = c;
        } else {
            if (nNeg == negCounts.length) negCounts = Arrays.copyOf(negCounts, nNeg * 2);
            negCounts[nNeg++] = c;
        }
    }

    /** SummaryDataPoint {attributes=7, time=3, count=4, sum=5, quantile_values=6 {quantile=1, value=2}, flags=8}. */
    private void summaryPoint() {
        attributes(7);
        long time = 0, count = 0;
        double sum = 0;
        int flags = 0, n = 0;
        while (r.hasRemaining()) {
            int t = r.tag();
            switch (ProtoReader.field(t)) {
                case 3 -> { r.expect(t, ProtoReader.FIXED64, "time_unix_nano"); time = r.fixed64(); }
                case 4 -> { r.expect(t, ProtoReader.FIXED64, "count"); count = r.fixed64(); }
                case 5 -> { r.expect(t, ProtoReader.FIXED64, "sum"); sum = r.doubleValue(); }
                case 6 -> {
                    int old = r.message(t, "quantile_values");
                    double q = 0, v = 0;
                    while (r.hasRemaining()) {
                        int t2 = r.tag();
                        switch (ProtoReader.field(t2)) {
                            case 1 -> { r.expect(t2, ProtoReader.FIXED64, "quantile"); q = r.doubleValue(); }
                            case 2 -> { r.expect(t2, ProtoReader.FIXED64, "value"); v = r.doubleValue(); }
                            default -> r.skip(t2);
                        }
                    }
                    r.popLimit(old);
                    if (n == qs.length) { qs = Arrays.copyOf(qs, n * 2); qv = Arrays.copyOf(qv, n * 2); }
                    qs[n] = q;
                    qv[n++] = v;
                }
                case 8 -> { r.expect(t, ProtoReader.VARINT, "flags"); flags = r.varint32(); }
                default -> r.skip(t);
            }
        }
        out.summary(time, count, sum, qs, qv, n, flags);
    }
}
