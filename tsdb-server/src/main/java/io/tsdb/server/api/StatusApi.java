package io.tsdb.server.api;

import io.tsdb.core.Labels;
import io.tsdb.core.Matcher;
import io.tsdb.core.Querier;
import io.tsdb.core.StorageStats;
import io.tsdb.server.ServerConfig;
import io.tsdb.server.ServerContext;
import io.tsdb.server.http.Request;
import io.tsdb.server.http.Response;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** /api/v1/status/*, and the rules/alerts/targets/exemplars endpoints (valid empty answers until those exist). */
final class StatusApi {
    /** The Prometheus API level this server implements; clients such as Grafana parse it as a Prometheus version. */
    static final String COMPAT_VERSION = "3.0.0";
    static final String PRODUCT_VERSION = io.tsdb.server.BuildInfo.VERSION;
    /** At most this many label-pair series counts are computed for /api/v1/status/tsdb. */
    static final int PAIR_BUDGET = 50_000;

    private final ServerContext ctx;
    private final long startTimeMs;

    StatusApi(ServerContext ctx, long startTimeMs) {
        this.ctx = ctx;
        this.startTimeMs = startTimeMs;
    }

    Response buildInfo(Request r) {
        return ApiJson.success(g -> {
            g.writeStartObject();
            g.writeStringField("version", COMPAT_VERSION);
            g.writeStringField("revision", "tsdb-" + PRODUCT_VERSION);
            g.writeStringField("branch", "main");
            g.writeStringField("buildUser", "tsdb");
            g.writeStringField("buildDate", "");
            g.writeStringField("goVersion", "java" + Runtime.version().feature());
            g.writeStringField("application", "tsdb");
            g.writeStringField("applicationVersion", PRODUCT_VERSION);
            g.writeEndObject();
        });
    }

    Response runtimeInfo(Request r) {
        Runtime rt = Runtime.getRuntime();
        return ApiJson.success(g -> {
            g.writeStartObject();
            g.writeStringField("startTime", Instant.ofEpochMilli(startTimeMs).toString());
            g.writeStringField("CWD", Path.of("").toAbsolutePath().toString());
            g.writeBooleanField("reloadConfigSuccess", true);
            g.writeStringField("lastConfigTime", Instant.ofEpochMilli(startTimeMs).toString());
            g.writeNumberField("corruptionCount", 0);
            g.writeNumberField("goroutineCount", Thread.activeCount());
            g.writeNumberField("GOMAXPROCS", rt.availableProcessors());
            g.writeNumberField("GOMEMLIMIT", rt.maxMemory());
            g.writeStringField("GOGC", "");
            g.writeStringField("GODEBUG", "");
            g.writeStringField("storageRetention", formatDuration(ctx.config().retention.toMillis()));
            g.writeEndObject();
        });
    }

    Response flags(Request r) {
        Map<String, String> flags = configValues(ctx.config());
        return ApiJson.success(g -> {
            g.writeStartObject();
            for (Map.Entry<String, String> e : flags.entrySet()) g.writeStringField(e.getKey(), e.getValue());
            g.writeEndObject();
        });
    }

    Response config(Request r) {
        StringBuilder yaml = new StringBuilder();
        for (Map.Entry<String, String> e : configValues(ctx.config()).entrySet()) {
            io.tsdb.server.cli.Flags.Flag f = io.tsdb.server.cli.Flags.byName(e.getKey());
            // a repeatable flag's value is a YAML flow list already
            String v = f != null && f.repeatable() ? (e.getValue().isEmpty() ? "[]" : e.getValue()) : yamlScalar(e.getValue());
            yaml.append(e.getKey()).append(": ").append(v).append('\n');
        }
        return ApiJson.success(g -> {
            g.writeStartObject();
            g.writeStringField("yaml", yaml.toString());
            g.writeEndObject();
        });
    }

    private static String yamlScalar(String v) {
        if (v.isEmpty() || !v.matches("[A-Za-z0-9_./:-]+")) return '"' + v.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
        return v;
    }

    /** The effective value of every command-line flag, by flag name (as --help lists them). */
    static Map<String, String> configValues(ServerConfig c) {
        return new LinkedHashMap<>(io.tsdb.server.cli.Flags.values(c));
    }

    /** Prometheus's model.Duration notation, e.g. 15d, 1h30m, 500ms. */
    static String formatDuration(long ms) {
        if (ms == 0) return "0s";
        StringBuilder sb = new StringBuilder();
        if (ms < 0) { sb.append('-'); ms = -ms; }
        long[] unit = {365L * 86_400_000, 7L * 86_400_000, 86_400_000, 3_600_000, 60_000, 1000, 1};
        String[] name = {"y", "w", "d", "h", "m", "s", "ms"};
        for (int i = 0; i < unit.length; i++) {
            if (i < 2 && ms % unit[i] != 0) continue; // years and weeks only when exact (90d, not 12w6d)
            long n = ms / unit[i];
            if (n > 0) { sb.append(n).append(name[i]); ms -= n * unit[i]; }
        }
        return sb.toString();
    }

    record Count(String name, long value) {}

    Response tsdb(Request r) {
        int limit = Params.limit(r, "limit");
        if (limit == 0) limit = 10;
        if (limit > 10_000) throw ApiError.invalidParam("limit", "limit must not exceed 10000");
        io.tsdb.server.tenant.TenantStorage storage = ctx.tenants().storage(r.tenant());
        StorageStats st = storage.stats();
        List<Count> byMetric = new ArrayList<>(), valueCounts = new ArrayList<>(), memory = new ArrayList<>(), pairs = new ArrayList<>();
        long numPairs = 0;
        try (Querier q = storage.querier(Params.MIN_TIME, Params.MAX_TIME)) {
            int budget = PAIR_BUDGET;
            for (String name : q.labelNames(List.of())) {
                List<String> values = q.labelValues(name, List.of());
                numPairs += values.size();
                valueCounts.add(new Count(name, values.size()));
                long bytes = 0;
                for (String v : values) bytes += v.length();
                memory.add(new Count(name, bytes));
                for (String v : values) {
                    if (budget-- <= 0) break;
                    long n = q.seriesCount(List.of(Matcher.eq(name, v)));
                    if (name.equals(Labels.METRIC_NAME)) byMetric.add(new Count(v, n));
                    pairs.add(new Count(name + "=" + v, n));
                }
            }
        }
        long total = numPairs;
        int lim = limit;
        return ApiJson.success(g -> {
            g.writeStartObject();
            g.writeObjectFieldStart("headStats");
            g.writeNumberField("numSeries", st.activeSeries());
            g.writeNumberField("numLabelPairs", total);
            g.writeNumberField("minTime", st.headMinTime());
            g.writeNumberField("maxTime", st.headMaxTime());
            g.writeEndObject();
            if (r.tenant().isDefault() && ctx.storage() instanceof io.tsdb.core.db.Tsdb db) {
                // not in Prometheus's answer: where series live (head, blocks, registry) and their churn counters
                g.writeObjectFieldStart("seriesStats");
                g.writeNumberField("headSeries", db.activeSeries());
                g.writeNumberField("blockSeries", db.blockSeries());
                g.writeNumberField("registrySeries", db.registrySeries());
                g.writeNumberField("createdTotal", db.counters().seriesCreated());
                g.writeNumberField("revivedTotal", db.seriesRevived());
                g.writeNumberField("removedTotal", db.seriesRemoved());
                g.writeEndObject();
            }
            writeTop(g, "seriesCountByMetricName", byMetric, lim);
            writeTop(g, "labelValueCountByLabelName", valueCounts, lim);
            writeTop(g, "memoryInBytesByLabelName", memory, lim);
            writeTop(g, "seriesCountByLabelValuePair", pairs, lim);
            g.writeEndObject();
        });
    }

    private static void writeTop(com.fasterxml.jackson.core.JsonGenerator g, String field, List<Count> counts, int limit)
            throws java.io.IOException {
        counts.sort(Comparator.comparingLong(Count::value).reversed().thenComparing(Count::name));
        g.writeArrayFieldStart(field);
        for (int i = 0; i < Math.min(limit, counts.size()); i++) {
            g.writeStartObject();
            g.writeStringField("name", counts.get(i).name());
            g.writeNumberField("value", counts.get(i).value());
            g.writeEndObject();
        }
        g.writeEndArray();
    }

    /** The query pretty-printed in canonical form (PromQL syntax). */
    Response formatQuery(Request r) {
        String q = r.param("query");
        if (q == null || q.isBlank()) throw ApiError.invalidParam("query", "no query given");
        String formatted = io.tsdb.query.parser.Printer.print(io.tsdb.query.parser.QueryParser.parse(q));
        return ApiJson.success(g -> g.writeString(formatted));
    }

    Response exemplars(Request r) {
        String q = r.param("query");
        if (q == null || q.isBlank()) throw ApiError.invalidParam("query", "no query given");
        io.tsdb.query.parser.QueryParser.parse(q); // validates the query like Prometheus does
        return ApiJson.success(g -> { g.writeStartArray(); g.writeEndArray(); });
    }

    Response rules(Request r) {
        return ApiJson.success(g -> {
            g.writeStartObject();
            g.writeArrayFieldStart("groups");
            g.writeEndArray();
            g.writeEndObject();
        });
    }

    Response alerts(Request r) {
        return ApiJson.success(g -> {
            g.writeStartObject();
            g.writeArrayFieldStart("alerts");
            g.writeEndArray();
            g.writeEndObject();
        });
    }

    Response targets(Request r) {
        return ApiJson.success(g -> {
            g.writeStartObject();
            g.writeArrayFieldStart("activeTargets");
            g.writeEndArray();
            g.writeArrayFieldStart("droppedTargets");
            g.writeEndArray();
            g.writeObjectFieldStart("droppedTargetCounts");
            g.writeEndObject();
            g.writeEndObject();
        });
    }
}
