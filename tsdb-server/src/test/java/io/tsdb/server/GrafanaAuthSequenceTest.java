package io.tsdb.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tsdb.server.tls.TestCerts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The calls Grafana's Prometheus data source makes (save &amp; test: buildinfo and an instant query; the metrics
 * browser and query editor: labels, label values, series, metadata; a panel: query_range and query), over TLS with
 * the data source's basic auth, as a user the web config's tsdb_tenants maps to one tenant: every call answers, in
 * Prometheus's shapes, with that tenant's data only; with a wrong password every call is 401; asking for a tenant the
 * user may not use (Grafana's custom X-Scope-OrgID header) is 403.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class GrafanaAuthSequenceTest {
    /** bcrypt of "test" (cost 12). */
    static final String HASH = "$2b$12$hNf2lSsxfm0.i4a.1kVpSOVyBCfIB51VRjgBUyv6kdnyTlgWj81Ay";
    static final ObjectMapper JSON = new ObjectMapper();
    static TestCerts ca;
    @TempDir static Path certs;
    @TempDir Path dir;
    TsdbServer server;
    HttpClient http;
    long t;

    @BeforeAll
    static void certificates() throws Exception {
        ca = TestCerts.newCa(Files.createDirectories(certs.resolve("ca")), "tsdb-test-ca");
        ca.issue("server", "localhost", "DNS:localhost,IP:127.0.0.1", true);
    }

    @BeforeEach
    void start() throws Exception {
        Files.copy(ca.cert("server"), dir.resolve("server.pem"), StandardCopyOption.REPLACE_EXISTING);
        Files.copy(ca.key("server"), dir.resolve("server-key.pem"), StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(dir.resolve("web.yml"), "tls_server_config:\n  cert_file: server.pem\n  key_file: server-key.pem\n"
                + "basic_auth_users:\n  grafana: " + HASH + "\n  writer: " + HASH + "\n"
                + "tsdb_tenants:\n  grafana: [team-a]\n  writer: [team-a, team-b]\n");
        ServerConfig c = new ServerConfig();
        c.listenHost = "127.0.0.1";
        c.listenPort = 0;
        c.dataDir = dir.resolve("data");
        c.webConfigFile = dir.resolve("web.yml");
        server = TsdbServer.builder(c).start();
        http = HttpClient.newBuilder().sslContext(ca.clientContext(null)).version(HttpClient.Version.HTTP_1_1).build();
        t = System.currentTimeMillis() - 600_000;
        StringBuilder a = new StringBuilder("# HELP http_requests_total Requests served.\n# TYPE http_requests_total counter\n");
        StringBuilder b = new StringBuilder("# HELP http_requests_total team b's help\n");
        for (int i = 0; i < 40; i++) {
            a.append("http_requests_total{job=\"api\",code=\"200\"} ").append(i * 10).append(' ').append(t + i * 15_000L).append('\n');
            b.append("http_requests_total{job=\"team-b-secret\",code=\"500\"} ").append(i).append(' ').append(t + i * 15_000L).append('\n');
        }
        assertEquals(204, send("POST", "/api/v1/import/prometheus", a.toString(), basic("writer", "test"), "team-a").statusCode());
        assertEquals(204, send("POST", "/api/v1/import/prometheus", b.toString(), basic("writer", "test"), "team-b").statusCode());
    }

    @AfterEach
    void stop() { server.stop(); }

    static String basic(String user, String pw) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + pw).getBytes(StandardCharsets.UTF_8));
    }

    HttpResponse<String> send(String method, String pathAndQuery, String form, String auth, String tenant) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.baseUrl() + pathAndQuery)).timeout(Duration.ofSeconds(30))
                .method(method, form == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(form))
                .header("User-Agent", "Grafana/11.1.0").header("Accept", "application/json, text/plain, */*");
        if (form != null && method.equals("POST") && !pathAndQuery.contains("import")) {
            b.header("Content-Type", "application/x-www-form-urlencoded");
        }
        if (auth != null) b.header("Authorization", auth);
        if (tenant != null) b.header("X-Scope-OrgID", tenant);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static String enc(String s) { return URLEncoder.encode(s, StandardCharsets.UTF_8); }

    /** Grafana's calls, in the order of save &amp; test, the metrics browser, the query editor and a panel refresh. */
    List<String[]> sequence() {
        long s = t / 1000, e = s + 600, now = System.currentTimeMillis() / 1000;
        String range = "start=" + s + "&end=" + e;
        List<String[]> c = new ArrayList<>();
        c.add(new String[]{"GET", "/api/v1/status/buildinfo", null});
        c.add(new String[]{"POST", "/api/v1/query", "query=" + enc("1+1") + "&time=" + now});
        c.add(new String[]{"GET", "/api/v1/labels?" + range, null});
        c.add(new String[]{"GET", "/api/v1/label/__name__/values?" + range, null});
        c.add(new String[]{"GET", "/api/v1/label/job/values?" + range + "&match[]=" + enc("http_requests_total"), null});
        c.add(new String[]{"POST", "/api/v1/series", "match[]=" + enc("{__name__=\"http_requests_total\"}") + "&" + range});
        c.add(new String[]{"GET", "/api/v1/metadata", null});
        c.add(new String[]{"POST", "/api/v1/query_range", "query=" + enc("sum by (job) (rate(http_requests_total[1m]))")
                + "&" + range + "&step=15"});
        c.add(new String[]{"POST", "/api/v1/query", "query=" + enc("http_requests_total") + "&time=" + e});
        return c;
    }

    @Test
    void grafanaSequenceWithBasicAuthSeesItsTenantOnly() throws Exception {
        List<String> bodies = new ArrayList<>();
        for (String[] call : sequence()) {
            HttpResponse<String> r = send(call[0], call[1], call[2], basic("grafana", "test"), null);
            assertEquals(200, r.statusCode(), call[1] + ": " + r.body());
            assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"), call[1]);
            JsonNode n = JSON.readTree(r.body());
            assertEquals("success", n.get("status").asText(), call[1]);
            assertFalse(r.body().contains("team-b") || r.body().contains("__tenant"), call[1] + " leaks: " + r.body());
            bodies.add(r.body());
        }
        assertTrue(bodies.get(0).contains("\"version\""));
        assertEquals("[\"__name__\",\"code\",\"job\"]", JSON.readTree(bodies.get(2)).get("data").toString());
        assertEquals("[\"http_requests_total\"]", JSON.readTree(bodies.get(3)).get("data").toString());
        assertEquals("[\"api\"]", JSON.readTree(bodies.get(4)).get("data").toString());
        assertEquals(1, JSON.readTree(bodies.get(5)).get("data").size());
        assertEquals("Requests served.", JSON.readTree(bodies.get(6)).at("/data/http_requests_total/0/help").asText());
        JsonNode matrix = JSON.readTree(bodies.get(7)).at("/data/result");
        assertEquals(1, matrix.size());
        assertEquals("api", matrix.get(0).at("/metric/job").asText());
        assertTrue(matrix.get(0).get("values").size() > 30, bodies.get(7));
        assertEquals("390", JSON.readTree(bodies.get(8)).at("/data/result/0/value/1").asText());

        for (String[] call : sequence()) {
            HttpResponse<String> r = send(call[0], call[1], call[2], basic("grafana", "wrong"), null);
            assertEquals(401, r.statusCode(), call[1]);
            assertTrue(r.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Basic realm=\"tsdb\""));
            assertEquals(403, send(call[0], call[1], call[2], basic("grafana", "test"), "team-b").statusCode(), call[1]);
            assertEquals(403, send(call[0], call[1], call[2], basic("grafana", "test"), "team-a|team-b").statusCode(), call[1]);
        }
        // the writer may read both tenants at once; each series says whose it is
        HttpResponse<String> both = send("POST", "/api/v1/series", "match[]=http_requests_total", basic("writer", "test"), "team-a|team-b");
        assertEquals(200, both.statusCode(), both.body());
        assertTrue(both.body().contains("\"__tenant_id__\":\"team-a\"") && both.body().contains("\"__tenant_id__\":\"team-b\""), both.body());
    }
}
