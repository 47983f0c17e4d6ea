package io.tsdb.server;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.tsdb.core.testing.MemStorage;
import io.tsdb.server.auth.Authenticator;
import io.tsdb.server.auth.WebSecurity;
import io.tsdb.server.http.Router;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * With credentials configured, every route the server registers (taken from its router, so a new endpoint is
 * covered without editing this test) answers 401 with WWW-Authenticate to a request without valid credentials,
 * except the open probes; with valid credentials it answers something else. Fuzzed Authorization headers and
 * oversized headers never get a 5xx or a hang; refusals are counted and logged without the secret.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class AuthRoutesTest {
    static final String PASSWORD = "test";
    static final String TOKEN = "machine-token-5b1d0c1e";
    @TempDir Path dataDir;
    TsdbServer server;
    final ListAppender<ILoggingEvent> logged = new ListAppender<>();
    final Logger securityLog = (Logger) LoggerFactory.getLogger(WebSecurity.class);

    @BeforeEach
    void start() throws Exception {
        logged.start();
        securityLog.addAppender(logged);
        Path web = dataDir.resolve("web.yml");
        Files.writeString(web, "basic_auth_users:\n  admin: $2b$12$hNf2lSsxfm0.i4a.1kVpSOVyBCfIB51VRjgBUyv6kdnyTlgWj81Ay\n"
                + "tsdb_bearer_tokens:\n  collector: " + Authenticator.tokenDigest(TOKEN) + "\n");
        ServerConfig c = new ServerConfig();
        c.listenHost = "127.0.0.1";
        c.listenPort = 0;
        c.dataDir = dataDir.resolve("data");
        c.webConfigFile = web;
        c.enableAdminApi = true;
        c.enableLifecycle = true;
        server = TsdbServer.builder(c).storage(StorageFactory.of(new MemStorage())).start();   // every default feature
    }

    @AfterEach
    void stop() {
        server.stop();
        securityLog.detachAppender(logged);
    }

    /** (method, concrete path) for every route of the router; prefix routes get a sample suffix. */
    List<String[]> everyRoute() {
        List<String[]> out = new ArrayList<>();
        for (Router.Route r : server.router().routes()) {
            String path = r.pattern().endsWith("/*")
                    ? r.pattern().substring(0, r.pattern().length() - 1) + (r.pattern().equals("/api/v1/label/*") ? "job/values" : "x")
                    : r.pattern();
            for (String m : new TreeSet<>(r.methods())) out.add(new String[]{m, path});
        }
        return out;
    }

    HttpResponse<String> send(String method, String path, String authorization) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.baseUrl() + path))
                .method(method, HttpRequest.BodyPublishers.noBody()).timeout(java.time.Duration.ofSeconds(60));
        if (authorization != null) b.header("Authorization", authorization);
        return TestHttp.CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static String basic(String user, String pw) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + pw).getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void everyRouteNeedsCredentialsExceptTheProbes() throws Exception {
        List<String[]> routes = everyRoute();
        assertTrue(routes.size() > 40, "the router lists the server's routes: " + routes.size());
        int open = 0;
        for (String[] mp : routes) {
            String what = mp[0] + " " + mp[1];
            if (Authenticator.OPEN_PATHS.contains(mp[1])) {
                assertEquals(200, send(mp[0], mp[1], null).statusCode(), what);
                open++;
                continue;
            }
            for (String bad : new String[]{null, basic("admin", "wrong"), basic("nobody", PASSWORD), "Bearer nope", "Negotiate abc"}) {
                HttpResponse<String> r = send(mp[0], mp[1], bad);
                assertEquals(401, r.statusCode(), what + " with " + bad);
                assertTrue(r.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Basic realm=\"tsdb\""), what);
            }
            for (String good : new String[]{basic("admin", PASSWORD), "Bearer " + TOKEN}) {
                HttpResponse<String> r = send(mp[0], mp[1], good);
                assertNotEquals(401, r.statusCode(), what);
                assertTrue(r.statusCode() < 500 || r.statusCode() == 501 || r.statusCode() == 503, what + " -> " + r.statusCode() + " " + r.body());
            }
        }
        assertEquals(2 * 2, open, "GET and HEAD of /-/healthy and /-/ready");
        // an unknown path without credentials does not reveal whether it exists
        assertEquals(401, send("GET", "/no/such/path", null).statusCode());
        assertEquals(404, send("GET", "/no/such/path", basic("admin", PASSWORD)).statusCode());
    }

    @Test
    void refusalsAreCountedAndLoggedWithoutTheSecret() throws Exception {
        assertEquals(401, send("GET", "/api/v1/labels", basic("admin", "hunter2-secret")).statusCode());
        assertEquals(401, send("GET", "/api/v1/labels", "Bearer token-secret-value").statusCode());
        assertEquals(401, send("GET", "/api/v1/labels", null).statusCode());
        String metrics = send("GET", "/metrics", basic("admin", PASSWORD)).body();
        assertTrue(metrics.contains("tsdb_http_auth_failures_total{reason=\"invalid_credentials\"} 1.0"), metrics);
        assertTrue(metrics.contains("tsdb_http_auth_failures_total{reason=\"invalid_token\"} 1.0"), metrics);
        assertTrue(metrics.contains("tsdb_http_auth_failures_total{reason=\"missing\"} 1.0"), metrics);
        assertEquals(3, logged.list.size());
        for (ILoggingEvent e : logged.list) {
            String all = e.getFormattedMessage() + " " + e.getKeyValuePairs();
            assertTrue(all.contains("remote=\"127.0.0.1:"), all);
            assertFalse(all.contains("hunter2") || all.contains("token-secret") || all.contains("aHVudGVy"), all);
        }
        assertTrue(logged.list.get(0).getKeyValuePairs().toString().contains("user=\"admin\""));
    }

    /** Raw requests (the Java client refuses to send broken headers): the status line, or "" if none came. */
    String raw(byte[] request) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", server.port()), 10_000);
            s.setSoTimeout(30_000);   // a hang fails the test
            s.getOutputStream().write(request);
            s.getOutputStream().flush();
            String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            return answer.isEmpty() ? "" : answer.substring(0, answer.indexOf("\r\n"));
        }
    }

    static byte[] request(String headerLines) {
        return ("GET /api/v1/labels HTTP/1.1\r\nHost: x\r\n" + headerLines + "Connection: close\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1);
    }

    @Test
    void fuzzedAuthorizationHeadersNever5xxOrHang() throws Exception {
        List<String> values = new ArrayList<>(List.of("", " ", "Basic", "Basic ", "Basic =", "Basic ====", "Basic \u00ff\u00fe",
                "Bearer", "Bearer  ", "Basic " + "QUFB".repeat(3000), "Bearer " + "x".repeat(20_000),
                basic("admin", PASSWORD) + "x", basic("admin", PASSWORD).toLowerCase(), "Basic YWRtaW46dGVzdA==\u0000",
                "Basic " + Base64.getEncoder().encodeToString(("admin:" + "p".repeat(100)).getBytes())));
        Random rnd = new Random(42);
        for (int i = 0; i < 150; i++) {
            StringBuilder b = new StringBuilder(rnd.nextBoolean() ? "Basic " : rnd.nextBoolean() ? "Bearer " : "");
            int n = rnd.nextInt(rnd.nextInt(10) == 0 ? 5000 : 60);
            for (int j = 0; j < n; j++) {
                char c = (char) (rnd.nextInt(10) == 0 ? rnd.nextInt(256) : 0x20 + rnd.nextInt(95));
                if (c == '\r' || c == '\n') c = 'x';
                b.append(c);
            }
            values.add(b.toString());
        }
        for (String v : values) {
            String status = raw(request("Authorization: " + v + "\r\n"));
            assertTrue(status.startsWith("HTTP/1.1 4"), "Authorization: " + v.substring(0, Math.min(80, v.length())) + " -> " + status);
        }
        // repeated, oversized and header-splitting attempts
        String auth = "Authorization: " + basic("nobody", "x") + "\r\n";
        assertTrue(raw(request(auth.repeat(200))).startsWith("HTTP/1.1 4"));
        assertTrue(raw(request("X-Pad: " + "a".repeat(70_000) + "\r\n")).startsWith("HTTP/1.1 4"));
        assertTrue(raw(request("Authorization: " + "a".repeat(70_000) + "\r\n")).startsWith("HTTP/1.1 4"));
        assertTrue(raw(request("Authorization: Basic\rX-Injected: 1\r\n")).matches("HTTP/1.1 4.*|"));
        // valid credentials still work afterwards
        assertEquals("HTTP/1.1 200 OK", raw(request("Authorization: " + basic("admin", PASSWORD) + "\r\n")));
    }

    /** The interim answer to Expect: 100-continue, or the final one when the server refuses first. */
    String expectContinue(String authorization) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", server.port()), 10_000);
            s.setSoTimeout(30_000);
            String req = "POST /api/v1/import/prometheus HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nExpect: 100-continue\r\n"
                    + (authorization == null ? "" : "Authorization: " + authorization + "\r\n") + "\r\n";
            s.getOutputStream().write(req.getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
            StringBuilder line = new StringBuilder();
            int c;
            while ((c = s.getInputStream().read()) >= 0 && c != '\r') line.append((char) c);
            return line.toString();
        }
    }

    @Test
    void expectContinueIsRefusedBeforeTheBodyWhenTheCredentialsAreKnownBad() throws Exception {
        assertEquals("HTTP/1.1 401 Unauthorized", expectContinue(null));
        assertEquals("HTTP/1.1 401 Unauthorized", expectContinue("Bearer wrong-token"));
        assertEquals("HTTP/1.1 401 Unauthorized", expectContinue("Negotiate abc"));
        assertEquals("HTTP/1.1 100 Continue", expectContinue("Bearer " + TOKEN));
        // Basic credentials not verified yet need bcrypt, which the event loop does not run: the body is asked for
        // (and the request then refused or served as usual), whether the user exists or not
        assertEquals("HTTP/1.1 100 Continue", expectContinue(basic("admin", "wrong")));
        assertEquals("HTTP/1.1 100 Continue", expectContinue(basic("nobody", "wrong")));
        // once a wrong password is known (cached), it is refused before the body
        assertEquals(401, send("GET", "/api/v1/labels", basic("admin", "wrong")).statusCode());
        assertEquals("HTTP/1.1 401 Unauthorized", expectContinue(basic("admin", "wrong")));
    }
}
