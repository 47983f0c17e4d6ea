package io.tsdb.server.tenant;

import io.tsdb.server.ServerConfig;
import io.tsdb.server.TsdbServer;
import org.junit.jupiter.api.AfterEach;
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
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Per-tenant limits on the real server, from --tenant.limits-file: a tenant over its ingestion rate gets 429 with
 * Retry-After (nothing of the request stored) while another tenant writes and queries; label names, series and
 * per-metric series limits answer 400 naming the limit; query limits refuse; usage shows in /metrics; the file
 * reloads through /-/reload.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TenantLimitsServerTest {
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    @TempDir Path dir;
    TsdbServer server;

    @AfterEach
    void stop() { if (server != null) server.stop(); }

    TsdbServer start(String limits) throws Exception {
        Path f = dir.resolve("limits.yml");
        Files.writeString(f, limits);
        ServerConfig c = new ServerConfig();
        c.listenHost = "127.0.0.1";
        c.listenPort = 0;
        c.dataDir = dir.resolve("data");
        c.tenantLimitsFile = f;
        c.enableLifecycle = true;
        c.webConfigPollInterval = Duration.ofHours(1);   // reloads in this test come from /-/reload
        return server = TsdbServer.builder(c).start();
    }

    HttpResponse<String> send(String method, String path, String body, String tenant) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.baseUrl() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (tenant != null) b.header(TenantScope.HEADER, tenant);
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> write(String tenant, String text) throws Exception {
        return send("POST", "/api/v1/import/prometheus", text, tenant);
    }

    static String lines(String metric, int n, long t) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < n; i++) b.append(metric).append("{i=\"").append(i).append("\"} 1 ").append(t).append('\n');
        return b.toString();
    }

    String query(String tenant, String q) throws Exception {
        int amp = q.indexOf('&');   // "query&time=..." : the query text is encoded, the rest passed as is
        String text = amp < 0 ? q : q.substring(0, amp), rest = amp < 0 ? "" : q.substring(amp);
        return send("GET", "/api/v1/query?query=" + URLEncoder.encode(text, StandardCharsets.UTF_8) + rest, null, tenant).body();
    }

    @Test
    void rateLimitedTenantGets429WhileAnotherIsUnaffected() throws Exception {
        // a rate so low that the bucket cannot refill a sample during the test: one per 1000 s, burst 100
        start("overrides:\n  slow: {ingestion_rate: 0.001, ingestion_burst_size: 100}\n"
                + "  slow2: {ingestion_rate: 0.001, ingestion_burst_size: 100}\n");
        long t = System.currentTimeMillis();
        assertEquals(204, write("slow", lines("m", 100, t)).statusCode());
        HttpResponse<String> over = write("slow", lines("m", 50, t + 1000));
        assertEquals(429, over.statusCode(), over.body());
        assertTrue(Long.parseLong(over.headers().firstValue("Retry-After").orElseThrow()) >= 1);
        assertTrue(over.body().contains("ingestion rate limit of 0.001 samples/s (burst 100)"), over.body());
        // (the bucket is empty: refused before the body is decoded) and a request larger than the burst, after decoding
        HttpResponse<String> huge = write("slow2", lines("m", 150, t));
        assertEquals(429, huge.statusCode());
        assertTrue(huge.body().contains("request of 150 samples exceeds the ingestion burst of 100"), huge.body());
        // the JSON import is limited the same way
        assertEquals(429, send("POST", "/api/v1/import", "{\"metric\":{\"__name__\":\"m\"},\"values\":[1],\"timestamps\":["
                + t + "]}\n", "slow").statusCode());
        for (int r = 0; r < 20; r++) {
            assertEquals(204, write("fast", lines("m", 500, t + r * 1000L)).statusCode(), "the other tenant is not limited");
        }
        assertTrue(query("fast", "count(m)").contains("\"500\""));
        // nothing of the refused request was stored: slow still has only the 100 samples at t
        assertTrue(query("slow", "count(count_over_time(m[1h]))").contains("\"100\""), query("slow", "count_over_time(m[1h])"));
        assertTrue(query("slow", "sum(count_over_time(m[1h]))").contains("\"100\""));
        String metrics = send("GET", "/metrics", null, null).body();
        assertTrue(metrics.contains("tsdb_tenant_samples_rejected_total{reason=\"rate_limited\",tenant=\"slow2\"} 150.0"), metrics);
        assertTrue(metrics.contains("tsdb_tenant_samples_received_total{tenant=\"fast\"} 10000.0"), metrics);
        assertTrue(metrics.contains("tsdb_tenant_requests_rejected_total{reason=\"rate_limited\",tenant=\"slow\"} 2.0"), metrics);
        assertFalse(metrics.contains("tsdb_tenant_samples_received_total{tenant=\"slow2\"}"), metrics);
        assertTrue(metrics.contains("tsdb_tenant_samples_received_total{tenant=\"slow\"} 100.0"), metrics);
        assertTrue(metrics.contains("tsdb_tenant_series{tenant=\"slow\"} 100.0"), metrics);
        assertTrue(metrics.contains("tsdb_tenant_series{tenant=\"fast\"} 500.0"), metrics);
        assertTrue(metrics.contains("tsdb_tenant_series{tenant=\"anonymous\"} 0.0"), metrics);
        assertTrue(metrics.contains("tsdb_tenant_query_seconds_total{tenant=\"fast\"}"), metrics);
        assertTrue(metrics.contains("tsdb_tenant_queries_total{outcome=\"ok\",tenant=\"slow\"}"), metrics);
    }

    @Test
    void seriesLabelAndQueryLimitsPerTenantAndReload() throws Exception {
        start("overrides:\n  small: {max_global_series_per_user: 5, max_global_series_per_metric: 3,"
                + " max_label_names_per_series: 3, max_fetched_series_per_query: 2}\n");
        long t = System.currentTimeMillis();
        HttpResponse<String> r = write("small", lines("a", 4, t));
        assertEquals(400, r.statusCode(), r.body());
        assertTrue(r.body().contains("series_per_metric_limit: 1"), r.body());
        assertTrue(r.body().contains("max_global_series_per_metric"), r.body());
        r = write("small", lines("b", 3, t));
        assertEquals(400, r.statusCode(), r.body());
        assertTrue(r.body().contains("series_limit: 1") && r.body().contains("max_global_series_per_user"), r.body());
        // samples of existing series are still accepted at the limit
        assertEquals(204, write("small", lines("a", 3, t + 1000)).statusCode());
        r = write("small", "c{x=\"1\",y=\"2\",z=\"3\"} 1 " + t + "\n");
        assertEquals(400, r.statusCode());
        assertTrue(r.body().contains("too_many_labels: 1") && r.body().contains("max_label_names_per_series"), r.body());
        // the same writes by another tenant: the flags' limits
        assertEquals(204, write("big", lines("a", 4, t) + lines("b", 3, t) + "c{x=\"1\",y=\"2\",z=\"3\"} 1 " + t + "\n").statusCode());
        // query limit: 3 series of a match, more than 2
        String refused = query("small", "a");
        assertTrue(refused.contains("\"errorType\":\"execution\"") && refused.contains("series"), refused);
        assertTrue(query("big", "count(a)").contains("\"4\""));
        // a query across tenants takes the smallest limit any of them sets (as Mimir), whichever tenant comes first
        String multi = query("big|small", "a");
        assertTrue(multi.contains("\"errorType\":\"execution\"") && multi.contains("series"), multi);
        assertTrue(query("big|small", "count(c)").contains("\"1\""), "under the limit it answers");
        // reload: the limits change without a restart
        Files.writeString(dir.resolve("limits.yml"), "overrides:\n  small: {max_global_series_per_user: 50, max_global_series_per_metric: 30}\n");
        HttpResponse<String> reload = send("POST", "/-/reload", "", null);
        assertEquals(200, reload.statusCode(), reload.body());
        assertTrue(reload.body().contains("tenant limits") && reload.body().contains("reloaded"), reload.body());
        assertEquals(204, write("small", lines("a", 10, t + 2000)).statusCode());
        String ten = query("small", "count(a)&time=" + ((t + 2000) / 1000 + 1));   // the samples are 2 s ahead of t
        assertTrue(ten.contains("\"10\""), ten);
        Files.writeString(dir.resolve("limits.yml"), "overrides:\n  small: {max_series: 1}\n");
        HttpResponse<String> bad = send("POST", "/-/reload", "", null);
        assertEquals(400, bad.statusCode());
        assertTrue(bad.body().contains("unknown key \"max_series\""), bad.body());
        assertTrue(send("GET", "/metrics", null, null).body().contains("tsdb_tenant_limits_last_reload_successful 0.0"));
        assertEquals(204, write("small", lines("a", 12, t + 3000)).statusCode(), "the previous limits stay in force");
    }
}
