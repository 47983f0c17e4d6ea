package io.tsdb.server;

import io.tsdb.core.testing.MemStorage;
import io.tsdb.server.http.HttpError;
import io.tsdb.server.http.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** Starts the real server in-process (random port, temp data dir) and checks its HTTP behaviour. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ServerTest {
    @TempDir Path dataDir;
    private final List<TsdbServer> servers = new ArrayList<>();

    private ServerConfig config() {
        ServerConfig c = new ServerConfig();
        c.listenHost = "127.0.0.1";
        c.listenPort = 0;
        c.dataDir = dataDir;
        return c;
    }

    /** Test routes: /test/echo-body, /api/test/error, /test/error, /test/boom, /api/test/params. */
    private static Feature testRoutes() {
        return (router, ctx) -> {
            router.post("/test/echo-body", r -> Response.text(200, "got " + r.body().readableBytes() + " bytes"));
            router.get("/api/test/error", r -> { throw new HttpError(400, "bad \"thing\" at 1:2", "7"); });
            router.get("/test/error", r -> { throw new HttpError(422, "cannot do that"); });
            router.get("/test/boom", r -> { throw new IllegalStateException("kaboom"); });
            router.getPost("/api/test/params", r -> Response.text(200,
                    "a=" + r.params("a") + " b=" + r.param("b") + " missing=" + r.param("zzz")));
        };
    }

    private TsdbServer start(ServerConfig c, Feature... features) throws Exception {
        TsdbServer s = TsdbServer.builder(c).storage(StorageFactory.of(new MemStorage())).features(features).start();
        servers.add(s);
        return s;
    }

    @AfterEach
    void stopAll() {
        servers.forEach(TsdbServer::stop);
    }

    @Test
    void healthReadyAndMetrics() throws Exception {
        TsdbServer s = start(config());
        assertTrue(s.isReady());
        HttpResponse<String> healthy = TestHttp.get(s.baseUrl() + "/-/healthy");
        assertEquals(200, healthy.statusCode());
        HttpResponse<String> ready = TestHttp.get(s.baseUrl() + "/-/ready");
        assertEquals(200, ready.statusCode());

        HttpResponse<String> m = TestHttp.get(s.baseUrl() + "/metrics");
        assertEquals(200, m.statusCode());
        String ct = m.headers().firstValue("Content-Type").orElse("");
        assertTrue(ct.startsWith("text/plain; version=0.0.4"), ct);
        String body = m.body();
        assertTrue(body.contains("tsdb_http_requests_total{code=\"200\",route=\"/-/healthy\"} 1.0"), body);
        assertTrue(body.contains("tsdb_http_request_duration_seconds_bucket{route=\"/-/ready\",le=\"+Inf\"} 1"), body);
        assertTrue(body.contains("# TYPE jvm_memory_used_bytes gauge"), body);
        assertTrue(body.contains("tsdb_active_series 0.0"), body);
        assertTrue(body.contains("tsdb_build_info{version=\""), body);
        assertTrue(body.contains("tsdb_http_requests_in_flight"), body);

        var gz = TestHttp.CLIENT.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(s.baseUrl() + "/metrics"))
                .header("Accept-Encoding", "gzip").build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals("gzip", gz.headers().firstValue("Content-Encoding").orElse(""));
        String unzipped = new String(new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(gz.body())).readAllBytes(),
                StandardCharsets.UTF_8);
        assertTrue(unzipped.contains("# TYPE tsdb_http_requests_total counter"), unzipped);
        assertTrue(unzipped.contains("process_cpu_seconds_total"), unzipped);

        HttpResponse<String> om = TestHttp.get(s.baseUrl() + "/metrics", "Accept", "application/openmetrics-text; version=1.0.0");
        assertTrue(om.headers().firstValue("Content-Type").orElse("").startsWith("application/openmetrics-text"));
        assertTrue(om.body().endsWith("# EOF\n"));
    }

    @Test
    void productionStorageMetrics() throws Exception {
        ServerConfig c = config();
        TsdbServer s = TsdbServer.builder(c).features().start(); // default storage: tsdb-core's Tsdb in dataDir
        servers.add(s);
        var app = s.context().storage().appender();
        assertEquals(io.tsdb.core.AppendStatus.OK,
                app.append(io.tsdb.core.Labels.of("__name__", "m", "job", "x"), System.currentTimeMillis(), 1.0));
        app.commit();
        String body = TestHttp.get(s.baseUrl() + "/metrics").body();
        assertTrue(body.contains("tsdb_storage_samples_appended_total 1.0"), body);
        assertTrue(body.contains("tsdb_active_series 1.0"), body);
        assertTrue(body.contains("tsdb_storage_samples_rejected_total{reason=\"series_limit\"} 0.0"), body);
        assertTrue(body.contains("tsdb_wal_fsyncs_total"), body);
        assertTrue(java.nio.file.Files.isDirectory(dataDir.resolve("wal")), "storage lives in --data");
    }

    @Test
    void requestIdIsEchoedOrGenerated() throws Exception {
        TsdbServer s = start(config());
        HttpResponse<String> given = TestHttp.get(s.baseUrl() + "/-/healthy", "X-Request-Id", "req-42");
        assertEquals("req-42", given.headers().firstValue("X-Request-Id").orElseThrow());
        String a = TestHttp.get(s.baseUrl() + "/-/healthy").headers().firstValue("X-Request-Id").orElseThrow();
        String b = TestHttp.get(s.baseUrl() + "/nope").headers().firstValue("X-Request-Id").orElseThrow();
        assertTrue(a.matches("[0-9a-f]{16}"), a);
        assertNotEquals(a, b);
        // An unusable ID (too long) is replaced by a generated one.
        String tooLong = "x".repeat(200);
        String c = TestHttp.get(s.baseUrl() + "/-/healthy", "X-Request-Id", tooLong).headers().firstValue("X-Request-Id").orElseThrow();
        assertTrue(c.matches("[0-9a-f]{16}"), c);
    }

    /**
     * A large JSON answer (ApiJson writes it in pieces, which the dispatcher copies into one buffer of the channel's
     * allocator) arrives byte for byte: plain, gzip-compressed and as a HEAD's length, several times on one connection.
     */
    @Test
    void largeAnswerInPiecesArrivesWhole() throws Exception {
        io.tsdb.server.api.ApiJson.DataWriter w = g -> {
            g.writeStartArray();
            for (int i = 0; i < 20_000; i++) g.writeString("series-" + i + "-\u00e9-" + "x".repeat(i % 37));
            g.writeEndArray();
        };
        Response once = io.tsdb.server.api.ApiJson.write(200, w);
        assertNotNull(once.segments(), "the answer is large enough to be written in pieces");
        byte[] expected = once.body();
        TsdbServer s = start(config(), (router, ctx) -> router.get("/api/test/large", r -> io.tsdb.server.api.ApiJson.write(200, w)));
        for (int i = 0; i < 3; i++) {
            var plain = TestHttp.CLIENT.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(s.baseUrl() + "/api/test/large"))
                    .build(), HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, plain.statusCode());
            assertArrayEquals(expected, plain.body());
            var gz = TestHttp.CLIENT.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(s.baseUrl() + "/api/test/large"))
                    .header("Accept-Encoding", "gzip").build(), HttpResponse.BodyHandlers.ofByteArray());
            assertEquals("gzip", gz.headers().firstValue("Content-Encoding").orElse(""));
            assertArrayEquals(expected, new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(gz.body())).readAllBytes());
        }
        String head = TestHttp.raw(s.port(), "HEAD /api/test/large HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assertTrue(head.startsWith("HTTP/1.1 200 "), head);
        assertTrue(head.toLowerCase(java.util.Locale.ROOT).contains("content-length: " + expected.length + "\r\n"), head);
        assertTrue(head.endsWith("\r\n\r\n"), "no body after a HEAD's headers");
    }

    @Test
    void notFoundAndMethodNotAllowed() throws Exception {
        TsdbServer s = start(config(), testRoutes());
        HttpResponse<String> nf = TestHttp.get(s.baseUrl() + "/no/such/path");
        assertEquals(404, nf.statusCode());
        assertTrue(nf.body().contains("/no/such/path"));
        assertTrue(nf.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));

        HttpResponse<String> nfApi = TestHttp.get(s.baseUrl() + "/api/v1/nothing");
        assertEquals(404, nfApi.statusCode());
        assertEquals("application/json", nfApi.headers().firstValue("Content-Type").orElse(""));
        assertTrue(nfApi.body().startsWith("{\"status\":\"error\",\"errorType\":"), nfApi.body());

        HttpResponse<String> na = TestHttp.send("DELETE", s.baseUrl() + "/-/healthy", null);
        assertEquals(405, na.statusCode());
        assertEquals("GET, HEAD", na.headers().firstValue("Allow").orElse(""));
        HttpResponse<String> na2 = TestHttp.get(s.baseUrl() + "/test/echo-body");
        assertEquals(405, na2.statusCode());
        assertEquals("POST", na2.headers().firstValue("Allow").orElse(""));
    }

    @Test
    void errorsFromHandlers() throws Exception {
        TsdbServer s = start(config(), testRoutes());
        HttpResponse<String> api = TestHttp.get(s.baseUrl() + "/api/test/error");
        assertEquals(400, api.statusCode());
        assertEquals("{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"bad \\\"thing\\\" at 1:2\"}", api.body());
        assertEquals("7", api.headers().firstValue("Retry-After").orElse(""));

        HttpResponse<String> plain = TestHttp.get(s.baseUrl() + "/test/error");
        assertEquals(422, plain.statusCode());
        assertEquals("cannot do that\n", plain.body());

        HttpResponse<String> boom = TestHttp.get(s.baseUrl() + "/test/boom", "X-Request-Id", "boom-1");
        assertEquals(500, boom.statusCode());
        assertTrue(boom.body().contains("boom-1"), boom.body());
        assertFalse(boom.body().contains("kaboom"), "internal details are logged, not returned");
        // The server is still fine afterwards.
        assertEquals(200, TestHttp.get(s.baseUrl() + "/-/healthy").statusCode());
    }

    @Test
    void queryAndFormParametersMerge() throws Exception {
        TsdbServer s = start(config(), testRoutes());
        HttpResponse<String> r = TestHttp.send("POST", s.baseUrl() + "/api/test/params?a=1&a=x%3By",
                "a=2&b=hello+world%21".getBytes(StandardCharsets.UTF_8),
                "Content-Type", "application/x-www-form-urlencoded");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("a=[1, x;y, 2] b=hello world! missing=null", r.body());

        String bad = TestHttp.raw(s.port(), "GET /api/test/params?a=%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assertTrue(bad.startsWith("HTTP/1.1 400 "), bad);
        assertTrue(bad.contains("\"errorType\":\"bad_data\""), bad);
    }

    @Test
    void bodyOverTheLimitIs413WithTheLimit() throws Exception {
        ServerConfig c = config();
        c.maxBodyBytes = 1024;
        TsdbServer s = start(c, testRoutes());
        HttpResponse<String> ok = TestHttp.send("POST", s.baseUrl() + "/test/echo-body", new byte[1024]);
        assertEquals(200, ok.statusCode());
        assertEquals("got 1024 bytes", ok.body());

        HttpResponse<String> big = TestHttp.send("POST", s.baseUrl() + "/test/echo-body", new byte[5000],
                "X-Request-Id", "big-1");
        assertEquals(413, big.statusCode());
        assertTrue(big.body().contains("1024 bytes"), big.body());
        assertEquals("big-1", big.headers().firstValue("X-Request-Id").orElse(""));

        // Server still answers afterwards, and the 413 was counted.
        String metrics = TestHttp.get(s.baseUrl() + "/metrics").body();
        assertTrue(metrics.contains("tsdb_http_requests_total{code=\"413\",route=\"/test/echo-body\"} 1.0"), metrics);
    }

    @Test
    void corsWhenConfigured() throws Exception {
        ServerConfig c = config();
        c.corsOrigin = "https://grafana\\.example\\.com";
        TsdbServer s = start(c, testRoutes());
        HttpResponse<String> r = TestHttp.get(s.baseUrl() + "/-/healthy", "Origin", "https://grafana.example.com");
        assertEquals("https://grafana.example.com", r.headers().firstValue("Access-Control-Allow-Origin").orElse(""));
        HttpResponse<String> other = TestHttp.get(s.baseUrl() + "/-/healthy", "Origin", "https://evil.example.com");
        assertTrue(other.headers().firstValue("Access-Control-Allow-Origin").isEmpty());
        HttpResponse<String> pre = TestHttp.send("OPTIONS", s.baseUrl() + "/api/test/params", null,
                "Origin", "https://grafana.example.com", "Access-Control-Request-Method", "POST");
        assertEquals(204, pre.statusCode());
        assertTrue(pre.headers().firstValue("Access-Control-Allow-Methods").orElse("").contains("POST"));

        TsdbServer noCors = start(config());
        HttpResponse<String> n = TestHttp.get(noCors.baseUrl() + "/-/healthy", "Origin", "https://grafana.example.com");
        assertTrue(n.headers().firstValue("Access-Control-Allow-Origin").isEmpty());
    }

    @Test
    void gracefulShutdownFinishesInFlightRequestsThenClosesStorage() throws Exception {
        var entered = new java.util.concurrent.CountDownLatch(1);
        var release = new java.util.concurrent.CountDownLatch(1);
        var storage = new ClosingTrackingStorage();
        TsdbServer s = TsdbServer.builder(config()).storage(StorageFactory.of(storage))
                .features((router, ctx) -> router.get("/test/slow", r -> {
                    entered.countDown();
                    release.await();
                    return Response.text(200, "finished");
                })).start();
        servers.add(s);
        String base = s.baseUrl();
        int port = s.port();
        CompletableFuture<String> slow = CompletableFuture.supplyAsync(() -> {
            try {
                return TestHttp.raw(port, "GET /test/slow HTTP/1.1\r\nHost: x\r\n\r\n");
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        entered.await();
        Thread stopper = new Thread(s::stop);
        stopper.start();
        while (s.isReady()) Thread.onSpinWait();
        // Stop accepting: new connections are refused once the listener is closed.
        boolean refused = false;
        while (!refused) {
            try (var sock = new java.net.Socket("127.0.0.1", s.port())) {
                Thread.sleep(10);
            } catch (java.net.SocketException e) {
                // refused, or reset: a connection that reached the closing listener's backlog is reset as it closes
                refused = true;
            }
        }
        assertFalse(storage.closed, "storage must stay open while a request is in flight");
        release.countDown();
        String r = slow.get();
        assertTrue(r.startsWith("HTTP/1.1 200 OK"), r);
        assertTrue(r.endsWith("\r\n\r\nfinished"), r);
        assertTrue(r.toLowerCase(java.util.Locale.ROOT).contains("connection: close"), "keep-alive ends when stopping: " + r);
        stopper.join();
        assertTrue(storage.closed, "storage is closed at the end of a graceful stop");
    }

    @Test
    void notReadyWhileStorageOpens() throws Exception {
        var release = new java.util.concurrent.CountDownLatch(1);
        ServerConfig c = config();
        c.listenPort = freePort();
        CompletableFuture<TsdbServer> started = CompletableFuture.supplyAsync(() -> {
            try {
                return TsdbServer.builder(c).storage(cfg -> {
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        throw new java.io.InterruptedIOException();
                    }
                    return new MemStorage();
                }).features(testRoutes()).start();
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        String base = "http://127.0.0.1:" + c.listenPort;
        HttpResponse<String> healthy = null;
        while (healthy == null) {
            try {
                healthy = TestHttp.get(base + "/-/healthy");
            } catch (java.net.ConnectException e) {
                Thread.sleep(20);
            }
        }
        assertEquals(200, healthy.statusCode());
        assertEquals(503, TestHttp.get(base + "/-/ready").statusCode());
        HttpResponse<String> early = TestHttp.get(base + "/api/v1/query?query=1");
        assertEquals(503, early.statusCode());
        assertEquals("5", early.headers().firstValue("Retry-After").orElse(""));
        assertTrue(early.body().contains("\"errorType\":\"unavailable\""), early.body());
        release.countDown();
        TsdbServer s = started.get();
        servers.add(s);
        assertEquals(200, TestHttp.get(base + "/-/ready").statusCode());
        assertEquals(200, TestHttp.get(base + "/api/test/params?a=1").statusCode());
    }

    @Test
    void fullWorkerQueueAnswers429() throws Exception {
        var release = new java.util.concurrent.CountDownLatch(1);
        var entered = new java.util.concurrent.CountDownLatch(1);
        ServerConfig c = config();
        c.httpWorkers = 1;
        c.httpMaxQueuedRequests = 1;
        TsdbServer s = start(c, (router, ctx) -> router.get("/test/block", r -> {
            entered.countDown();
            release.await();
            return Response.text(200, "ok");
        }));
        String base = s.baseUrl();
        CompletableFuture<HttpResponse<String>> first = CompletableFuture.supplyAsync(() -> call(base + "/test/block"));
        entered.await();
        CompletableFuture<HttpResponse<String>> queued = CompletableFuture.supplyAsync(() -> call(base + "/test/block"));
        // Wait until the second request sits in the worker queue (/metrics itself would be queued too).
        while (!scrape(s).contains("tsdb_http_worker_queue_length 1.0")) Thread.sleep(10);
        HttpResponse<String> rejected = TestHttp.get(base + "/test/block");
        assertEquals(429, rejected.statusCode());
        assertEquals("1", rejected.headers().firstValue("Retry-After").orElse(""));
        release.countDown();
        assertEquals(200, first.get().statusCode());
        assertEquals(200, queued.get().statusCode());
    }

    private static String scrape(TsdbServer s) {
        return io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter.create()
                .toDebugString(s.registry().scrape());
    }

    private static HttpResponse<String> call(String url) {
        try {
            return TestHttp.get(url);
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
    }

    static int freePort() throws java.io.IOException {
        try (var ss = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            return ss.getLocalPort();
        }
    }

    /** MemStorage that records whether it was closed. */
    static final class ClosingTrackingStorage implements io.tsdb.core.Storage {
        final MemStorage mem = new MemStorage();
        volatile boolean closed;
        @Override public io.tsdb.core.Appender appender() { return mem.appender(); }
        @Override public io.tsdb.core.Querier querier(long mint, long maxt) { return mem.querier(mint, maxt); }
        @Override public io.tsdb.core.StorageStats stats() { return mem.stats(); }
        @Override public void flush() { mem.flush(); }
        @Override public void close() { closed = true; }
    }
}
