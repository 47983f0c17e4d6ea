package io.tsdb.server.api;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.tsdb.core.Labels;
import io.tsdb.core.histogram.FloatHistogram;
import io.tsdb.query.engine.HistogramBuckets;
import io.tsdb.query.engine.QueryStats;
import io.tsdb.query.engine.Sample;
import io.tsdb.query.engine.Series;
import io.tsdb.query.engine.Value;
import io.tsdb.server.http.Response;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * Streams Prometheus API responses with a Jackson {@link JsonGenerator} (no intermediate trees):
 * the envelope {@code {status, data, errorType, error, warnings, infos}} and the query result shapes.
 */
public final class ApiJson {
    static final JsonFactory FACTORY = JsonFactory.builder().build();

    /** Writes the "data" value. */
    @FunctionalInterface
    public interface DataWriter {
        void write(JsonGenerator g) throws IOException;
    }

    private ApiJson() {}

    /** 200 {"status":"success","data":...,"warnings":[...],"infos":[...]} (empty annotation lists omitted). */
    public static Response success(DataWriter data, List<String> warnings, List<String> infos) {
        return write(200, g -> {
            g.writeStartObject();
            g.writeStringField("status", "success");
            g.writeFieldName("data");
            data.write(g);
            writeStrings(g, "warnings", warnings);
            writeStrings(g, "infos", infos);
            g.writeEndObject();
        });
    }

    public static Response success(DataWriter data) { return success(data, List.of(), List.of()); }

    public static Response write(int status, DataWriter body) {
        Segments out = new Segments();
        try (JsonGenerator g = FACTORY.createGenerator(out, JsonEncoding.UTF8)) {
            body.write(g);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        // a small answer is one buffer; a large one (100,000 series) goes out in its pieces, never copied whole
        return out.count == 1 ? Response.json(status, out.segs[0], out.size) : Response.json(status, out.pieces(), out.size);
    }

    /**
     * An output stream into pieces of doubling size, from 4 KiB up to 256 KiB: no piece is copied as the answer grows,
     * and none is as large as a G1 region's half (an array that size is allocated outside the young generation, in
     * memory the collector may have returned to the system and the kernel must page in again).
     */
    private static final class Segments extends java.io.OutputStream {
        static final int FIRST = 4096, MAX = 256 << 10;
        byte[][] segs = new byte[8][];
        int count = 1;
        byte[] cur = segs[0] = new byte[FIRST];
        int pos, size;

        private void nextSegment() {
            if (count == segs.length) segs = java.util.Arrays.copyOf(segs, count * 2);
            cur = segs[count++] = new byte[Math.min(MAX, cur.length * 2)];
            pos = 0;
        }

        @Override public void write(int b) {
            if (pos == cur.length) nextSegment();
            cur[pos++] = (byte) b;
            size++;
        }

        @Override public void write(byte[] b, int off, int len) {
            while (len > 0) {
                if (pos == cur.length) nextSegment();
                int k = Math.min(len, cur.length - pos);
                System.arraycopy(b, off, cur, pos, k);
                pos += k;
                off += k;
                len -= k;
                size += k;
            }
        }

        byte[][] pieces() { return java.util.Arrays.copyOf(segs, count); }
    }

    private static void writeStrings(JsonGenerator g, String field, List<String> values) throws IOException {
        if (values == null || values.isEmpty()) return;
        g.writeArrayFieldStart(field);
        for (String s : values) g.writeString(s);
        g.writeEndArray();
    }

    public static void writeStringArray(JsonGenerator g, List<String> values) throws IOException {
        g.writeStartArray();
        for (String s : values) g.writeString(s);
        g.writeEndArray();
    }

    /** A label set as a JSON object in label-name order. */
    public static void writeLabels(JsonGenerator g, Labels labels) throws IOException {
        g.writeStartObject();
        for (int i = 0; i < labels.size(); i++) g.writeStringField(labels.name(i), labels.value(i));
        g.writeEndObject();
    }

    /** Per-thread characters of one point (no Strings per point: a range answer has up to 11,000 per series). */
    private static final ThreadLocal<char[]> POINT_CHARS = ThreadLocal.withInitial(() -> new char[48]);

    /** [ts, "value"] */
    public static void writePoint(JsonGenerator g, long ms, double v) throws IOException {
        char[] c = POINT_CHARS.get();
        g.writeStartArray();
        int n = GoFloat.timestamp(ms, c, 0);
        g.writeNumber(c, 0, n);
        n = GoFloat.apiIntegral(v, c, 0);
        if (n >= 0) g.writeString(c, 0, n);
        else g.writeString(GoFloat.api(v));
        g.writeEndArray();
    }

    /** [ts, {"count": "c", "sum": "s", "buckets": [[rule, "lower", "upper", "count"], ...]}] */
    public static void writeHistogramPoint(JsonGenerator g, long ms, FloatHistogram h) throws IOException {
        g.writeStartArray();
        g.writeNumber(GoFloat.timestamp(ms));
        writeHistogram(g, h);
        g.writeEndArray();
    }

    /**
     * A native histogram as the Prometheus HTTP API writes it: count and sum as strings, then (only when some bucket
     * is populated) the non-empty buckets as {@code [boundary_rule, "lower", "upper", "count"]}, negative buckets first,
     * the zero bucket, then the positive ones; rule 0 = (lower, upper], 1 = [lower, upper), 2 = (lower, upper),
     * 3 = [lower, upper].
     */
    public static void writeHistogram(JsonGenerator g, FloatHistogram h) throws IOException {
        g.writeStartObject();
        g.writeStringField("count", GoFloat.api(h.count));
        g.writeStringField("sum", GoFloat.api(h.sum));
        boolean[] open = {false};
        try {
            HistogramBuckets.forEach(h, (rule, lower, upper, count) -> {
                try {
                    if (!open[0]) {
                        g.writeArrayFieldStart("buckets");
                        open[0] = true;
                    }
                    g.writeStartArray();
                    g.writeNumber(rule);
                    g.writeString(GoFloat.api(lower));
                    g.writeString(GoFloat.api(upper));
                    g.writeString(GoFloat.api(count));
                    g.writeEndArray();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        if (open[0]) g.writeEndArray();
        g.writeEndObject();
    }

    /** {"resultType":..., "result":..., "stats":...} for a query value. */
    public static void writeQueryData(JsonGenerator g, Value value, QueryStats stats) throws IOException {
        g.writeStartObject();
        if (value instanceof Value.Scalar s) {
            g.writeStringField("resultType", "scalar");
            g.writeFieldName("result");
            writePoint(g, s.timestampMs(), s.value());
        } else if (value instanceof Value.Str s) {
            g.writeStringField("resultType", "string");
            g.writeFieldName("result");
            g.writeStartArray();
            g.writeNumber(GoFloat.timestamp(s.timestampMs()));
            g.writeString(s.value());
            g.writeEndArray();
        } else if (value instanceof Value.Vector v) {
            g.writeStringField("resultType", "vector");
            g.writeArrayFieldStart("result");
            for (Sample smp : v.samples()) {
                g.writeStartObject();
                g.writeFieldName("metric");
                writeLabels(g, smp.labels());
                if (smp.histogram() != null) {
                    g.writeFieldName("histogram");
                    writeHistogramPoint(g, smp.timestampMs(), smp.histogram());
                } else {
                    g.writeFieldName("value");
                    writePoint(g, smp.timestampMs(), smp.value());
                }
                g.writeEndObject();
            }
            g.writeEndArray();
        } else if (value instanceof Value.Matrix m) {
            g.writeStringField("resultType", "matrix");
            g.writeArrayFieldStart("result");
            for (Series s : m.series()) {
                g.writeStartObject();
                g.writeFieldName("metric");
                writeLabels(g, s.labels());
                // as Prometheus: "values" for float points, "histograms" for histogram points, each only when there are any
                if (s.count() > 0 || s.histogramCount() == 0) {
                    g.writeArrayFieldStart("values");
                    long[] ts = s.timestamps();
                    double[] vs = s.values();
                    for (int i = 0; i < s.count(); i++) writePoint(g, ts[i], vs[i]);
                    g.writeEndArray();
                }
                if (s.histogramCount() > 0) {
                    g.writeArrayFieldStart("histograms");
                    long[] ts = s.histogramTimestamps();
                    FloatHistogram[] hs = s.histograms();
                    for (int i = 0; i < s.histogramCount(); i++) writeHistogramPoint(g, ts[i], hs[i]);
                    g.writeEndArray();
                }
                g.writeEndObject();
            }
            g.writeEndArray();
        }
        if (stats != null) writeStats(g, stats);
        g.writeEndObject();
    }

    /** The "stats" object of Prometheus's stats=all (timings in seconds, sample counts). */
    static void writeStats(JsonGenerator g, QueryStats st) throws IOException {
        g.writeObjectFieldStart("stats");
        g.writeObjectFieldStart("timings");
        double total = (st.parseNanos() + st.planNanos() + st.evalNanos()) / 1e9;
        g.writeNumberField("evalTotalTime", (st.planNanos() + st.evalNanos()) / 1e9);
        g.writeNumberField("resultSortTime", 0.0);
        g.writeNumberField("queryPreparationTime", (st.parseNanos() + st.planNanos()) / 1e9);
        g.writeNumberField("innerEvalTime", st.evalNanos() / 1e9);
        g.writeNumberField("execQueueTime", 0.0);
        g.writeNumberField("execTotalTime", total);
        g.writeEndObject();
        g.writeObjectFieldStart("samples");
        g.writeNumberField("totalQueryableSamples", st.samplesTouched());
        g.writeNumberField("peakSamples", st.samplesTouched());
        g.writeNumberField("seriesTouched", st.seriesTouched());
        g.writeEndObject();
        g.writeEndObject();
    }
}
