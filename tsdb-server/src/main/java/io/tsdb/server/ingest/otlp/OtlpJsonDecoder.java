package io.tsdb.server.ingest.otlp;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;

import java.io.IOException;

/**
 * OTLP/HTTP JSON (the protobuf JSON mapping: lowerCamelCase field names, snake_case also accepted; 64-bit
 * integers as strings or numbers; enums as numbers or names) feeding the same {@link OtlpConverter}.
 */
public final class OtlpJsonDecoder {
    /** Malformed JSON or a value of the wrong type; the message names the JSON path. */
    public static final class JsonError extends RuntimeException {
        JsonError(String m) { super(m, null, false, false); }
    }

    private static final ObjectMapper MAPPER = new ObjectMapper();
    static {
        MAPPER.getFactory().setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).build());
    }

    private final OtlpConverter out;
    private double[] bounds = new double[64], qs = new double[32], qv = new double[32];
    private long[] counts = new long[64], posCounts = new long[64], negCounts = new long[64];

    public OtlpJsonDecoder(OtlpConverter out) { this.out = out; }

    public void decode(ByteBuf buf) {
        JsonNode root;
        try {
            root = MAPPER.readTree(new ByteBufInputStream(buf.duplicate()));
        } catch (JsonProcessingException e) {
            var loc = e.getLocation(); // null for some errors, e.g. nesting deeper than the limit
            throw new JsonError("invalid JSON: " + e.getOriginalMessage()
                    + (loc == null ? "" : " at line " + loc.getLineNr() + ", column " + loc.getColumnNr()));
        } catch (IOException e) {
            throw new JsonError("invalid JSON: " + e.getMessage());
        }
        if (root == null || !root.isObject()) throw new JsonError("expected a JSON object (ExportMetricsServiceRequest)");
        JsonNode rms = field(root, "resourceMetrics", "resource_metrics");
        int i = 0;
        for (JsonNode rm : array(rms, "resourceMetrics")) {
            String path = "resourceMetrics[" + i++ + "]";
            out.startResource();
            JsonNode res = field(rm, "resource", "resource");
            if (res != null) {
                for (JsonNode kv : array(field(res, "attributes", "attributes"), path + ".resource.attributes")) {
                    out.resourceAttribute(text(kv.get("key")), anyValue(kv.get("value")));
                }
            }
            int j = 0;
            for (JsonNode sm : array(field(rm, "scopeMetrics", "scope_metrics"), path + ".scopeMetrics")) {
                String p2 = path + ".scopeMetrics[" + j++ + "]";
                int k = 0;
                for (JsonNode m : array(field(sm, "metrics", "metrics"), p2 + ".metrics")) metric(m, p2 + ".metrics[" + k++ + "]");
            }
        }
    }

    private void metric(JsonNode m, String path) {
        String name = text(m.get("name")), desc = text(m.get("description")), unit = text(m.get("unit"));
        int kind;
        JsonNode data;
        if ((data = m.get("gauge")) != null) kind = OtlpConverter.GAUGE;
        else if ((data = m.get("sum")) != null) kind = OtlpConverter.SUM;
        else if ((data = m.get("histogram")) != null) kind = OtlpConverter.HISTOGRAM;
        else if ((data = field(m, "exponentialHistogram", "exponential_histogram")) != null) kind = OtlpConverter.EXP_HISTOGRAM;
        else if ((data = m.get("summary")) != null) kind = OtlpConverter.SUMMARY;
        else return;
        int temporality = temporality(field(data, "aggregationTemporality", "aggregation_temporality"), path);
        JsonNode mono = field(data, "isMonotonic", "is_monotonic");
        out.startMetric(name, desc, unit, kind, temporality, mono != null && mono.asBoolean());
        int i = 0;
        for (JsonNode p : array(field(data, "dataPoints", "data_points"), path + ".dataPoints")) {
            String pp = path + ".dataPoints[" + i++ + "]";
            out.clearAttributes();
            for (JsonNode kv : array(p.get("attributes"), pp + ".attributes")) out.attribute(text(kv.get("key")), anyValue(kv.get("value")));
            long time = int64(field(p, "timeUnixNano", "time_unix_nano"), pp + ".timeUnixNano");
            int flags = (int) int64(p.get("flags"), pp + ".flags");
            switch (kind) {
                case OtlpConverter.GAUGE, OtlpConverter.SUM -> {
                    JsonNode d = field(p, "asDouble", "as_double"), n = field(p, "asInt", "as_int");
                    double v = d != null ? dbl(d, pp + ".asDouble") : n != null ? int64(n, pp + ".asInt") : 0;
                    out.number(time, v, flags);
                }
                case OtlpConverter.HISTOGRAM -> {
                    int nb = 0, nc = 0;
                    for (JsonNode b : array(field(p, "explicitBounds", "explicit_bounds"), pp + ".explicitBounds")) {
                        if (nb == bounds.length) bounds = java.util.Arrays.copyOf(bounds, nb * 2);
                        bounds[nb++] = dbl(b, pp + ".explicitBounds");
                    }
                    for (JsonNode c : array(field(p, "bucketCounts", "bucket_counts"), pp + ".bucketCounts")) {
                        if (nc == counts.length) counts = java.util.Arrays.copyOf(counts, nc * 2);
                        counts[nc++] = int64(c, pp + ".bucketCounts");
                    }
                    JsonNode sum = p.get("sum");
                    out.histogram(time, int64(p.get("count"), pp + ".count"), sum == null ? 0 : dbl(sum, pp + ".sum"), sum != null,
                            bounds, nb, counts, nc, flags);
                }
                case OtlpConverter.EXP_HISTOGRAM -> {
                    JsonNode pos = p.get("positive"), neg = p.get("negative");
                    int nPos = bucketCounts(pos, true, pp + ".positive"), nNeg = bucketCounts(neg, false, pp + ".negative");
                    JsonNode sum = p.get("sum");
                    out.exponentialHistogram(time, int64(p.get("count"), pp + ".count"), sum == null ? 0 : dbl(sum, pp + ".sum"), sum != null,
                            (int) int64(p.get("scale"), pp + ".scale"), int64(field(p, "zeroCount", "zero_count"), pp + ".zeroCount"),
                            pos == null ? 0 : (int) int64(pos.get("offset"), pp + ".positive.offset"), posCounts, nPos,
                            neg == null ? 0 : (int) int64(neg.get("offset"), pp + ".negative.offset"), negCounts, nNeg, flags);
                }
                case OtlpConverter.SUMMARY -> {
                    int n = 0;
                    for (JsonNode q : array(field(p, "quantileValues", "quantile_values"), pp + ".quantileValues")) {
                        if (n == qs.length) { qs = java.util.Arrays.copyOf(qs, n * 2); qv = java.util.Arrays.copyOf(qv, n * 2); }
                        qs[n] = q.has("quantile") ? dbl(q.get("quantile"), pp + ".quantile") : 0;
                        qv[n++] = q.has("value") ? dbl(q.get("value"), pp + ".value") : 0;
                    }
                    JsonNode sum = p.get("sum");
                    out.summary(time, int64(p.get("count"), pp + ".count"), sum == null ? 0 : dbl(sum, pp + ".sum"), qs, qv, n, flags);
                }
                default -> out.unsupportedPoint();
            }
        }
    }

    /** Reads the bucket counts of an exponential histogram's Buckets object into posCounts / negCounts; returns how many. */
    private int bucketCounts(JsonNode buckets, boolean positive, String path) {
        if (buckets == null) return 0;
        long[] into = positive ? posCounts : negCounts;
        int n = 0;
        for (JsonNode c : array(field(buckets, "bucketCounts", "bucket_counts"), path + ".bucketCounts")) {
            if (n == into.length) into = java.util.Arrays.copyOf(into, n * 2);
            into[n++] = int64(c, path + ".bucketCounts");
        }
        if (positive) posCounts = into; else negCounts = into;
        return n;
    }

    private static JsonNode field(JsonNode n, String camel, String snake) {
        if (n == null) return null;
        JsonNode v = n.get(camel);
        return v != null ? v : n.get(snake);
    }

    private static Iterable<JsonNode> array(JsonNode n, String path) {
        if (n == null || n.isNull()) return java.util.List.of();
        if (!n.isArray()) throw new JsonError(path + ": expected an array");
        return n;
    }

    private static String text(JsonNode n) { return n == null || n.isNull() ? "" : n.asText(); }

    private static long int64(JsonNode n, String path) {
        if (n == null || n.isNull()) return 0;
        if (n.isIntegralNumber()) return n.asLong();
        if (n.isTextual()) {
            try { return Long.parseLong(n.asText()); } catch (NumberFormatException e) {
                try { return Long.parseUnsignedLong(n.asText()); } catch (NumberFormatException e2) {
                    throw new JsonError(path + ": invalid integer \"" + n.asText() + "\"");
                }
            }
        }
        throw new JsonError(path + ": expected an integer, got " + n.getNodeType());
    }

    private static double dbl(JsonNode n, String path) {
        if (n.isNumber()) return n.asDouble();
        if (n.isTextual()) {
            switch (n.asText()) {
                case "NaN": return Double.NaN;
                case "Infinity": return Double.POSITIVE_INFINITY;
                case "-Infinity": return Double.NEGATIVE_INFINITY;
                default:
                    try { return Double.parseDouble(n.asText()); } catch (NumberFormatException e) {
                        throw new JsonError(path + ": invalid number \"" + n.asText() + "\"");
                    }
            }
        }
        throw new JsonError(path + ": expected a number, got " + n.getNodeType());
    }

    private static int temporality(JsonNode n, String path) {
        if (n == null || n.isNull()) return 0;
        if (n.isIntegralNumber()) return n.asInt();
        return switch (n.asText()) {
            case "AGGREGATION_TEMPORALITY_DELTA" -> OtlpConverter.DELTA;
            case "AGGREGATION_TEMPORALITY_CUMULATIVE" -> OtlpConverter.CUMULATIVE;
            case "AGGREGATION_TEMPORALITY_UNSPECIFIED" -> 0;
            default -> throw new JsonError(path + ".aggregationTemporality: unknown value \"" + n.asText() + "\"");
        };
    }

    private static String anyValue(JsonNode v) {
        if (v == null || v.isNull()) return "";
        JsonNode x;
        if ((x = field(v, "stringValue", "string_value")) != null) return x.asText();
        if ((x = field(v, "boolValue", "bool_value")) != null) return x.asBoolean() ? "true" : "false";
        if ((x = field(v, "intValue", "int_value")) != null) return x.asText();
        if ((x = field(v, "doubleValue", "double_value")) != null) return OtlpNames.formatFloat(x.asDouble());
        if ((x = field(v, "bytesValue", "bytes_value")) != null) return x.asText();
        if ((x = field(v, "arrayValue", "array_value")) != null || (x = field(v, "kvlistValue", "kvlist_value")) != null) return x.toString();
        return "";
    }
}
