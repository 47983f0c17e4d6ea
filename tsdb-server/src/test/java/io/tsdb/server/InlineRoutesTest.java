package io.tsdb.server;

import io.tsdb.core.Labels;
import io.tsdb.core.testing.MemStorage;
import io.tsdb.server.auth.Authenticator;
import io.tsdb.server.http.Response;
import io.tsdb.server.http.RunOnWorker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Inline routes (the query routes): the handler runs on the event loop, and a request it finds too large
 * ({@link RunOnWorker}) is run again on a worker, answered once, in order with the other requests of its
 * connection. With credentials to check, an inline route starts on a worker (bcrypt never runs on the event loop).
 * Through the real query API: a small query is answered on the event loop, a large one (more series than
 * {@code QueryOptions.SMALL_MAX_SERIES}) on a worker, both with the right answer and counted once per tenant.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class InlineRoutesTest {
    @TempDir Path dir;
    TsdbServer server;
    /** (thread name, onEventLoop) of every call of the test route's handler. */
    final List<String> calls = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() { if (server != null) server.stop(); }

    private void start(MemStorage mem, Path webConfig, Object testRoutes) throws Exception {
        ServerConfig c = new ServerConfig();
        c.listenHost = "127.0.0.1";
        c.listenPort = 0;
        c.dataDir = dir.resolve("data");
        c.webConfigFile = webConfig;
        if (testRoutes == null) {
            server = TsdbServer.builder(c).storage(StorageFactory.of(mem)).start();   // every default feature
            return;
        }
        server = TsdbServer.builder(c).storage(StorageFactory.of(mem)).features((router, ctx) -> {
            router.add(Set.of("GET"), "/test/inline", "/test/inline", r -> {
                calls.add(Thread.currentThread().getName() + " " + r.onEventLoop());
                if (r.onEventLoop() && "1".equals(r.param("big"))) throw RunOnWorker.INSTANCE;
                return Response.text(200, "n=" + r.param("n") + " on " + (r.onEventLoop() ? "loop" : "worker"));
            }, true);
            router.add(Set.of("GET"), "/test/worker-defer", "/test/worker-defer", r -> {
                throw RunOnWorker.INSTANCE;   // on a worker: a bug, answered as one
            }, false);
        }).start();
    }

    private String url(String path) { return "http://127.0.0.1:" + server.port() + path; }

    @Test
    void smallOnTheLoopLargeHandedToAWorkerOnce() throws Exception {
        start(new MemStorage(), null, this);
        HttpResponse<String> small = TestHttp.get(url("/test/inline?n=1"));
        assertEquals(200, small.statusCode());
        assertEquals("n=1 on loop", small.body());
        assertEquals(1, calls.size());
        assertTrue(calls.get(0).startsWith("tsdb-http-io") && calls.get(0).endsWith("true"), calls.toString());

        calls.clear();
        HttpResponse<String> big = TestHttp.get(url("/test/inline?n=2&big=1"));
        assertEquals(200, big.statusCode());
        assertEquals("n=2 on worker", big.body());
        assertEquals(2, calls.size(), calls.toString());
        assertTrue(calls.get(0).startsWith("tsdb-http-io") && calls.get(0).endsWith("true"), calls.toString());
        assertTrue(calls.get(1).startsWith("tsdb-http-worker") && calls.get(1).endsWith("false"), calls.toString());

        HttpResponse<String> bug = TestHttp.get(url("/test/worker-defer"));
        assertEquals(500, bug.statusCode());

        String metrics = TestHttp.get(url("/metrics")).body();
        assertTrue(metrics.contains("tsdb_http_inline_requests_total{outcome=\"answered\",route=\"/test/inline\"} 1.0"), metrics);
        assertTrue(metrics.contains("tsdb_http_inline_requests_total{outcome=\"deferred\",route=\"/test/inline\"} 1.0"), metrics);
        assertTrue(metrics.contains("tsdb_http_requests_total{code=\"200\",route=\"/test/inline\"} 2.0"), metrics);
    }

    @Test
    void pipelinedSmallAndLargeAnswerInOrder() throws Exception {
        start(new MemStorage(), null, this);
        StringBuilder reqs = new StringBuilder();
        for (int i = 0; i < 6; i++) {
            reqs.append("GET /test/inline?n=").append(i).append(i % 2 == 1 ? "&big=1" : "")
                    .append(" HTTP/1.1\r\nHost: x\r\nX-Request-Id: r").append(i).append("\r\n\r\n");
        }
        reqs.append("GET /test/inline?n=last HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        String wire = TestHttp.raw(server.port(), reqs.toString());
        int at = 0;
        for (int i = 0; i < 6; i++) {
            String body = "n=" + i + " on " + (i % 2 == 1 ? "worker" : "loop");
            int p = wire.indexOf(body, at);
            assertTrue(p > at, "answer " + i + " in order in\n" + wire);
            at = p;
        }
        assertTrue(wire.indexOf("n=last on loop", at) > at, wire);
    }

    @Test
    void withCredentialsTheHandlerStartsOnAWorker() throws Exception {
        Path web = dir.resolve("web.yml");
        String token = "inline-token-1";
        Files.writeString(web, "tsdb_bearer_tokens:\n  collector: " + Authenticator.tokenDigest(token) + "\n");
        start(new MemStorage(), web, this);
        HttpResponse<String> r = TestHttp.get(url("/test/inline?n=3"), "Authorization", "Bearer " + token);
        assertEquals(200, r.statusCode());
        assertEquals("n=3 on worker", r.body());
        assertEquals(1, calls.size());
        assertTrue(calls.get(0).startsWith("tsdb-http-worker"), calls.toString());
        assertEquals(401, TestHttp.get(url("/test/inline?n=4")).statusCode());
    }

    @Test
    void queryApiSmallAndLargeQueries() throws Exception {
        MemStorage mem = new MemStorage();
        long t0 = 1_700_000_000_000L;
        int wide = 2_500;   // more than QueryOptions.SMALL_MAX_SERIES
        for (int i = 0; i < 30; i++) {
            long t = t0 + i * 10_000L;
            for (int s = 0; s < wide; s++) mem.add(Labels.of("__name__", "wide", "pod", "p" + s, "zone", "z" + s % 3), t, s);
            mem.add(Labels.of("__name__", "one", "pod", "p0"), t, i);
        }
        start(mem, null, null);
        String range = "&start=" + (t0 / 1000 + 60) + "&end=" + (t0 / 1000 + 290) + "&step=30";
        HttpResponse<String> small = TestHttp.get(url("/api/v1/query_range?query=" + enc("sum(one)") + range));
        assertEquals(200, small.statusCode(), small.body());
        assertTrue(small.body().contains("[" + (t0 / 1000 + 270) + ",\"27\"]"), small.body());
        HttpResponse<String> large = TestHttp.get(url("/api/v1/query_range?query=" + enc("count by (zone) (wide)") + range));
        assertEquals(200, large.statusCode(), large.body());
        assertTrue(large.body().contains("\"zone\":\"z0\"") && large.body().contains("[" + (t0 / 1000 + 270) + ",\"834\"]"),
                large.body());
        HttpResponse<String> instant = TestHttp.get(url("/api/v1/query?query=" + enc("count(wide)") + "&time=" + (t0 / 1000 + 290)));
        assertTrue(instant.body().contains("\"2500\""), instant.body());
        HttpResponse<String> bad = TestHttp.get(url("/api/v1/query?query=" + enc("sum(")));
        assertEquals(400, bad.statusCode());

        String metrics = TestHttp.get(url("/metrics")).body();
        assertTrue(metrics.contains("tsdb_http_inline_requests_total{outcome=\"answered\",route=\"/api/v1/query_range\"} 1.0"), metrics);
        assertTrue(metrics.contains("tsdb_http_inline_requests_total{outcome=\"deferred\",route=\"/api/v1/query_range\"} 1.0"), metrics);
        assertTrue(metrics.contains("tsdb_http_inline_requests_total{outcome=\"deferred\",route=\"/api/v1/query\"} 1.0"), metrics);
        // each query counted once, as it ended: three ran, one failed to parse; none counted twice for its hand-over
        assertTrue(metrics.contains("tsdb_tenant_queries_total{outcome=\"ok\",tenant=\"anonymous\"} 3.0"), metrics);
        assertTrue(metrics.contains("tsdb_tenant_queries_total{outcome=\"failed\",tenant=\"anonymous\"} 1.0"), metrics);
    }

    /**
     * A query handed to a worker after the event loop found some of its extents in the result cache is counted once:
     * the cache's hit counter grows by as much as for the same extents answered whole from the cache.
     */
    @Test
    void cacheCountsAHandedOverQueryOnce() throws Exception {
        MemStorage mem = new MemStorage();
        long now = System.currentTimeMillis();
        long t0 = (now - 3 * 3_600_000L) / 60_000 * 60_000;
        for (long t = t0; t < now - 120_000; t += 60_000) {
            for (int s = 0; s < 2_500; s++) mem.add(Labels.of("__name__", "wide", "pod", "p" + s), t, s);
        }
        start(mem, null, null);
        long a = t0 / 1000 + 3_600, b = a + 3_600, c = now / 1000;   // up to now: its last extent is never cached
        String q = "/api/v1/query_range?query=" + enc("count(wide)") + "&step=60";
        assertEquals(200, TestHttp.get(url(q + "&start=" + a + "&end=" + b)).statusCode());   // deferred: misses
        double h0 = metric("tsdb_query_range_cache_hits_total");
        HttpResponse<String> cached = TestHttp.get(url(q + "&start=" + a + "&end=" + b));   // all hits, on the event loop
        assertEquals(200, cached.statusCode());
        double whole = metric("tsdb_query_range_cache_hits_total") - h0;
        assertTrue(whole > 0, "hits " + whole);
        HttpResponse<String> partly = TestHttp.get(url(q + "&start=" + a + "&end=" + c));   // hits, then a miss: deferred
        assertEquals(200, partly.statusCode());
        assertTrue(partly.body().contains("\"2500\""), partly.body());
        assertEquals(whole, metric("tsdb_query_range_cache_hits_total") - h0 - whole, "hits of the handed-over query");
        String metrics = TestHttp.get(url("/metrics")).body();
        assertTrue(metrics.contains("tsdb_http_inline_requests_total{outcome=\"answered\",route=\"/api/v1/query_range\"} 1.0"), metrics);
        assertTrue(metrics.contains("tsdb_http_inline_requests_total{outcome=\"deferred\",route=\"/api/v1/query_range\"} 2.0"), metrics);
    }

    private double metric(String name) throws Exception {
        for (String line : TestHttp.get(url("/metrics")).body().split("\n")) {
            if (line.startsWith(name + " ") || line.startsWith(name + "{")) return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }
        return 0;
    }

    private static String enc(String s) { return URLEncoder.encode(s, StandardCharsets.UTF_8); }
}
