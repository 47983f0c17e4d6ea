package io.tsdb.server.api;

import io.tsdb.core.Labels;
import io.tsdb.core.Matcher;
import io.tsdb.core.Querier;
import io.tsdb.core.SeriesSet;
import io.tsdb.core.Storage;
import io.tsdb.server.MetadataStore;
import io.tsdb.server.http.Request;
import io.tsdb.server.http.Response;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/** /api/v1/series, /api/v1/labels, /api/v1/label/NAME/values, /api/v1/metadata. */
final class MetaApi {
    static final String LABEL_PREFIX = "/api/v1/label/";

    private final io.tsdb.server.tenant.Tenants tenants;
    private final MetadataStore metadata;

    MetaApi(io.tsdb.server.tenant.Tenants tenants, MetadataStore metadata) {
        this.tenants = tenants;
        this.metadata = metadata;
    }

    Response series(Request r) {
        List<List<Matcher>> sets = Params.matchers(r, "match[]");
        if (sets.isEmpty()) throw ApiError.badData("no match[] parameter provided");
        long start = Params.time(r, "start", Params.MIN_TIME), end = Params.time(r, "end", Params.MAX_TIME);
        int limit = Params.limit(r, "limit");
        TreeSet<Labels> out = new TreeSet<>();
        boolean truncated = false;
        try (Querier q = tenants.storage(r.tenant()).querier(start, end)) {
            outer:
            for (List<Matcher> ms : sets) {
                SeriesSet ss = q.select(ms);
                while (ss.next()) {
                    out.add(ss.labels());
                    if (limit > 0 && out.size() > limit && sets.size() == 1) { truncated = true; break outer; }
                }
            }
        }
        List<Labels> list = new ArrayList<>(out);
        if (limit > 0 && list.size() > limit) {
            list = list.subList(0, limit);
            truncated = true;
        }
        List<Labels> res = list;
        return ApiJson.success(g -> {
            g.writeStartArray();
            for (Labels l : res) ApiJson.writeLabels(g, l);
            g.writeEndArray();
        }, truncated ? List.of(QueryApi.TRUNCATED) : List.of(), List.of());
    }

    Response labels(Request r) {
        List<List<Matcher>> sets = Params.matchers(r, "match[]");
        long start = Params.time(r, "start", Params.MIN_TIME), end = Params.time(r, "end", Params.MAX_TIME);
        int limit = Params.limit(r, "limit");
        TreeSet<String> names = new TreeSet<>();
        try (Querier q = tenants.storage(r.tenant()).querier(start, end)) {
            if (sets.isEmpty()) names.addAll(q.labelNames(List.of()));
            for (List<Matcher> ms : sets) names.addAll(q.labelNames(ms));
        }
        return strings(names, limit);
    }

    Response labelValues(Request r) {
        String path = r.path();
        if (!path.startsWith(LABEL_PREFIX) || !path.endsWith("/values")
                || path.length() <= LABEL_PREFIX.length() + "/values".length()) {
            throw ApiError.badData("expected /api/v1/label/<label_name>/values, got " + path);
        }
        String name = path.substring(LABEL_PREFIX.length(), path.length() - "/values".length());
        if (name.startsWith("U__")) name = unescapeUtf8Name(name);
        if (name.isEmpty() || name.indexOf('/') >= 0) throw ApiError.badData("invalid label name: \"" + name + "\"");
        List<List<Matcher>> sets = Params.matchers(r, "match[]");
        long start = Params.time(r, "start", Params.MIN_TIME), end = Params.time(r, "end", Params.MAX_TIME);
        int limit = Params.limit(r, "limit");
        TreeSet<String> values = new TreeSet<>();
        try (Querier q = tenants.storage(r.tenant()).querier(start, end)) {
            if (sets.isEmpty()) values.addAll(q.labelValues(name, List.of()));
            for (List<Matcher> ms : sets) values.addAll(q.labelValues(name, ms));
        }
        return strings(values, limit);
    }

    /** Prometheus 3's "U__" escaping of UTF-8 label names in URL paths: _XX_ hex code points, __ for _. */
    static String unescapeUtf8Name(String s) {
        StringBuilder sb = new StringBuilder();
        int i = 3;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == '_') {
                if (i + 1 < s.length() && s.charAt(i + 1) == '_') { sb.append('_'); i += 2; continue; }
                int close = s.indexOf('_', i + 1);
                if (close < 0) throw ApiError.badData("invalid escaped label name: \"" + s + "\"");
                try {
                    sb.appendCodePoint(Integer.parseInt(s.substring(i + 1, close), 16));
                } catch (IllegalArgumentException e) {
                    throw ApiError.badData("invalid escaped label name: \"" + s + "\"");
                }
                i = close + 1;
            } else {
                sb.append(c);
                i++;
            }
        }
        return sb.toString();
    }

    private static Response strings(TreeSet<String> set, int limit) {
        List<String> list = new ArrayList<>(set);
        boolean truncated = limit > 0 && list.size() > limit;
        List<String> out = truncated ? list.subList(0, limit) : list;
        return ApiJson.success(g -> ApiJson.writeStringArray(g, out),
                truncated ? List.of(QueryApi.TRUNCATED) : List.of(), List.of());
    }

    Response metadata(Request r) {
        int limit = intParam(r, "limit");
        int perMetric = intParam(r, "limit_per_metric");
        String metric = r.param("metric");
        // each tenant's own metadata; a multi-tenant read merges its tenants'
        Map<String, List<MetadataStore.Entry>> all = new java.util.TreeMap<>();
        if (metadata != null) {
            for (String t : r.tenant().tenants()) {
                metadata.snapshot(r.tenant().labelValue(t)).forEach((k, v) -> all.merge(k, v, (a, b) -> {
                    List<MetadataStore.Entry> m = new ArrayList<>(a);
                    for (MetadataStore.Entry e : b) if (!m.contains(e)) m.add(e);
                    return m;
                }));
            }
        }
        return ApiJson.success(g -> {
            g.writeStartObject();
            int n = 0;
            for (Map.Entry<String, List<MetadataStore.Entry>> e : all.entrySet()) {
                if (metric != null && !metric.isEmpty() && !metric.equals(e.getKey())) continue;
                if (limit >= 0 && n >= limit) break;
                n++;
                g.writeArrayFieldStart(e.getKey());
                int m = 0;
                for (MetadataStore.Entry en : e.getValue()) {
                    if (perMetric >= 0 && m >= perMetric) break;
                    m++;
                    g.writeStartObject();
                    g.writeStringField("type", en.type());
                    g.writeStringField("help", en.help());
                    g.writeStringField("unit", en.unit());
                    g.writeEndObject();
                }
                g.writeEndArray();
            }
            g.writeEndObject();
        });
    }

    /** Prometheus metadata limits: absent or negative means unlimited. */
    private static int intParam(Request r, String name) {
        String v = r.param(name);
        if (v == null || v.isEmpty()) return -1;
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw ApiError.invalidParam(name, "cannot parse \"" + v + "\" as an integer");
        }
    }
}
