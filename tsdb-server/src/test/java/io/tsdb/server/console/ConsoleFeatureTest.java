package io.tsdb.server.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tsdb.core.Labels;
import io.tsdb.core.testing.MemStorage;
import io.tsdb.query.ast.Expr;
import io.tsdb.query.engine.QueryEngine;
import io.tsdb.query.engine.QueryException;
import io.tsdb.query.engine.QueryOptions;
import io.tsdb.query.engine.QueryResult;
import io.tsdb.query.engine.QueryStats;
import io.tsdb.query.engine.Value;
import io.tsdb.server.ServerConfig;
import io.tsdb.server.SlowQueryLog;
import io.tsdb.server.StorageFactory;
import io.tsdb.server.TsdbServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** The console's static files and explorer endpoints, served by the real server over HTTP. */
class ConsoleFeatureTest {
    @TempDir static Path dir;
    static TsdbServer server;
    static final HttpClient http = HttpClient.newHttpClient();
    static final ObjectMapper json = new ObjectMapper();

    @BeforeAll
    static void start() throws Exception {
        MemStorage mem = new MemStorage();
        for (int h = 0; h < 6; h++) {
            for (String region : new String[]{"eu", "us"}) {
                mem.add(Labels.of("__name__", "http_requests_total", "host", "h" + h, "region", region), 1000, h);
            }
        }
        mem.add(Labels.of("__name__", "up", "job", "node"), 1000, 1);
        ServerConfig c = new ServerConfig();
        c.listenHost = "127.0.0.1";
        c.listenPort = 0;
        c.dataDir = dir;
        server = TsdbServer.builder(c).storage(StorageFactory.of(mem)).features(new ConsoleFeature()).start();
    }

    @AfterAll
    static void stop() { server.stop(); }

    static HttpResponse<String> get(String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.baseUrl() + path));
        for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void servesIndexAtRootWithQueryParameters() throws Exception {
        HttpResponse<String> r = get("/?query=up&range=1h");
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/html"));
        assertTrue(r.body().contains("/console/app.js"), r.body());
    }

    @Test
    void servesModulesAndStylesWithTypesAndEtags() throws Exception {
        for (String f : new String[]{"app.js", "api.js", "editor.js", "promql.js", "panel.js", "chart.js", "table.js",
                "explorer.js", "status.js", "format.js"}) {
            HttpResponse<String> r = get("/console/" + f);
            assertEquals(200, r.statusCode(), f);
            assertEquals("text/javascript; charset=utf-8", r.headers().firstValue("Content-Type").orElse(""), f);
            String etag = r.headers().firstValue("ETag").orElseThrow();
            assertEquals(304, get("/console/" + f, "If-None-Match", etag).statusCode(), f);
        }
        assertTrue(get("/console/style.css").headers().firstValue("Content-Type").orElse("").startsWith("text/css"));
    }

    @Test
    void servesUplotFromItsWebJarWithoutVersionInPath() throws Exception {
        HttpResponse<String> r = get("/webjars/uplot/dist/uPlot.esm.js");
        assertEquals(200, r.statusCode());
        assertTrue(r.body().contains("export"), "an ES module");
        assertEquals(200, get("/webjars/uplot/dist/uPlot.min.css").statusCode());
    }

    @Test
    void refusesPathTraversalAndUnknownFiles() throws Exception {
        assertEquals(404, get("/console/../../META-INF/MANIFEST.MF").statusCode());
        assertEquals(404, get("/console/nope.js").statusCode());
        assertEquals(404, get("/webjars/uplot/..%2F..%2Fpom.properties").statusCode());
    }

    @Test
    void everyModuleImportIsSameOrigin() throws Exception {
        for (String f : new String[]{"app.js", "api.js", "editor.js", "promql.js", "panel.js", "chart.js", "table.js",
                "explorer.js", "status.js", "format.js"}) {
            String body = get("/console/" + f).body();
            assertFalse(body.matches("(?s).*(https?:)?//[a-zA-Z0-9.-]+\\.[a-z]{2,}/.*import.*") , f);
            for (String line : body.split("\n")) {
                if (line.startsWith("import ")) {
                    assertTrue(line.contains("from './") || line.contains("from '/"), f + ": " + line);
                }
                assertFalse(line.contains("http://") || line.contains("https://"), f + " refers to another origin: " + line);
            }
        }
        String index = get("/").body();
        assertFalse(index.contains("http://") || index.contains("https://"), "index.html refers to another origin");
    }

    @Test
    void explorerListsMetricsWithSeriesCounts() throws Exception {
        JsonNode d = json.readTree(get("/console/api/metrics").body()).get("data");
        assertEquals(2, d.get("totalMetrics").asInt());
        assertEquals("http_requests_total", d.get("metrics").get(0).get("name").asText());
        assertEquals(12, d.get("metrics").get(0).get("series").asInt());
        assertEquals(1, d.get("metrics").get(1).get("series").asInt());
        JsonNode filtered = json.readTree(get("/console/api/metrics?search=UP").body()).get("data");
        assertEquals(1, filtered.get("matched").asInt());
        assertEquals("up", filtered.get("metrics").get(0).get("name").asText());
    }

    @Test
    void explorerDescribesOneMetricsLabels() throws Exception {
        JsonNode d = json.readTree(get("/console/api/metric?name=http_requests_total&top=1").body()).get("data");
        assertEquals(12, d.get("series").asInt());
        JsonNode labels = d.get("labels");
        assertEquals(2, labels.size());
        assertEquals("host", labels.get(0).get("name").asText());
        assertEquals(6, labels.get(0).get("values").asInt());
        assertEquals(12, labels.get(0).get("seriesWithLabel").asInt());
        assertEquals(1, labels.get(0).get("top").size());
        assertEquals(2, labels.get(0).get("top").get(0).get("series").asInt());
        assertEquals("region", labels.get(1).get("name").asText());
        assertEquals(2, labels.get(1).get("values").asInt());
        assertEquals(6, labels.get(1).get("top").get(0).get("series").asInt());
    }

    @Test
    void functionListIsTheEnginesRegistry() throws Exception {
        JsonNode d = json.readTree(get("/console/api/functions").body()).get("data");
        Map<String, JsonNode> byName = new java.util.TreeMap<>();
        for (JsonNode f : d) byName.put(f.get("name").asText(), f);
        assertEquals(io.tsdb.query.engine.eval.FunctionRegistry.all().keySet(), byName.keySet());
        JsonNode rate = byName.get("rate");
        assertEquals("rate(range-vector) instant-vector", rate.get("signature").asText());
        assertEquals("vector", rate.get("returnType").asText());
        assertTrue(rate.get("acceptsHistograms").asBoolean());
        assertEquals("as_input", rate.get("returns").asText());
        assertEquals("floats", byName.get("histogram_count").get("returns").asText());
        assertFalse(byName.get("abs").get("acceptsHistograms").asBoolean());
        assertTrue(byName.get("mad_over_time").get("experimental").asBoolean());
        assertEquals("scalar", byName.get("time").get("returnType").asText());
    }

    @Test
    void storageEndpointReportsStorageStats() throws Exception {
        JsonNode d = json.readTree(get("/console/api/storage").body()).get("data");
        assertEquals(server.context().storage().stats().activeSeries(), d.get("activeSeries").asLong());
        assertEquals(13, d.get("activeSeries").asLong());
        assertEquals(13, d.get("headSamples").asLong());
    }

    @Test
    void slowQueriesAreRecordedByTheEngineDecoratorAndListed() throws Exception {
        SlowQueryLog log = new SlowQueryLog(0, 2);
        QueryEngine slow = log.wrap(new QueryEngine() {
            @Override public QueryResult instant(String q, long t, QueryOptions o) {
                return new QueryResult(new Value.Scalar(t, 1), List.of(), List.of(), QueryStats.EMPTY);
            }
            @Override public QueryResult range(String q, long s, long e, long st, QueryOptions o) {
                throw new QueryException(QueryException.Kind.EXECUTION, "boom");
            }
            @Override public Expr parse(String q) { return null; }
        });
        slow.instant("a", 0, QueryOptions.DEFAULTS);
        assertThrows(QueryException.class, () -> slow.range("b", 0, 1, 1, QueryOptions.DEFAULTS));
        slow.instant("c", 0, QueryOptions.DEFAULTS);
        List<SlowQueryLog.Entry> recent = log.recent();
        assertEquals(List.of("c", "b"), recent.stream().map(SlowQueryLog.Entry::query).toList(), "newest first, bounded to 2");
        assertTrue(recent.get(1).failed());
        assertEquals("range", recent.get(1).kind());
        assertTrue(new SlowQueryLog(60_000, 5).recent().isEmpty());
        SlowQueryLog high = new SlowQueryLog(60_000, 5);
        high.wrap(slow).instant("fast", 0, QueryOptions.DEFAULTS);
        assertTrue(high.recent().isEmpty(), "below the threshold nothing is kept");

        JsonNode listed = json.readTree(get("/console/api/slow_queries").body());
        assertEquals("success", listed.get("status").asText());
        assertTrue(listed.get("data").isArray());
    }

    @Test
    void explorerRejectsMissingNameAndBadLimit() throws Exception {
        HttpResponse<String> r = get("/console/api/metric");
        assertEquals(400, r.statusCode());
        assertTrue(r.body().contains("missing parameter 'name'"), r.body());
        HttpResponse<String> r2 = get("/console/api/metrics?limit=abc");
        assertEquals(400, r2.statusCode());
        assertTrue(r2.body().contains("limit"), r2.body());
    }
}
