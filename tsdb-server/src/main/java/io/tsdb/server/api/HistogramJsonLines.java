package io.tsdb.server.api;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.tsdb.core.histogram.CounterResetHint;
import io.tsdb.core.histogram.FloatHistogram;
import io.tsdb.core.histogram.Histogram;
import io.tsdb.core.histogram.Spans;

import java.io.IOException;

/**
 * Native histograms in the export/import JSON lines (an extension of VictoriaMetrics' format, which has none): a
 * series' histogram samples are a line of their own, {@code {"metric":{...},"histograms":[{...},...],"timestamps":[...]}},
 * each histogram a lossless object:
 * <pre>{"schema":3,"count":12,"sum":7.5,"zero_threshold":0.001,"zero_count":1,"counter_reset_hint":"not_reset",
 *  "positive_spans":[[0,2],[3,1]],"positive_buckets":[4,5,2],"negative_spans":[],"negative_buckets":[],
 *  "custom_values":[...]}</pre>
 * Buckets are absolute counts; numbers are JSON numbers, or the strings "NaN", "+Inf", "-Inf" (a sum of NaN
 * observations). {@code custom_values} only for schema -53. Import turns a histogram whose counts are all whole numbers
 * into an integer histogram (as exported from one), else keeps a float histogram.
 */
final class HistogramJsonLines {
    private HistogramJsonLines() {}

    private static final String[] HINTS = {"unknown", "reset", "not_reset", "gauge"};

    static void write(JsonGenerator g, FloatHistogram h) throws IOException {
        g.writeStartObject();
        g.writeNumberField("schema", h.schema);
        number(g, "count", h.count);
        number(g, "sum", h.sum);
        if (!h.usesCustomBuckets()) {
            number(g, "zero_threshold", h.zeroThreshold);
            number(g, "zero_count", h.zeroCount);
        }
        g.writeStringField("counter_reset_hint", HINTS[h.hint.code]);
        spans(g, "positive_spans", h.positiveSpans);
        buckets(g, "positive_buckets", h.positiveBuckets, h.positiveCount);
        if (!h.usesCustomBuckets()) {
            spans(g, "negative_spans", h.negativeSpans);
            buckets(g, "negative_buckets", h.negativeBuckets, h.negativeCount);
        }
        if (h.customValues != null) buckets(g, "custom_values", h.customValues, h.customValues.length);
        g.writeEndObject();
    }

    private static void number(JsonGenerator g, String field, double v) throws IOException {
        g.writeFieldName(field);
        number(g, v);
    }

    private static void number(JsonGenerator g, double v) throws IOException {
        if (Double.isFinite(v)) g.writeNumber(GoFloat.api(v));
        else g.writeString(GoFloat.api(v));
    }

    private static void spans(JsonGenerator g, String field, Spans s) throws IOException {
        g.writeArrayFieldStart(field);
        for (int i = 0; i < s.size(); i++) {
            g.writeStartArray();
            g.writeNumber(s.offset(i));
            g.writeNumber(s.length(i) & 0xffffffffL);
            g.writeEndArray();
        }
        g.writeEndArray();
    }

    private static void buckets(JsonGenerator g, String field, double[] b, int n) throws IOException {
        g.writeArrayFieldStart(field);
        for (int i = 0; i < n; i++) number(g, b[i]);
        g.writeEndArray();
    }

    /** Reads one histogram object (the parser at its START_OBJECT); throws IllegalArgumentException naming what is wrong. */
    static FloatHistogram read(JsonParser p) throws IOException {
        if (p.currentToken() != JsonToken.START_OBJECT) throw new IllegalArgumentException("a histogram must be a JSON object");
        FloatHistogram h = new FloatHistogram();
        double[] custom = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String f = p.currentName();
            p.nextToken();
            switch (f) {
                case "schema" -> h.schema = (int) integer(p, f);
                case "count" -> h.count = number(p, f);
                case "sum" -> h.sum = number(p, f);
                case "zero_threshold" -> h.zeroThreshold = number(p, f);
                case "zero_count" -> h.zeroCount = number(p, f);
                case "counter_reset_hint" -> {
                    String s = p.getValueAsString();
                    int code = java.util.Arrays.asList(HINTS).indexOf(s);
                    if (code < 0) throw new IllegalArgumentException("counter_reset_hint \"" + s + "\" is not one of unknown, reset, not_reset, gauge");
                    h.hint = CounterResetHint.ofCode(code);
                }
                case "positive_spans" -> spans(p, f, h.positiveSpans);
                case "negative_spans" -> spans(p, f, h.negativeSpans);
                case "positive_buckets" -> { for (double d : numbers(p, f)) h.addPositive(d); }
                case "negative_buckets" -> { for (double d : numbers(p, f)) h.addNegative(d); }
                case "custom_values" -> custom = numbers(p, f);
                default -> p.skipChildren();
            }
        }
        h.customValues = custom;
        return h;
    }

    /** The integer histogram equal to h when every count is a whole number (below 2^53), else null. */
    static Histogram asInteger(FloatHistogram h) {
        if (!whole(h.count) || !whole(h.zeroCount)) return null;
        for (int i = 0; i < h.positiveCount; i++) if (!whole(h.positiveBuckets[i])) return null;
        for (int i = 0; i < h.negativeCount; i++) if (!whole(h.negativeBuckets[i])) return null;
        Histogram out = new Histogram();
        out.hint = h.hint;
        out.schema = h.schema;
        out.zeroThreshold = h.zeroThreshold;
        out.zeroCount = (long) h.zeroCount;
        out.count = (long) h.count;
        out.sum = h.sum;
        out.positiveSpans.copyFrom(h.positiveSpans);
        out.negativeSpans.copyFrom(h.negativeSpans);
        long prev = 0;
        for (int i = 0; i < h.positiveCount; i++) { long c = (long) h.positiveBuckets[i]; out.addPositiveDelta(c - prev); prev = c; }
        prev = 0;
        for (int i = 0; i < h.negativeCount; i++) { long c = (long) h.negativeBuckets[i]; out.addNegativeDelta(c - prev); prev = c; }
        out.customValues = h.customValues;
        return out;
    }

    private static boolean whole(double d) { return d == Math.rint(d) && Math.abs(d) < 0x1p53; }

    private static long integer(JsonParser p, String f) throws IOException {
        if (p.currentToken() != JsonToken.VALUE_NUMBER_INT) throw new IllegalArgumentException("\"" + f + "\" must be an integer");
        return p.getLongValue();
    }

    private static double number(JsonParser p, String f) throws IOException {
        JsonToken t = p.currentToken();
        if (t == JsonToken.VALUE_NUMBER_INT || t == JsonToken.VALUE_NUMBER_FLOAT) return p.getDoubleValue();
        if (t == JsonToken.VALUE_STRING) {
            switch (p.getText()) {
                case "NaN": return Double.NaN;
                case "+Inf", "Inf": return Double.POSITIVE_INFINITY;
                case "-Inf": return Double.NEGATIVE_INFINITY;
                default: break;
            }
        }
        throw new IllegalArgumentException("\"" + f + "\" must be a number");
    }

    private static double[] numbers(JsonParser p, String f) throws IOException {
        if (p.currentToken() != JsonToken.START_ARRAY) throw new IllegalArgumentException("\"" + f + "\" must be an array");
        double[] out = new double[8];
        int n = 0;
        while (p.nextToken() != JsonToken.END_ARRAY) {
            if (n == out.length) out = java.util.Arrays.copyOf(out, n * 2);
            out[n++] = number(p, f);
        }
        return java.util.Arrays.copyOf(out, n);
    }

    private static void spans(JsonParser p, String f, Spans into) throws IOException {
        if (p.currentToken() != JsonToken.START_ARRAY) throw new IllegalArgumentException("\"" + f + "\" must be an array of [offset, length]");
        while (p.nextToken() != JsonToken.END_ARRAY) {
            if (p.currentToken() != JsonToken.START_ARRAY) throw new IllegalArgumentException("\"" + f + "\" must be an array of [offset, length]");
            p.nextToken();
            long off = integer(p, f);
            p.nextToken();
            long len = integer(p, f);
            if (p.nextToken() != JsonToken.END_ARRAY || off != (int) off || len < 0 || len > 0xffffffffL) {
                throw new IllegalArgumentException("\"" + f + "\" must be an array of [offset, length] (32-bit offset, unsigned length)");
            }
            into.add((int) off, (int) len);
        }
    }
}
