package io.tsdb.server.api;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import io.netty.buffer.ByteBufInputStream;
import io.tsdb.core.AppendStatus;
import io.tsdb.core.Appender;
import io.tsdb.core.Labels;
import io.tsdb.core.Matcher;
import io.tsdb.core.Querier;
import io.tsdb.core.SampleCursor;
import io.tsdb.core.SeriesSet;
import io.tsdb.core.StaleNaN;
import io.tsdb.core.histogram.FloatHistogram;
import io.tsdb.core.histogram.Histogram;
import io.tsdb.core.histogram.HistogramValidator;
import io.tsdb.core.histogram.InvalidHistogramException;
import io.tsdb.server.ServerContext;
import io.tsdb.server.http.HttpError;
import io.tsdb.server.http.Request;
import io.tsdb.server.http.Response;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.LongSupplier;
import java.util.zip.GZIPInputStream;

/**
 * Backup and migration: {@code GET /api/v1/export} and {@code POST /api/v1/import} in VictoriaMetrics' JSON-lines
 * format ({"metric":{...},"values":[...],"timestamps":[...]}), and {@code GET /federate} in Prometheus text format.
 */
final class ExportApi {
    static final int MAX_REPORTED_ERRORS = 5;

    private final ServerContext ctx;
    private final LongSupplier nowMs;

    ExportApi(ServerContext ctx, LongSupplier nowMs) {
        this.ctx = ctx;
        this.nowMs = nowMs;
    }

    private List<List<Matcher>> requiredMatchers(Request r) {
        List<List<Matcher>> sets = Params.matchers(r, "match[]");
        if (sets.isEmpty()) throw ApiError.badData("no match[] parameter provided");
        return sets;
    }

    /** Series of all match[] sets, deduplicated by label set. */
    private static void forEachSeries(Querier q, List<List<Matcher>> sets, SeriesVisitor v) throws IOException {
        if (sets.size() == 1) {
            SeriesSet ss = q.select(sets.get(0));
            while (ss.next()) v.visit(ss.labels(), ss.cursor());
            return;
        }
        TreeSet<Labels> seen = new TreeSet<>();
        TreeMap<Labels, List<Matcher>> first = new TreeMap<>();
        for (List<Matcher> ms : sets) {
            SeriesSet ss = q.select(ms);
            while (ss.next()) if (seen.add(ss.labels())) first.put(ss.labels(), ms);
        }
        // Re-select per set so each cursor is read in label order without holding samples in memory.
        for (List<Matcher> ms : sets) {
            SeriesSet ss = q.select(ms);
            while (ss.next()) if (first.get(ss.labels()) == ms) v.visit(ss.labels(), ss.cursor());
        }
    }

    @FunctionalInterface
    interface SeriesVisitor {
        void visit(Labels labels, SampleCursor cursor) throws IOException;
    }

    Response export(Request r) throws IOException {
        List<List<Matcher>> sets = requiredMatchers(r);
        long start = Params.time(r, "start", Params.MIN_TIME), end = Params.time(r, "end", Params.MAX_TIME);
        ByteArrayOutputStream out = new ByteArrayOutputStream(4096);
        long[] ts = new long[1024];
        double[] vs = new double[1024];
        try (Querier q = ctx.tenants().storage(r.tenant()).querier(start, end);
             JsonGenerator g = ApiJson.FACTORY.createGenerator(out, JsonEncoding.UTF8)) {
            g.setRootValueSeparator(new com.fasterxml.jackson.core.io.SerializedString("\n"));
            forEachSeries(q, sets, (labels, c) -> {
                int n = 0;
                long[] t = ts;
                double[] v = vs;
                List<Long> hts = null;
                List<FloatHistogram> hs = null;
                while (c.next()) {
                    if (c.sampleType() != SampleCursor.FLOAT) {
                        FloatHistogram h = c.floatHistogram(new FloatHistogram());
                        if (h.isStale()) continue; // staleness markers are not exported
                        if (hs == null) { hs = new ArrayList<>(); hts = new ArrayList<>(); }
                        hs.add(h);
                        hts.add(c.timestamp());
                        continue;
                    }
                    double val = c.value();
                    if (StaleNaN.is(val)) continue; // staleness markers are not exported
                    if (n == t.length) { t = java.util.Arrays.copyOf(t, n * 2); v = java.util.Arrays.copyOf(v, n * 2); }
                    t[n] = c.timestamp();
                    v[n] = val;
                    n++;
                }
                if (hs != null) {
                    // histogram samples: a line of their own (see HistogramJsonLines)
                    g.writeStartObject();
                    g.writeFieldName("metric");
                    ApiJson.writeLabels(g, labels);
                    g.writeArrayFieldStart("histograms");
                    for (FloatHistogram h : hs) HistogramJsonLines.write(g, h);
                    g.writeEndArray();
                    g.writeArrayFieldStart("timestamps");
                    for (long x : hts) g.writeNumber(x);
                    g.writeEndArray();
                    g.writeEndObject();
                }
                if (n == 0) return;
                g.writeStartObject();
                g.writeFieldName("metric");
                ApiJson.writeLabels(g, labels);
                g.writeArrayFieldStart("values");
                for (int i = 0; i < n; i++) {
                    if (Double.isFinite(v[i])) g.writeNumber(GoFloat.api(v[i]));
                    else g.writeString(GoFloat.api(v[i]));
                }
                g.writeEndArray();
                g.writeArrayFieldStart("timestamps");
                for (int i = 0; i < n; i++) g.writeNumber(t[i]);
                g.writeEndArray();
                g.writeEndObject();
            });
            g.flush();
            out.write('\n');
        }
        byte[] body = out.toByteArray();
        if (body.length == 1) body = new byte[0];
        return new Response(200, "application/stream+json; charset=utf-8", body);
    }

    Response importJson(Request r) throws IOException {
        InputStream in = new ByteBufInputStream(r.body().duplicate());
        String enc = r.header("Content-Encoding");
        if (enc != null && enc.equalsIgnoreCase("gzip")) in = new GZIPInputStream(in);
        else if (enc != null && !enc.isEmpty() && !enc.equalsIgnoreCase("identity")) {
            throw new HttpError(415, "import: unsupported Content-Encoding \"" + enc + "\"; use gzip or none");
        }
        String tenant = r.tenant().single();
        ctx.tenants().limiter().admitRequest(tenant);
        Appender app = ctx.tenants().storage(r.tenant()).appender();
        Map<String, Long> rejected = new LinkedHashMap<>();
        List<String> errors = new ArrayList<>();
        long accepted = 0, minTs = Long.MAX_VALUE, maxTs = Long.MIN_VALUE;
        try (JsonParser p = ApiJson.FACTORY.createParser(in)) {
            while (true) {
                JsonToken tok;
                try {
                    tok = p.nextToken();
                } catch (JsonProcessingException e) {
                    reject(rejected, errors, "invalid_json", "line " + e.getLocation().getLineNr() + ": " + e.getOriginalMessage(), 1);
                    break; // the rest of the body cannot be resynchronised reliably
                }
                if (tok == null) break;
                int line = p.currentLocation().getLineNr();
                Line l;
                try {
                    l = readLine(p, tok);
                } catch (JsonProcessingException | IllegalArgumentException e) {
                    String msg = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
                    reject(rejected, errors, "invalid_line", "line " + line + ": " + msg, 1);
                    if (e instanceof JsonProcessingException) break;
                    continue;
                }
                for (int i = 0; i < l.n; i++) {
                    AppendStatus st;
                    if (l.hs != null) {
                        FloatHistogram fh = l.hs.get(i);
                        try {
                            HistogramValidator.validate(fh);
                        } catch (InvalidHistogramException e) {
                            reject(rejected, errors, "invalid_histogram", "line " + line + ": " + l.labels + " @" + l.ts[i]
                                    + ": breaks rule " + e.rule().id + ": " + e.getMessage(), 1);
                            continue;
                        }
                        Histogram ih = HistogramJsonLines.asInteger(fh);
                        st = ih != null ? app.appendHistogram(l.labels, l.ts[i], ih) : app.appendFloatHistogram(l.labels, l.ts[i], fh);
                    } else {
                        st = app.append(l.labels, l.ts[i], l.vs[i]);
                    }
                    if (st.accepted()) {
                        accepted++;
                        minTs = Math.min(minTs, l.ts[i]);
                        maxTs = Math.max(maxTs, l.ts[i]);
                    } else {
                        String why = app.lastError() != null ? app.lastError() : st.reason;
                        reject(rejected, errors, st.reason, "line " + line + ": " + l.labels + " @" + l.ts[i] + ": " + why, 1);
                    }
                }
            }
        }
        try {
            ctx.tenants().limiter().admitSamples(tenant, accepted);   // the tenant's ingestion rate, as every ingest path
        } catch (HttpError e) {
            app.rollback();
            throw e;
        }
        app.commit();
        if (accepted > 0) ctx.tenants().limiter().received(tenant, accepted);
        if (accepted > 0 && ctx.writeEvents() != null) ctx.writeEvents().committed(minTs, maxTs);
        if (rejected.isEmpty()) return Response.noContent();
        StringBuilder sb = new StringBuilder("import: accepted " + accepted + " samples; rejected");
        rejected.forEach((k, v) -> sb.append(' ').append(k).append('=').append(v));
        sb.append("; first errors: ").append(String.join("; ", errors));
        throw ApiError.badData(sb.toString());
    }

    private static void reject(Map<String, Long> counts, List<String> errors, String reason, String msg, long n) {
        counts.merge(reason, n, Long::sum);
        if (errors.size() < MAX_REPORTED_ERRORS) errors.add(msg);
    }

    private static final class Line {
        Labels labels;
        long[] ts;
        double[] vs;
        /** The histograms of a "histograms" line (then vs is unused), else null. */
        List<FloatHistogram> hs;
        int n;
    }

    private static Line readLine(JsonParser p, JsonToken first) throws IOException {
        if (first != JsonToken.START_OBJECT) throw new IllegalArgumentException(skipValue(p, first, "expected a JSON object"));
        Line l = new Line();
        List<Long> ts = null;
        List<Double> vs = null;
        String problem = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String f = p.currentName();
            JsonToken t = p.nextToken();
            switch (f) {
                case "metric" -> {
                    if (t != JsonToken.START_OBJECT) { problem = "\"metric\" must be an object"; p.skipChildren(); break; }
                    TreeMap<String, String> m = new TreeMap<>();
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        String name = p.currentName();
                        JsonToken vt = p.nextToken();
                        if (vt != JsonToken.VALUE_STRING) { problem = "label \"" + name + "\" must have a string value"; p.skipChildren(); continue; }
                        m.put(name, p.getText());
                    }
                    l.labels = Labels.fromMap(m);
                }
                case "values" -> {
                    if (t != JsonToken.START_ARRAY) { problem = "\"values\" must be an array"; p.skipChildren(); break; }
                    vs = new ArrayList<>();
                    for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken()) {
                        if (e == JsonToken.VALUE_NUMBER_INT || e == JsonToken.VALUE_NUMBER_FLOAT) vs.add(p.getDoubleValue());
                        else if (e == JsonToken.VALUE_STRING) {
                            Double d = special(p.getText());
                            if (d == null) problem = "value \"" + p.getText() + "\" is not a number";
                            else vs.add(d);
                        } else { problem = "values must be numbers"; p.skipChildren(); }
                    }
                }
                case "timestamps" -> {
                    if (t != JsonToken.START_ARRAY) { problem = "\"timestamps\" must be an array"; p.skipChildren(); break; }
                    ts = new ArrayList<>();
                    for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken()) {
                        if (e == JsonToken.VALUE_NUMBER_INT) ts.add(p.getLongValue());
                        else { problem = "timestamps must be integers (milliseconds)"; p.skipChildren(); }
                    }
                }
                case "histograms" -> {
                    if (t != JsonToken.START_ARRAY) { problem = "\"histograms\" must be an array"; p.skipChildren(); break; }
                    l.hs = new ArrayList<>();
                    var lineObject = p.getParsingContext().getParent();
                    try {
                        for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken()) l.hs.add(HistogramJsonLines.read(p));
                    } catch (IllegalArgumentException e) {
                        problem = e.getMessage();
                        while (p.getParsingContext() != lineObject) p.nextToken(); // to the end of "histograms", in step again
                    }
                }
                default -> p.skipChildren();
            }
        }
        if (problem != null) throw new IllegalArgumentException(problem);
        if (l.hs != null && vs == null) {
            vs = new ArrayList<>();
            for (int i = 0; i < l.hs.size(); i++) vs.add(Double.NaN);
        } else if (l.hs != null) {
            throw new IllegalArgumentException("a line has \"values\" or \"histograms\", not both");
        }
        if (l.labels == null || l.labels.metricName() == null) throw new IllegalArgumentException("missing \"metric\" with a \"__name__\"");
        if (ts == null || vs == null) throw new IllegalArgumentException("missing \"values\" (or \"histograms\") or \"timestamps\"");
        if (ts.size() != vs.size()) {
            throw new IllegalArgumentException(vs.size() + (l.hs != null ? " histograms" : " values") + " but " + ts.size() + " timestamps");
        }
        l.n = ts.size();
        l.ts = new long[l.n];
        l.vs = new double[l.n];
        for (int i = 0; i < l.n; i++) { l.ts[i] = ts.get(i); l.vs[i] = vs.get(i); }
        return l;
    }

    private static String skipValue(JsonParser p, JsonToken t, String msg) throws IOException {
        if (t == JsonToken.START_ARRAY) p.skipChildren();
        return msg;
    }

    private static Double special(String s) {
        return switch (s) {
            case "NaN" -> Double.NaN;
            case "+Inf", "Inf", "inf", "+inf" -> Double.POSITIVE_INFINITY;
            case "-Inf", "-inf" -> Double.NEGATIVE_INFINITY;
            default -> null;
        };
    }

    /**
     * Latest sample of each matching series within the lookback window, in Prometheus text format or, when the client
     * accepts it, the delimited protobuf exposition format that carries native histograms ({@link Federation}).
     */
    Response federate(Request r) throws IOException {
        List<List<Matcher>> sets = requiredMatchers(r); // an ApiError: plain text here (not under /api/)
        long now = nowMs.getAsLong();
        long lookback = ctx.config().queryLookbackDelta.toMillis();
        List<Federation.Point> points = new ArrayList<>();
        try (Querier q = ctx.tenants().storage(r.tenant()).querier(now - lookback + 1, now)) {
            forEachSeries(q, sets, (labels, c) -> {
                Federation.Point p = Federation.newest(labels, c);
                if (p != null) points.add(p);
            });
        }
        return Federation.answer(Federation.sorted(points), Federation.wantsProtobuf(r.header("Accept")));
    }
}
