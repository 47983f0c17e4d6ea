package io.tsdb.server.rules;

import com.fasterxml.jackson.databind.JsonNode;
import io.tsdb.server.ServerConfig;
import io.tsdb.server.TsdbServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static io.tsdb.server.rules.RulesApiTest.HTTP;
import static io.tsdb.server.rules.RulesApiTest.JSON;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Rules of a tenant (--rules.tenant-directory/&lt;tenant&gt;/*.yml) run as that tenant: they read only its series,
 * their results land in its series only, and only its requests see its groups; a reload picks up a new tenant
 * directory and stops the rules of a removed one.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TenantRulesTest {
    @TempDir Path tmp;

    static final String RULES = """
            groups:
              - name: rec
                interval: 1s
                rules:
                  - record: job:load:sum
                    expr: sum by (job) (load)
            """;

    static HttpResponse<String> send(String method, String url, String body, String tenant) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (tenant != null) b.header("X-Scope-OrgID", tenant);
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode json(String url, String tenant) throws Exception {
        HttpResponse<String> r = send("GET", url, null, tenant);
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body());
    }

    static JsonNode await(String url, String tenant, Predicate<JsonNode> p) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        JsonNode last;
        do {
            last = json(url, tenant);
            if (p.test(last)) return last;
            Thread.sleep(100);
        } while (System.nanoTime() < deadline);
        fail("condition not met at " + url + " as " + tenant + ": " + last);
        return last;
    }

    static String query(String base, String q) {
        return base + "/api/v1/query?query=" + URLEncoder.encode(q, StandardCharsets.UTF_8);
    }

    @Test
    void eachTenantsRulesReadAndWriteOnlyItsSeries() throws Exception {
        Path dir = tmp.resolve("tenant-rules");
        Files.createDirectories(dir.resolve("team-a"));
        Files.writeString(dir.resolve("team-a").resolve("load.yml"), RULES);
        Files.createDirectories(dir.resolve("bad tenant"));   // not a valid tenant ID: skipped with a warning
        ServerConfig c = new ServerConfig();
        c.listenHost = "127.0.0.1";
        c.listenPort = 0;
        c.dataDir = tmp.resolve("data");
        c.enableLifecycle = true;
        c.rulesTenantDirectory = dir;
        try (TsdbServer s = TsdbServer.builder(c).start()) {
            String base = s.baseUrl();
            long now = System.currentTimeMillis();
            // the same metric in three tenants, different values
            for (String[] tv : new String[][]{{"team-a", "2.5"}, {"team-b", "40"}, {null, "700"}}) {
                HttpResponse<String> w = send("POST", base + "/api/v1/import/prometheus",
                        "load{job=\"api\"} " + tv[1] + " " + now + "\n", tv[0]);
                assertEquals(204, w.statusCode(), w.body());
            }
            // team-a's rule sums team-a's series only, and its result is team-a's
            JsonNode a = await(query(base, "job:load:sum"), "team-a", j -> j.at("/data/result").size() == 1);
            assertEquals("2.5", a.at("/data/result/0/value/1").asText());
            assertEquals(0, json(query(base, "job:load:sum"), null).at("/data/result").size(), "default tenant");
            assertEquals(0, json(query(base, "job:load:sum"), "team-b").at("/data/result").size(), "team-b");
            // only team-a sees its group
            JsonNode ga = json(base + "/api/v1/rules", "team-a").at("/data/groups");
            assertEquals(1, ga.size());
            assertEquals("rec", ga.at("/0/name").asText());
            assertEquals(dir.resolve("team-a").resolve("load.yml").toString(), ga.at("/0/file").asText());
            assertEquals(0, json(base + "/api/v1/rules", null).at("/data/groups").size());
            assertEquals(0, json(base + "/api/v1/rules", "team-b").at("/data/groups").size());
            assertEquals(1, json(base + "/api/v1/rules", "team-a|team-b").at("/data/groups").size(), "a multi-tenant read sees both tenants' groups");

            // team-b gets rules and team-a loses its own, at the next reload
            Files.createDirectories(dir.resolve("team-b"));
            Files.writeString(dir.resolve("team-b").resolve("load.yaml"), RULES);
            Files.delete(dir.resolve("team-a").resolve("load.yml"));
            Files.delete(dir.resolve("team-a"));
            HttpResponse<String> r = send("POST", base + "/-/reload", null, null);
            assertEquals(200, r.statusCode(), r.body());
            JsonNode b = await(query(base, "job:load:sum"), "team-b", j -> j.at("/data/result").size() == 1);
            assertEquals("40", b.at("/data/result/0/value/1").asText());
            assertEquals(0, json(base + "/api/v1/rules", "team-a").at("/data/groups").size());
            assertEquals(1, json(base + "/api/v1/rules", "team-b").at("/data/groups").size());
            assertEquals(0, json(query(base, "job:load:sum"), null).at("/data/result").size(), "default tenant still has none");

            // a tenant's invalid file: the reload fails naming the tenant, its previous rules keep running
            Files.writeString(dir.resolve("team-b").resolve("load.yaml"), "groups: [{name: rec, rules: [{record: x, expr: 'sum('}]}]");
            r = send("POST", base + "/-/reload", null, null);
            assertEquals(400, r.statusCode(), r.body());
            assertTrue(r.body().contains("tenant team-b"), r.body());
            assertEquals(1, json(base + "/api/v1/rules", "team-b").at("/data/groups").size());
        }
    }
}
