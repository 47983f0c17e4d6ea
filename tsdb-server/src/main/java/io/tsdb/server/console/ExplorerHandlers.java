package io.tsdb.server.console;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.tsdb.core.Labels;
import io.tsdb.core.Matcher;
import io.tsdb.core.Querier;
import io.tsdb.core.StorageStats;
import io.tsdb.server.ServerContext;
import io.tsdb.server.SlowQueryLog;
import io.tsdb.server.http.HttpError;
import io.tsdb.server.http.Request;
import io.tsdb.server.http.Response;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * JSON endpoints behind the console's metrics explorer. Every count is an exact series count taken from
 * the label index bitmaps ({@link Querier#seriesCount}), never from scanning samples.
 *
 * <ul>
 *   <li>{@code GET /console/api/metrics?search=cpu&limit=100}: metric names containing the search text
 *       (case-insensitive) with their series counts, largest first.</li>
 *   <li>{@code GET /console/api/metric?name=cpu_usage_user&top=10}: for one metric, every label name with
 *       its number of distinct values and its top values by series count.</li>
 * </ul>
 */
final class ExplorerHandlers {
    private static final JsonFactory JSON = new JsonFactory();
    /** Above this many distinct values of a label, top values are computed over the first values only. */
    private static final int MAX_VALUES_SCANNED = 5_000;

    private final ServerContext ctx;

    ExplorerHandlers(ServerContext ctx) { this.ctx = ctx; }

    Response metrics(Request req) throws IOException {
        String search = req.param("search") == null ? "" : req.param("search").toLowerCase(Locale.ROOT);
        int limit = intParam(req, "limit", 200, 1, 10_000);
        record Row(String name, long series) {}
        List<Row> rows = new ArrayList<>();
        int total;
        try (Querier q = ctx.tenants().storage(req.tenant()).querier(Long.MIN_VALUE, Long.MAX_VALUE)) {
            List<String> names = q.labelValues(Labels.METRIC_NAME, List.of());
            total = names.size();
            for (String n : names) {
                if (!search.isEmpty() && !n.toLowerCase(Locale.ROOT).contains(search)) continue;
                rows.add(new Row(n, q.seriesCount(List.of(Matcher.eq(Labels.METRIC_NAME, n)))));
            }
        }
        rows.sort(Comparator.comparingLong(Row::series).reversed().thenComparing(Row::name));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("status", "success");
            g.writeObjectFieldStart("data");
            g.writeNumberField("totalMetrics", total);
            g.writeNumberField("matched", rows.size());
            g.writeArrayFieldStart("metrics");
            for (int i = 0; i < Math.min(limit, rows.size()); i++) {
                g.writeStartObject();
                g.writeStringField("name", rows.get(i).name());
                g.writeNumberField("series", rows.get(i).series());
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
            g.writeEndObject();
        }
        return Response.json(200, out.toByteArray());
    }

    Response metric(Request req) throws IOException {
        String name = req.param("name");
        if (name == null || name.isEmpty()) {
            throw new HttpError(400, "missing parameter 'name': the metric to describe, e.g. /console/api/metric?name=up");
        }
        int top = intParam(req, "top", 10, 1, 1000);
        Matcher byName = Matcher.eq(Labels.METRIC_NAME, name);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (Querier q = ctx.tenants().storage(req.tenant()).querier(Long.MIN_VALUE, Long.MAX_VALUE);
             JsonGenerator g = JSON.createGenerator(out)) {
            long series = q.seriesCount(List.of(byName));
            g.writeStartObject();
            g.writeStringField("status", "success");
            g.writeObjectFieldStart("data");
            g.writeStringField("name", name);
            g.writeNumberField("series", series);
            g.writeArrayFieldStart("labels");
            for (String label : q.labelNames(List.of(byName))) {
                if (label.equals(Labels.METRIC_NAME)) continue;
                List<String> values = q.labelValues(label, List.of(byName));
                record V(String value, long series) {}
                List<V> counted = new ArrayList<>();
                for (int i = 0; i < Math.min(values.size(), MAX_VALUES_SCANNED); i++) {
                    String v = values.get(i);
                    counted.add(new V(v, q.seriesCount(List.of(byName, Matcher.eq(label, v)))));
                }
                counted.sort(Comparator.comparingLong(V::series).reversed().thenComparing(V::value));
                g.writeStartObject();
                g.writeStringField("name", label);
                g.writeNumberField("values", values.size());
                g.writeNumberField("seriesWithLabel", q.seriesCount(List.of(byName, Matcher.neq(label, ""))));
                g.writeArrayFieldStart("top");
                for (int i = 0; i < Math.min(top, counted.size()); i++) {
                    g.writeStartObject();
                    g.writeStringField("value", counted.get(i).value());
                    g.writeNumberField("series", counted.get(i).series());
                    g.writeEndObject();
                }
                g.writeEndArray();
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
            g.writeEndObject();
        }
        return Response.json(200, out.toByteArray());
    }

    /** {@code GET /console/api/storage}: head and block statistics of the storage engine. */
    Response storage(Request req) throws IOException {
        StorageStats s = ctx.tenants().storage(req.tenant()).stats();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("status", "success");
            g.writeObjectFieldStart("data");
            g.writeNumberField("activeSeries", s.activeSeries());
            g.writeNumberField("headSamples", s.headSamples());
            writeTime(g, "headMinTime", s.headMinTime());
            writeTime(g, "headMaxTime", s.headMaxTime());
            g.writeNumberField("blocks", s.blocks());
            g.writeNumberField("blockSamples", s.blockSamples());
            g.writeNumberField("diskBytes", s.diskBytes());
            g.writeNumberField("walBytes", s.walBytes());
            g.writeEndObject();
            g.writeEndObject();
        }
        return Response.json(200, out.toByteArray());
    }

    private static void writeTime(JsonGenerator g, String field, long ms) throws IOException {
        if (ms == Long.MIN_VALUE || ms == Long.MAX_VALUE) g.writeNullField(field);
        else g.writeStringField(field, java.time.Instant.ofEpochMilli(ms).toString());
    }

    /** {@code GET /console/api/slow_queries}: the most recent slow queries, newest first. */
    Response slowQueries(Request req) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("status", "success");
            g.writeNumberField("thresholdMs", ServerContext.SLOW_QUERY_THRESHOLD_MS);
            g.writeArrayFieldStart("data");
            for (SlowQueryLog.Entry e : ctx.slowQueries().recent(req.tenant().key())) {
                g.writeStartObject();
                g.writeStringField("query", e.query());
                g.writeStringField("kind", e.kind());
                g.writeStringField("time", e.startedAt().toString());
                g.writeNumberField("durationMs", e.durationMs());
                g.writeBooleanField("failed", e.failed());
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        }
        return Response.json(200, out.toByteArray());
    }

    private static int intParam(Request req, String name, int def, int min, int max) {
        String s = req.param(name);
        if (s == null || s.isEmpty()) return def;
        try {
            int v = Integer.parseInt(s);
            if (v < min || v > max) throw new NumberFormatException();
            return v;
        } catch (NumberFormatException e) {
            throw new HttpError(400, "invalid parameter '" + name + "': \"" + s + "\" is not an integer in [" + min + ", " + max + "]");
        }
    }
}
