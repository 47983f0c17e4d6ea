package io.tsdb.server.tenant;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.airlift.compress.snappy.SnappyCompressor;
import io.airlift.compress.snappy.SnappyDecompressor;
import io.tsdb.server.ServerConfig;
import io.tsdb.server.TsdbServer;
import io.tsdb.server.http.Router;
import io.tsdb.server.ingest.ProtoWriter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Tenant isolation over the real server (Tsdb storage, every default feature, admin and lifecycle APIs on): tenants
 * alpha and bravo (and the default tenant) write distinct data, then bravo tries every route of the router with every
 * parameter that could reach alpha's data (matchers and regexes over __name__ and over the hidden tenant label, the
 * range cache with alpha's query text, export, federate, remote read, label values, cardinality pages, console,
 * admin): no answer contains anything of alpha's. The routes come from the router: a route without a case here
 * fails {@link #everyRouteHasATenantCase}. Then every ingest route writes as a third tenant, and only it sees that.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class TenantIsolationTest {
    static final String A = "tenant-alpha", B = "tenant-bravo";
    /** Strings only alpha's data (or alpha's tenant ID) contains. */
    static final List<String> A_MARKERS = List.of("tenant-alpha", "alpha_secret", "alpha-job", "alpha-owner", "alpha-help");
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();

    @TempDir Path dir;
    TsdbServer server;
    long now, t0;

    /** One request to try: method, path with query string, body and its content type (or null). */
    record Req(String method, String path, byte[] body, String contentType) {
        static Req get(String path) { return new Req("GET", path, null, null); }
        static Req post(String path, String form) {
            return new Req("POST", path, form.getBytes(StandardCharsets.UTF_8), "application/x-www-form-urlencoded");
        }
    }

    @BeforeEach
    void start() throws Exception {
        ServerConfig c = new ServerConfig();
        c.listenHost = "127.0.0.1";
        c.listenPort = 0;
        c.dataDir = dir.resolve("data");
        c.enableAdminApi = true;
        c.enableLifecycle = true;
        server = TsdbServer.builder(c).start();
        now = System.currentTimeMillis();
        t0 = now - 30 * 60_000L;   // old enough for the range cache to keep extents
        StringBuilder a = new StringBuilder("# HELP alpha_secret_total alpha-help text\n# TYPE alpha_secret_total counter\n"
                + "# HELP shared_metric alpha-help of the shared name\n");
        StringBuilder b = new StringBuilder("# HELP shared_metric bravo's help\n");
        StringBuilder d = new StringBuilder();
        for (int i = 0; i < 20; i++) {
            long t = t0 + i * 15_000L;
            a.append("alpha_secret_total{job=\"alpha-job\",owner=\"alpha-owner\"} ").append(i).append(' ').append(t).append('\n');
            a.append("shared_metric{job=\"shared\",owner=\"alpha-owner\"} 1 ").append(t).append('\n');
            b.append("bravo_total{job=\"bravo-job\"} ").append(2 * i).append(' ').append(t).append('\n');
            b.append("shared_metric{job=\"shared\",owner=\"bravo-owner\"} 2 ").append(t).append('\n');
            d.append("default_metric{job=\"default-job\"} 3 ").append(t).append('\n');
        }
        // and a recent sample each, for federate and instant queries at now
        a.append("alpha_secret_total{job=\"alpha-job\",owner=\"alpha-owner\"} 99 ").append(now - 1000).append('\n');
        b.append("bravo_total{job=\"bravo-job\"} 98 ").append(now - 1000).append('\n');
        assertEquals(204, send(new Req("POST", "/api/v1/import/prometheus", bytes(a), "text/plain"), A).statusCode());
        assertEquals(204, send(new Req("POST", "/api/v1/import/prometheus", bytes(b), "text/plain"), B).statusCode());
        assertEquals(204, send(new Req("POST", "/api/v1/import/prometheus", bytes(d), "text/plain"), null).statusCode());
    }

    @AfterEach
    void stop() { server.stop(); }

    static byte[] bytes(CharSequence s) { return s.toString().getBytes(StandardCharsets.UTF_8); }

    static String enc(String s) { return URLEncoder.encode(s, StandardCharsets.UTF_8); }

    HttpResponse<byte[]> send(Req r, String tenant) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.baseUrl() + r.path()))
                .method(r.method(), r.body() == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(r.body()))
                .timeout(Duration.ofSeconds(60));
        if (r.contentType() != null) b.header("Content-Type", r.contentType());
        if (r.path().equals("/api/v1/read") || r.path().equals("/api/v1/write")) b.header("Content-Encoding", "snappy");
        if (tenant != null) b.header(TenantScope.HEADER, tenant);
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    String text(Req r, String tenant, int status) throws Exception {
        HttpResponse<byte[]> resp = send(r, tenant);
        String body = new String(decoded(r, resp), StandardCharsets.UTF_8);
        assertEquals(status, resp.statusCode(), r.method() + " " + r.path() + " as " + tenant + ": " + body);
        return body;
    }

    static byte[] decoded(Req r, HttpResponse<byte[]> resp) {
        if (r.path().equals("/api/v1/read") && resp.statusCode() == 200) return unsnappy(resp.body());
        return resp.body();
    }

    static byte[] snappy(byte[] raw) {
        SnappyCompressor c = new SnappyCompressor();
        byte[] out = new byte[c.maxCompressedLength(raw.length)];
        return Arrays.copyOf(out, c.compress(raw, 0, raw.length, out, 0, out.length));
    }

    static byte[] unsnappy(byte[] in) {
        byte[] out = new byte[SnappyDecompressor.getUncompressedLength(in, 0)];
        new SnappyDecompressor().decompress(in, 0, in.length, out, 0, out.length);
        return out;
    }

    /** A remote-read ReadRequest (SAMPLES) of one query with matchers {type, name, value}. */
    static byte[] readRequest(long start, long end, String[][] matchers) {
        ProtoWriter q = new ProtoWriter().uint(1, start).uint(2, end);
        for (String[] m : matchers) {
            q.msg(3, w -> {
                int type = switch (m[0]) { case "=" -> 0; case "!=" -> 1; case "=~" -> 2; default -> 3; };
                if (type != 0) w.uint(1, type);
                w.string(2, m[1]).string(3, m[2]);
            });
        }
        return snappy(new ProtoWriter().bytes(1, q.toByteArray()).uint(2, 0).toByteArray());
    }

    /** A remote-write 1.0 WriteRequest of one series with one sample. */
    static byte[] writeRequest(String[] labels, long t, double v) {
        ProtoWriter ts = new ProtoWriter();
        for (int i = 0; i < labels.length; i += 2) {
            String n = labels[i], val = labels[i + 1];
            ts.msg(1, l -> l.string(1, n).string(2, val));
        }
        ts.msg(2, s -> s.dbl(1, v).uint(2, t));
        return snappy(new ProtoWriter().bytes(1, ts.toByteArray()).toByteArray());
    }

    /** Queries (PromQL and selectors) that would reach alpha's data if a read path forgot the tenant. */
    List<String> probes() {
        return List.of("{__name__=~\".+\"}", "alpha_secret_total", "{__name__=~\"alpha.*\"}", "shared_metric",
                "{__tenant__=\"" + A + "\"}", "{__tenant__=~\".+\"}", "{__tenant__!=\"\"}", "{__name__=~\".+\",__tenant__=~\".*alpha.*\"}",
                "count by (__tenant__, owner, job) ({__name__=~\".+\"})", "{owner=\"alpha-owner\"}", "{job=~\"alpha.*\"}",
                "label_replace(bravo_total, \"x\", \"$1\", \"__tenant__\", \"(.*)\")", "{__tenant_id__=~\".+\"}");
    }

    /** Every request to try as bravo, by route name. Every route of the router must be here (with a reason if none). */
    Map<String, List<Req>> cases() {
        long s = t0 / 1000, e = (t0 + 20 * 15_000L) / 1000;
        List<Req> query = new ArrayList<>(), range = new ArrayList<>(), series = new ArrayList<>(), labels = new ArrayList<>();
        List<Req> export = new ArrayList<>(), federate = new ArrayList<>(), read = new ArrayList<>(), delete = new ArrayList<>();
        for (String p : probes()) {
            query.add(Req.get("/api/v1/query?query=" + enc(p) + "&time=" + e));
            query.add(Req.post("/api/v1/query", "query=" + enc(p)));
            range.add(Req.get("/api/v1/query_range?query=" + enc(p) + "&start=" + s + "&end=" + e + "&step=15"));
            range.add(Req.post("/api/v1/query_range", "query=" + enc(p) + "&start=" + s + "&end=" + e + "&step=60"));
            if (p.startsWith("{") || p.matches("[a-z_]+")) {
                series.add(Req.get("/api/v1/series?match[]=" + enc(p)));
                series.add(Req.post("/api/v1/series", "match[]=" + enc(p) + "&start=" + s));
                labels.add(Req.get("/api/v1/labels?match[]=" + enc(p)));
                export.add(Req.get("/api/v1/export?match[]=" + enc(p)));
                federate.add(Req.get("/federate?match[]=" + enc(p)));
                delete.add(Req.post("/api/v1/admin/tsdb/delete_series", "match[]=" + enc(p)));
            }
        }
        labels.add(Req.get("/api/v1/labels"));
        labels.add(Req.post("/api/v1/labels", "start=" + s));
        List<Req> values = new ArrayList<>();
        for (String l : List.of("__name__", "job", "owner", "__tenant__", "__tenant_id__")) {
            values.add(Req.get("/api/v1/label/" + l + "/values"));
            values.add(Req.get("/api/v1/label/" + l + "/values?match[]=" + enc("{__name__=~\".+\"}")));
            values.add(Req.get("/api/v1/label/" + l + "/values?match[]=" + enc("{__tenant__=\"" + A + "\"}")));
        }
        for (String[][] ms : new String[][][]{{{"=~", "__name__", ".+"}}, {{"=", "__name__", "alpha_secret_total"}},
                {{"=~", "__name__", ".+"}, {"=", "__tenant__", A}}, {{"=~", "__tenant__", ".+"}, {"=~", "__name__", ".*"}},
                {{"=", "owner", "alpha-owner"}}}) {
            read.add(new Req("POST", "/api/v1/read", readRequest(0, now + 60_000, ms), "application/x-protobuf"));
        }
        Map<String, List<Req>> c = new LinkedHashMap<>();
        c.put("/api/v1/query", query);
        c.put("/api/v1/query_range", range);
        c.put("/api/v1/series", series);
        c.put("/api/v1/labels", labels);
        c.put("/api/v1/label/:name/values", values);
        c.put("/api/v1/metadata", List.of(Req.get("/api/v1/metadata"), Req.get("/api/v1/metadata?metric=alpha_secret_total"),
                Req.get("/api/v1/metadata?metric=shared_metric")));
        c.put("/api/v1/status/tsdb", List.of(Req.get("/api/v1/status/tsdb"), Req.get("/api/v1/status/tsdb?limit=10000")));
        c.put("/api/v1/export", export);
        c.put("/federate", federate);
        c.put("/api/v1/read", read);
        c.put("/console/api/metrics", List.of(Req.get("/console/api/metrics"), Req.get("/console/api/metrics?search=alpha")));
        // (the answer names the metric asked for, so the probe is a name both tenants have)
        c.put("/console/api/metric", List.of(Req.get("/console/api/metric?name=shared_metric")));
        c.put("/console/api/storage", List.of(Req.get("/console/api/storage")));
        c.put("/console/api/slow_queries", List.of(Req.get("/console/api/slow_queries")));
        c.put("/api/v1/rules", List.of(Req.get("/api/v1/rules")));
        c.put("/api/v1/alerts", List.of(Req.get("/api/v1/alerts")));
        // admin: deletions are limited to bravo's series (checked afterwards: alpha's data is intact); operations on
        // the whole store are refused to another tenant than the default one
        c.put("/api/v1/admin/tsdb/delete_series", delete);
        c.put("/api/v1/admin/tsdb/clean_tombstones", List.of(Req.post("/api/v1/admin/tsdb/clean_tombstones", "")));
        c.put("/api/v1/admin/tsdb/snapshot", List.of(Req.post("/api/v1/admin/tsdb/snapshot", "")));
        c.put("/api/v1/admin/flush", List.of(Req.post("/api/v1/admin/flush", "")));
        c.put("/-/reload", List.of(Req.post("/-/reload", "")));
        c.put("/metrics", List.of(Req.get("/metrics")));
        // no stored data in the answer: build, flags, configuration, formatting, alertmanagers, targets, static files
        for (String p : List.of("/api/v1/status/buildinfo", "/api/v1/status/runtimeinfo", "/api/v1/status/flags",
                "/api/v1/status/config", "/api/v1/alertmanagers", "/api/v1/targets", "/-/healthy", "/-/ready", "/",
                "/index.html", "/console/api/functions")) {
            c.put(p, List.of(Req.get(p)));
        }
        c.put("/api/v1/format_query", List.of(Req.get("/api/v1/format_query?query=" + enc("sum(rate(x[5m]))"))));
        c.put("/api/v1/query_exemplars", List.of(Req.get("/api/v1/query_exemplars?query=" + enc("{__name__=~\".+\"}"))));
        c.put("/console/*", List.of(Req.get("/console/index.html")));
        c.put("/webjars/uplot/*", List.of(Req.get("/webjars/uplot/uPlot.iife.min.js")));
        // ingest: bravo writes alpha's very label sets; they become bravo's series (alpha's stay unchanged, checked after)
        String aSeries = "alpha_secret_total{job=\"alpha-job\",owner=\"alpha-owner\"}";
        c.put("/api/v1/write", List.of(new Req("POST", "/api/v1/write", writeRequest(new String[]{"__name__", "alpha_secret_total",
                "job", "alpha-job", "owner", "alpha-owner"}, now, 1000), "application/x-protobuf")));
        c.put("/api/v1/import/prometheus", List.of(new Req("POST", "/api/v1/import/prometheus", bytes(aSeries + " 1000 " + now + "\n"), "text/plain")));
        c.put("/api/v1/import", List.of(new Req("POST", "/api/v1/import", bytes("{\"metric\":{\"__name__\":\"alpha_secret_total\","
                + "\"job\":\"alpha-job\",\"owner\":\"alpha-owner\"},\"values\":[1000],\"timestamps\":[" + (now + 1) + "]}\n"), "application/json")));
        c.put("/write", List.of(new Req("POST", "/write", bytes("alpha_secret,job=alpha-job total=1000 " + (now + 2) * 1_000_000 + "\n"), "text/plain")));
        c.put("/api/v2/write", List.of(new Req("POST", "/api/v2/write", bytes("alpha_secret,job=alpha-job total=1000 " + (now + 3) * 1_000_000 + "\n"), "text/plain")));
        c.put("/metrics/job", List.of(new Req("PUT", "/metrics/job/alpha-job", bytes("alpha_secret_total{owner=\"alpha-owner\"} 1000\n"), "text/plain")));
        c.put("/api/v1/otlp/v1/metrics", List.of(new Req("POST", "/api/v1/otlp/v1/metrics", bytes(
                "{\"resourceMetrics\":[{\"resource\":{\"attributes\":[{\"key\":\"service.name\",\"value\":{\"stringValue\":\"alpha-job\"}}]},"
                + "\"scopeMetrics\":[{\"metrics\":[{\"name\":\"alpha_secret_otlp\",\"gauge\":{\"dataPoints\":[{\"asDouble\":1000,"
                + "\"timeUnixNano\":\"" + now * 1_000_000 + "\"}]}}]}]}]}"), "application/json")));
        return c;
    }

    @Test
    void everyRouteHasATenantCase() {
        TreeSet<String> missing = new TreeSet<>();
        for (Router.Route r : server.router().routes()) if (!cases().containsKey(r.name())) missing.add(r.name());
        assertTrue(missing.isEmpty(), "routes without a tenant isolation case (add them to cases()): " + missing);
    }

    @Test
    void bravoNeverSeesAlphasData() throws Exception {
        Map<String, List<Req>> cases = cases();
        // sanity: the probes do find alpha's data as alpha (the test can fail), and bravo's own as bravo
        assertTrue(text(Req.get("/api/v1/series?match[]=" + enc("{__name__=~\".+\"}")), A, 200).contains("alpha_secret_total"));
        assertTrue(text(Req.get("/api/v1/label/owner/values"), A, 200).contains("alpha-owner"));
        assertTrue(text(Req.get("/api/v1/metadata?metric=shared_metric"), A, 200).contains("alpha-help"));
        String asBravo = text(Req.get("/api/v1/series?match[]=" + enc("{__name__=~\".+\"}")), B, 200);
        assertTrue(asBravo.contains("bravo_total") && asBravo.contains("bravo-owner"), asBravo);
        assertFalse(asBravo.contains("default_metric"), "the default tenant's series are its own: " + asBravo);
        // the range cache: alpha asks every range query first, so bravo's identical query texts would hit its extents
        for (Req r : cases.get("/api/v1/query_range")) text(r, A, 200);
        int tried = 0;
        // the slow-query log first, before bravo has run a query of its own: bravo's own probes name alpha's metrics,
        // and on a loaded machine they take over the log's threshold and appear there as bravo's (not a leak); then the
        // other reads; then bravo's deletions and its writes of alpha's label sets (which become bravo's own series)
        List<Router.Route> routes = new ArrayList<>(server.router().routes());
        routes.sort(java.util.Comparator.comparingInt(r -> r.name().equals("/console/api/slow_queries") ? -1
                : INGEST.contains(r.name()) ? 2 : r.name().contains("delete_series") ? 1 : 0));
        for (Router.Route route : routes) {
            List<Req> rs = cases.get(route.name());
            assertNotNull(rs, "no case for route " + route.name());
            for (Req r : rs) {
                if (!route.methods().contains(r.method())) fail(route.name() + ": case uses " + r.method() + ", route allows " + route.methods());
                HttpResponse<byte[]> resp = send(r, B);
                String body = new String(decoded(r, resp), StandardCharsets.UTF_8);
                String what = r.method() + " " + r.path() + " as " + B + " -> " + resp.statusCode() + " " + body;
                assertTrue(resp.statusCode() < 500, what);
                for (String m : A_MARKERS) assertFalse(body.contains(m), "leaks \"" + m + "\": " + what);
                for (String m : List.of("__tenant__", "default_metric", "default-job")) assertFalse(body.contains(m), "leaks " + m + ": " + what);
                tried++;
            }
        }
        assertTrue(tried > 150, "requests tried: " + tried);
        // global operations are refused to bravo
        for (String p : List.of("/api/v1/admin/flush", "/api/v1/admin/tsdb/snapshot", "/api/v1/admin/tsdb/clean_tombstones", "/-/reload")) {
            assertEquals(403, send(Req.post(p, ""), B).statusCode(), p);
        }
        assertEquals(403, send(Req.get("/metrics"), B).statusCode());
        // alpha's data is intact after bravo's deletions and writes of alpha's label sets
        String export = text(Req.get("/api/v1/export?match[]=alpha_secret_total"), A, 200);
        assertEquals(1, export.lines().count(), export);
        assertTrue(export.contains("[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,99]"), export);
        // bravo's writes carry the value 1000; read the values array (the timestamps may contain the digits "1000")
        for (com.fasterxml.jackson.databind.JsonNode v : JSON.readTree(export).get("values")) assertNotEquals(1000.0, v.asDouble(), export);
        // bravo's own series were deleted by its delete_series calls, and its writes are its own
        String bravoNow = text(Req.get("/api/v1/series?match[]=" + enc("{__name__=~\".+\"}") + "&start=" + (now / 1000 - 10)), B, 200);
        assertTrue(bravoNow.contains("alpha_secret"), "bravo's own writes of alpha's label sets are bravo's: " + bravoNow);
        assertFalse(text(Req.get("/api/v1/export?match[]=bravo_total"), B, 200).contains("bravo_total"), "bravo deleted its own bravo_total");
        // the operator (default tenant) may flush; the data of every tenant survives it
        assertEquals(204, send(Req.post("/api/v1/admin/flush", ""), null).statusCode());
        assertEquals(export, text(Req.get("/api/v1/export?match[]=alpha_secret_total"), A, 200));
    }

    /** The ingest routes (they write as the tenant of the request). */
    static final List<String> INGEST = List.of("/api/v1/write", "/api/v1/import/prometheus", "/api/v1/import", "/write",
            "/api/v2/write", "/metrics/job", "/api/v1/otlp/v1/metrics");

    @Test
    void everyIngestRouteWritesToTheRequestsTenant() throws Exception {
        String c = "tenant-charlie";
        Map<String, List<Req>> cases = cases();
        for (String route : INGEST) {
            HttpResponse<byte[]> r = send(cases.get(route).get(0), c);
            assertTrue(r.statusCode() == 204 || r.statusCode() == 200, route + ": " + r.statusCode() + " " + new String(r.body(), StandardCharsets.UTF_8));
        }
        String q = "/api/v1/label/__name__/values?start=" + (now / 1000 - 10);
        String charlie = text(Req.get(q), c, 200);
        for (String name : List.of("alpha_secret_total", "alpha_secret_total_total", "alpha_secret_otlp")) {
            assertTrue(charlie.contains("\"" + name.replace("_total_total", "_total") + "\""), name + " in " + charlie);
        }
        // the same metric names written by charlie are not alpha's, bravo's or the default tenant's
        for (String t : new String[]{A, B, null}) {
            String other = text(Req.get("/api/v1/query?query=" + enc("{__name__=~\"alpha_secret.*\"} == 1000")), t, 200);
            assertFalse(other.contains("1000"), t + ": " + other);
        }
        // several tenants may be read together, never written together
        HttpResponse<byte[]> multi = send(cases.get("/api/v1/import/prometheus").get(0), A + "|" + B);
        assertEquals(400, multi.statusCode());
        String both = text(Req.get("/api/v1/query?query=" + enc("count by (__tenant_id__) (shared_metric)") + "&time="
                + (t0 / 1000 + 60)), A + "|" + B, 200);
        assertTrue(both.contains(A) && both.contains(B), both);
        // the hidden label cannot be written
        HttpResponse<byte[]> forged = send(new Req("POST", "/api/v1/import/prometheus",
                bytes("x{__tenant__=\"" + A + "\"} 1 " + now + "\n"), "text/plain"), B);
        assertEquals(400, forged.statusCode());
        assertTrue(new String(forged.body(), StandardCharsets.UTF_8).contains("reserved"));
        assertFalse(text(Req.get("/api/v1/series?match[]=x"), A, 200).contains("\"x\""));
    }
}
