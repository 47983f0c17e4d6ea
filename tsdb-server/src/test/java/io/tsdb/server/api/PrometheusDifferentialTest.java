package io.tsdb.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.tsdb.core.StaleNaN;
import io.tsdb.server.ServerConfig;
import io.tsdb.server.TsdbServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Differential test against a real Prometheus (Debian package, /usr/bin/prometheus): the same data is remote-written
 * into both, then a broad set of queries runs as instant and range queries on both; results must be identical
 * within 1e-6 relative. Sample timestamps are off whole seconds and evaluation times are whole seconds, so window
 * boundary semantics of Prometheus 2.x (closed) and 3.x (left-open) cannot differ; evaluation times are off whole
 * seconds as well, so subquery steps never land on a subquery range boundary.
 * Not compared: {@code atan2} (Prometheus 2.x keeps the metric name, 3.x drops it, as this engine does).
 */
class PrometheusDifferentialTest {
    static final double REL = 1e-6, ABS = 1e-9;

    @TempDir static Path tmp;
    static PrometheusPair pair;
    static String promUrl, ourUrl;
    static long start, end;

    @BeforeAll static void setUp() throws Exception {
        pair = PrometheusPair.start(tmp);
        promUrl = pair.promUrl;
        ourUrl = pair.ourUrl;
        long now = System.currentTimeMillis();
        end = (now / 60_000) * 60_000 - 60_000;
        start = end - 60 * 60_000;
        pair.load(data(start, end));
    }

    @AfterAll static void tearDown() throws Exception {
        if (pair != null) pair.close();
    }

    /** Counters with a reset, gauges, an info metric, classic histogram buckets and a series that goes stale. */
    static List<ExternalProcess.TimeSeries> data(long start, long end) {
        Random rnd = new Random(42);
        List<ExternalProcess.TimeSeries> out = new ArrayList<>();
        int n = (int) ((end - start) / 15_000) + 1;
        int seriesNo = 0;
        for (int h = 0; h < 4; h++) {
            String inst = "host-" + h + ":9100";
            for (String code : new String[]{"200", "404", "500"}) {
                double v = rnd.nextInt(1000);
                double[] vs = new double[n];
                for (int i = 0; i < n; i++) {
                    v += rnd.nextInt(2000) / 100.0; // non-integer increments: no ties for topk/bottomk
                    if (h == 1 && code.equals("200") && i == n / 2) v = rnd.nextInt(5); // counter reset
                    vs[i] = v;
                }
                out.add(series(seriesNo++, start, vs, "__name__", "http_requests_total", "job", "api", "instance", inst, "code", code));
            }
            for (String mode : new String[]{"user", "system", "idle"}) {
                double v = 20 + rnd.nextInt(60);
                double[] vs = new double[n];
                for (int i = 0; i < n; i++) {
                    v = Math.max(0, Math.min(100, v + (rnd.nextInt(1001) - 500) / 100.0));
                    vs[i] = v;
                }
                out.add(series(seriesNo++, start, vs, "__name__", "cpu_usage", "instance", inst, "mode", mode));
            }
            double[] mem = new double[n];
            for (int i = 0; i < n; i++) mem[i] = 1e9 + h * 3e8 + rnd.nextInt(1_000_000) * 100.0;
            out.add(series(seriesNo++, start, mem, "__name__", "node_memory_bytes", "instance", inst));
            double[] one = new double[n];
            java.util.Arrays.fill(one, 1);
            out.add(series(seriesNo++, start, one, "__name__", "node_info", "instance", inst, "zone", h < 2 ? "eu" : "us"));
            double[] cum = new double[n];
            String[] les = {"0.1", "0.5", "1", "+Inf"};
            double[][] buckets = new double[les.length][n];
            for (int i = 0; i < n; i++) {
                double acc = 0;
                for (int b = 0; b < les.length; b++) {
                    cum[i] = 0;
                    acc += rnd.nextInt(10);
                    buckets[b][i] = (i == 0 ? 0 : buckets[b][i - 1]) + acc;
                }
            }
            for (int b = 0; b < les.length; b++) {
                out.add(series(seriesNo++, start, buckets[b], "__name__", "req_duration_seconds_bucket", "instance", inst, "le", les[b]));
            }
        }
        // A gauge that stops 20 minutes before the end with a staleness marker.
        int stop = n - 80;
        double[] fl = new double[stop + 1];
        for (int i = 0; i < stop; i++) fl[i] = i % 7;
        fl[stop] = StaleNaN.VALUE;
        out.add(series(seriesNo, start, fl, "__name__", "flaky_gauge", "instance", "host-0:9100"));
        return out;
    }

    /** Samples every 15 s, each series with its own sub-second offset (never a whole second). */
    static ExternalProcess.TimeSeries series(int no, long start, double[] vs, String... labels) {
        long[] ts = new long[vs.length];
        long off = 100 + (no * 37L) % 800;
        for (int i = 0; i < vs.length; i++) ts[i] = start + i * 15_000L + off;
        return new ExternalProcess.TimeSeries(labels, ts, vs);
    }

    static final List<String> QUERIES = List.of(
            // selectors and offsets
            "http_requests_total", "http_requests_total{code=\"200\"}", "http_requests_total{code=~\"2..|5..\"}",
            "http_requests_total{code!=\"404\",instance=~\"host-[01].*\"}", "{__name__=~\"cpu_.*\",mode!~\"idle|user\"}",
            "cpu_usage offset 5m", "cpu_usage offset 7m30s", "flaky_gauge", "node_info",
            // aggregations
            "sum(http_requests_total)", "sum by (code) (rate(http_requests_total[5m]))",
            "avg without (instance) (cpu_usage)", "max by (instance) (cpu_usage)", "min(cpu_usage)",
            "count by (mode) (cpu_usage)", "stddev(cpu_usage)", "stdvar by (instance) (cpu_usage)",
            "topk(3, cpu_usage)", "bottomk(2, rate(http_requests_total[5m]))", "quantile(0.9, cpu_usage)",
            "quantile by (mode) (0.25, cpu_usage)", "count_values(\"v\", floor(cpu_usage / 10))",
            "group by (instance) (cpu_usage)", "sum without (code, instance) (http_requests_total)",
            // binary operators and vector matching
            "http_requests_total / 100", "2 * cpu_usage - 3", "2 ^ 3 ^ 2", "-cpu_usage", "cpu_usage % 7",
"cpu_usage > 50", "cpu_usage > bool 50", "50 < cpu_usage",
            "cpu_usage == bool cpu_usage", "rate(http_requests_total{code=\"500\"}[5m]) / ignoring(code) rate(http_requests_total{code=\"200\"}[5m])",
            "cpu_usage * on(instance) group_left(zone) node_info",
            "node_info * on(instance) group_right(zone) cpu_usage",
            "sum by (instance) (rate(http_requests_total[5m])) / on(instance) sum by (instance) (cpu_usage)",
            "cpu_usage and on(instance) (node_memory_bytes > 1.5e9)", "cpu_usage unless cpu_usage{mode=\"idle\"}",
            "http_requests_total{code=\"200\"} or cpu_usage{mode=\"user\"}", "cpu_usage unless on(instance) node_info{zone=\"eu\"}",
            "sum(rate(http_requests_total[5m])) by (code) > bool 1",
            // functions
            "rate(http_requests_total[5m])", "irate(http_requests_total[5m])", "increase(http_requests_total[10m])",
            "delta(cpu_usage[5m])", "idelta(cpu_usage[5m])", "deriv(cpu_usage[10m])", "predict_linear(cpu_usage[10m], 600)",
            "resets(http_requests_total[30m])", "changes(cpu_usage[10m])", "avg_over_time(cpu_usage[5m])",
            "min_over_time(cpu_usage[5m])", "max_over_time(cpu_usage[5m])", "sum_over_time(cpu_usage[5m])",
            "count_over_time(cpu_usage[5m])", "quantile_over_time(0.5, cpu_usage[10m])", "stddev_over_time(cpu_usage[10m])",
            "stdvar_over_time(cpu_usage[10m])", "last_over_time(flaky_gauge[5m])", "present_over_time(flaky_gauge[5m])",
            "absent_over_time(flaky_gauge[5m])", "absent(nonexistent_metric)", "absent(flaky_gauge)",
            "histogram_quantile(0.9, sum by (le) (rate(req_duration_seconds_bucket[5m])))",
            "histogram_quantile(0.5, rate(req_duration_seconds_bucket[10m]))",
            "abs(-cpu_usage)", "ceil(cpu_usage)", "floor(cpu_usage)", "round(cpu_usage)", "round(cpu_usage, 5)",
            "exp(cpu_usage / 100)", "ln(cpu_usage + 1)", "log2(cpu_usage + 1)", "log10(node_memory_bytes)",
            "sqrt(cpu_usage)", "sgn(cpu_usage - 50)", "clamp(cpu_usage, 20, 60)", "clamp_min(cpu_usage, 40)",
            "clamp_max(cpu_usage, 40)", "sin(cpu_usage)", "cos(cpu_usage)", "tan(cpu_usage / 100)", "asin(cpu_usage / 100)",
            "acos(cpu_usage / 100)", "atan(cpu_usage)", "sinh(cpu_usage / 100)", "cosh(cpu_usage / 100)", "tanh(cpu_usage / 100)",
            "deg(cpu_usage)", "rad(cpu_usage)", "pi()",
            "label_replace(cpu_usage, \"host\", \"$1\", \"instance\", \"(.*):.*\")",
            "label_join(cpu_usage, \"id\", \"-\", \"instance\", \"mode\")", "timestamp(cpu_usage)", "vector(1)",
            "scalar(sum(cpu_usage))", "time()", "sort(cpu_usage)", "sort_desc(cpu_usage)",
            "day_of_week()", "day_of_month()", "hour(timestamp(cpu_usage))", "minute()", "month()", "year()",
            "days_in_month()", "day_of_year()",
            // subqueries
            "max_over_time(rate(http_requests_total[5m])[30m:1m])", "avg_over_time(cpu_usage[10m:30s])",
            "min_over_time(rate(http_requests_total[5m])[20m:2m] offset 5m)", "rate(sum(http_requests_total)[10m:])");

    static final List<String> ORDERED = List.of("sort(cpu_usage)", "sort_desc(cpu_usage)");

    static JsonNode query(String base, String path, Map<String, String> params) throws Exception {
        return PrometheusPair.query(base, path, params);
    }

    /** Skips query comparisons while the build has no query engine (the server answers 503 unavailable). */
    static void assumeEngine() throws Exception {
        JsonNode n = query(ourUrl, "/api/v1/query", Map.of("query", "1+1", "time", "4"));
        Assumptions.assumeFalse("unavailable".equals(n.path("errorType").asText()),
                "skipped: this build has no query engine yet (" + n.path("error").asText() + ")");
    }

    @Test void instantQueriesMatchPrometheus() throws Exception {
        assumeEngine();
        List<String> failures = new ArrayList<>();
        // Evaluation times off whole seconds too: subquery steps are aligned to whole seconds, so a subquery range
        // never starts exactly on one of its steps (Prometheus 2.x includes that step, 3.x does not).
        long[] times = {end - 4_321, end - 7 * 60_000 + 13_250, start + 25 * 60_000 + 7_777, start + 41 * 60_000 + 500};
        for (String q : QUERIES) {
            for (long t : times) {
                Map<String, String> p = new LinkedHashMap<>();
                p.put("query", q);
                p.put("time", GoFloat.timestamp(t));
                compare(q + " @" + GoFloat.timestamp(t), query(promUrl, "/api/v1/query", p), query(ourUrl, "/api/v1/query", p),
                        ORDERED.contains(q), failures);
            }
        }
        if (!failures.isEmpty()) throw new AssertionError(failures.size() + " differences:\n" + String.join("\n", failures));
        int nonEmpty = NON_EMPTY.getAndSet(0);
        assertTrue(nonEmpty > QUERIES.size() * 4 * 9 / 10, "only " + nonEmpty + " non-empty results");
    }

    @Test void rangeQueriesMatchPrometheus() throws Exception {
        assumeEngine();
        List<String> failures = new ArrayList<>();
        for (String q : QUERIES) {
            for (long step : new long[]{60_000, 17_000}) {
                Map<String, String> p = new LinkedHashMap<>();
                p.put("query", q);
                p.put("start", GoFloat.timestamp(start + 20 * 60_000 + 1_234));
                p.put("end", GoFloat.timestamp(end));
                p.put("step", GoFloat.timestamp(step));
                JsonNode expected = query(promUrl, "/api/v1/query_range", p);
                compare(q + " step " + step, expected, query(ourUrl, "/api/v1/query_range", p), false, failures);
                // Again: older extents now come from the range-query cache.
                compare(q + " step " + step + " (cached)", expected, query(ourUrl, "/api/v1/query_range", p), false, failures);
            }
        }
        // Whether the extents of the window above are old enough to cache depends on where the wall clock falls
        // in the hour. The first half hour of data always lies in a one-hour extent that ends at least two minutes
        // before now, so these are cached on the first call and answered from the cache on the second.
        for (String q : QUERIES.subList(0, Math.min(5, QUERIES.size()))) {
            Map<String, String> p = new LinkedHashMap<>();
            p.put("query", q);
            p.put("start", GoFloat.timestamp(start + 1_234));
            p.put("end", GoFloat.timestamp(start + 30 * 60_000));
            p.put("step", GoFloat.timestamp(60_000));
            JsonNode expected = query(promUrl, "/api/v1/query_range", p);
            compare(q + " early window", expected, query(ourUrl, "/api/v1/query_range", p), false, failures);
            compare(q + " early window (cached)", expected, query(ourUrl, "/api/v1/query_range", p), false, failures);
        }
        if (!failures.isEmpty()) throw new AssertionError(failures.size() + " differences:\n" + String.join("\n", failures));
        int nonEmpty = NON_EMPTY.getAndSet(0);
        assertTrue(nonEmpty > QUERIES.size() * 4 * 9 / 10, "only " + nonEmpty + " non-empty results");
        // The range queries went through the result cache; its counters are exposed on the server's /metrics.
        String metrics = ExternalProcess.HTTP.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(ourUrl + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        assertTrue(metrics.contains("tsdb_query_range_cache_misses_total "), "cache counters missing from /metrics");
        java.util.regex.Matcher hits = java.util.regex.Pattern.compile("(?m)^tsdb_query_range_cache_hits_total (\\S+)$").matcher(metrics);
        assertTrue(hits.find() && Double.parseDouble(hits.group(1)) > 0, "the repeated range queries must hit the cache");
    }

    @Test void seriesAndLabelsMatchPrometheus() throws Exception {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("match[]", "{__name__=~\"cpu_usage|node_info\"}");
        p.put("start", GoFloat.timestamp(start));
        p.put("end", GoFloat.timestamp(end));
        assertEquals(query(promUrl, "/api/v1/series", p).get("data"), query(ourUrl, "/api/v1/series", p).get("data"));
        assertEquals(query(promUrl, "/api/v1/labels", p).get("data"), query(ourUrl, "/api/v1/labels", p).get("data"));
        assertEquals(query(promUrl, "/api/v1/labels", Map.of()).get("data"), query(ourUrl, "/api/v1/labels", Map.of()).get("data"));
    }

    /** Comparisons where Prometheus returned a non-empty result (guards against a vacuous comparison). */
    static final java.util.concurrent.atomic.AtomicInteger NON_EMPTY = new java.util.concurrent.atomic.AtomicInteger();

    static void compare(String what, JsonNode prom, JsonNode ours, boolean ordered, List<String> failures) {
        JsonNode res = prom.at("/data/result");
        if (res.isArray() && res.size() > 0) NON_EMPTY.incrementAndGet();
        if (!prom.get("status").asText().equals(ours.get("status").asText())) {
            failures.add(what + ": status prometheus=" + prom + " ours=" + ours);
            return;
        }
        if (prom.get("status").asText().equals("error")) {
            if (!prom.get("errorType").equals(ours.get("errorType"))) failures.add(what + ": errorType " + prom + " vs " + ours);
            return;
        }
        String type = prom.at("/data/resultType").asText();
        if (!type.equals(ours.at("/data/resultType").asText())) {
            failures.add(what + ": resultType " + type + " vs " + ours.at("/data/resultType").asText());
            return;
        }
        JsonNode pr = prom.at("/data/result"), or = ours.at("/data/result");
        switch (type) {
            case "scalar", "string" -> comparePoint(what, pr, or, failures);
            case "vector" -> {
                Map<String, JsonNode> a = byMetric(pr, "value"), b = byMetric(or, "value");
                if (!a.keySet().equals(b.keySet())) {
                    failures.add(what + ": series differ\n  prometheus " + a.keySet() + "\n  ours       " + b.keySet());
                    return;
                }
                for (String k : a.keySet()) comparePoint(what + " " + k, a.get(k), b.get(k), failures);
                if (ordered) {
                    for (int i = 0; i < pr.size(); i++) {
                        if (!pr.get(i).get("metric").equals(or.get(i).get("metric"))) {
                            failures.add(what + ": order differs at " + i);
                            break;
                        }
                    }
                }
            }
            case "matrix" -> {
                Map<String, JsonNode> a = byMetric(pr, "values"), b = byMetric(or, "values");
                if (!a.keySet().equals(b.keySet())) {
                    failures.add(what + ": series differ\n  prometheus " + a.keySet() + "\n  ours       " + b.keySet());
                    return;
                }
                for (String k : a.keySet()) {
                    JsonNode x = a.get(k), y = b.get(k);
                    if (x.size() != y.size()) {
                        failures.add(what + " " + k + ": " + x.size() + " points vs " + y.size());
                        continue;
                    }
                    int before = failures.size();
                    for (int i = 0; i < x.size() && failures.size() == before; i++) comparePoint(what + " " + k, x.get(i), y.get(i), failures);
                }
            }
            default -> failures.add(what + ": unknown result type " + type);
        }
    }

    static Map<String, JsonNode> byMetric(JsonNode result, String field) {
        Map<String, JsonNode> m = new TreeMap<>();
        for (Iterator<JsonNode> it = result.elements(); it.hasNext(); ) {
            JsonNode s = it.next();
            m.put(new TreeMap<>(ApiFixture.JSON.convertValue(s.get("metric"), Map.class)).toString(), s.get(field));
        }
        return m;
    }

    static void comparePoint(String what, JsonNode p, JsonNode o, List<String> failures) {
        if (p.get(0).asDouble() != o.get(0).asDouble()) {
            failures.add(what + ": timestamp " + p.get(0) + " vs " + o.get(0));
            return;
        }
        String ps = p.get(1).asText(), os = o.get(1).asText();
        if (ps.equals(os)) return;
        double a, b;
        try {
            a = Double.parseDouble(ps.replace("Inf", "Infinity"));
            b = Double.parseDouble(os.replace("Inf", "Infinity"));
        } catch (NumberFormatException e) {
            failures.add(what + ": value " + ps + " vs " + os);
            return;
        }
        if (Double.isNaN(a) && Double.isNaN(b)) return;
        if (a == b) return;
        double diff = Math.abs(a - b);
        if (diff <= ABS || diff <= REL * Math.max(Math.abs(a), Math.abs(b))) return;
        failures.add(what + " @" + p.get(0) + ": prometheus " + ps + " ours " + os);
    }
}
