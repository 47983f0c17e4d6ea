package io.tsdb.server.rules;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tsdb.core.Appender;
import io.tsdb.core.Labels;
import io.tsdb.core.testing.MemStorage;
import io.tsdb.server.ServerConfig;
import io.tsdb.server.StorageFactory;
import io.tsdb.server.TsdbServer;
import io.tsdb.server.api.PrometheusApiFeature;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The rules API on a running server: /api/v1/rules (shapes and filters), /api/v1/alerts, /api/v1/alertmanagers,
 * and reloads through POST /-/reload (403 without --web.enable-lifecycle; a bad file answered 400, counted in
 * /metrics, with the old rules still running).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RulesApiTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newHttpClient();
    @TempDir Path tmp;

    static HttpResponse<String> get(String url) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> post(String url) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode json(String url) throws Exception {
        HttpResponse<String> r = get(url);
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body());
    }

    static JsonNode await(String url, Predicate<JsonNode> p) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        JsonNode last;
        do {
            last = json(url);
            if (p.test(last)) return last;
            Thread.sleep(100);
        } while (System.nanoTime() < deadline);
        fail("condition not met at " + url + ": " + last);
        return last;
    }

    static final String RULES = """
            groups:
              - name: rec
                interval: 1s
                rules:
                  - record: job:load:sum
                    expr: sum by (job) (load)
              - name: alerts
                interval: 1s
                rules:
                  - alert: HighLoad
                    expr: job:load:sum > 1
                    for: 1h
                    labels: {severity: warn}
                    annotations: {summary: 'load {{ $value }}'}
            """;

    TsdbServer start(MemStorage storage, Path rules, boolean lifecycle) throws Exception {
        ServerConfig c = new ServerConfig();
        c.listenHost = "127.0.0.1";
        c.listenPort = 0;
        c.rulesFiles = List.of(rules.toString());
        c.enableLifecycle = lifecycle;
        c.alertmanagerUrls = List.of("http://127.0.0.1:9/");
        c.alertmanagerTimeout = Duration.ofSeconds(1);
        return TsdbServer.builder(c).storage(StorageFactory.of(storage))
                .features(new RulesFeature(), new PrometheusApiFeature()).start();
    }

    @Test
    void rulesAndAlertsInPrometheusShapes() throws Exception {
        Path rules = tmp.resolve("rules.yml");
        Files.writeString(rules, RULES);
        MemStorage storage = new MemStorage();
        Appender app = storage.appender();
        app.append(Labels.of("__name__", "load", "job", "api"), System.currentTimeMillis(), 2.5);
        app.commit();
        try (TsdbServer s = start(storage, rules, false)) {
            String base = s.baseUrl();
            JsonNode all = await(base + "/api/v1/rules", j -> j.at("/data/groups/1/rules/0/alerts").size() == 1);
            JsonNode rec = all.at("/data/groups/0");
            assertEquals("rec", rec.get("name").asText());
            assertEquals(rules.toString(), rec.get("file").asText());
            assertEquals(1.0, rec.get("interval").asDouble());
            assertEquals(0, rec.get("limit").asInt());
            assertTrue(rec.has("evaluationTime") && rec.has("lastEvaluation"));
            JsonNode r0 = rec.at("/rules/0");
            assertEquals("recording", r0.get("type").asText());
            assertEquals("job:load:sum", r0.get("name").asText());
            assertEquals("sum by (job) (load)", r0.get("query").asText());
            assertEquals("ok", r0.get("health").asText());
            JsonNode alert = all.at("/data/groups/1/rules/0");
            assertEquals("alerting", alert.get("type").asText());
            assertEquals("pending", alert.get("state").asText());
            assertEquals(3600.0, alert.get("duration").asDouble());
            assertEquals("warn", alert.at("/labels/severity").asText());
            assertEquals("load {{ $value }}", alert.at("/annotations/summary").asText());
            JsonNode a = alert.at("/alerts/0");
            assertEquals("pending", a.get("state").asText());
            assertEquals("api", a.at("/labels/job").asText());
            assertEquals("load 2.5", a.at("/annotations/summary").asText());
            assertEquals("2.5e+00", a.get("value").asText());
            assertTrue(a.get("activeAt").asText().endsWith("Z"));

            // filters
            assertEquals(1, json(base + "/api/v1/rules?type=record").at("/data/groups").size());
            assertEquals("alerts", json(base + "/api/v1/rules?type=alert").at("/data/groups/0/name").asText());
            assertEquals(1, json(base + "/api/v1/rules?rule_name[]=HighLoad").at("/data/groups").size());
            assertEquals(1, json(base + "/api/v1/rules?rule_group[]=rec").at("/data/groups").size());
            assertEquals(1, json(base + "/api/v1/rules?group_name[]=alerts").at("/data/groups").size());
            assertEquals(0, json(base + "/api/v1/rules?file[]=/nope.yml").at("/data/groups").size());
            assertEquals(2, json(base + "/api/v1/rules?file[]=" + rules).at("/data/groups").size());
            assertEquals(1, json(base + "/api/v1/rules?match[]=" + java.net.URLEncoder.encode("{severity=\"warn\"}", "UTF-8")).at("/data/groups").size());
            assertTrue(json(base + "/api/v1/rules?exclude_alerts=true").at("/data/groups/1/rules/0/alerts").isNull());
            HttpResponse<String> bad = get(base + "/api/v1/rules?type=x");
            assertEquals(400, bad.statusCode());
            assertTrue(bad.body().contains("\"errorType\":\"bad_data\"") && bad.body().contains("invalid parameter \\\"type\\\""), bad.body());

            JsonNode alerts = json(base + "/api/v1/alerts");
            assertEquals(1, alerts.at("/data/alerts").size());
            assertEquals("HighLoad", alerts.at("/data/alerts/0/labels/alertname").asText());
            JsonNode ams = json(base + "/api/v1/alertmanagers");
            assertEquals("http://127.0.0.1:9/api/v2/alerts", ams.at("/data/activeAlertmanagers/0/url").asText());
            assertEquals(0, ams.at("/data/droppedAlertmanagers").size());

            // lifecycle API off: 403 naming the flag
            HttpResponse<String> r = post(base + "/-/reload");
            assertEquals(403, r.statusCode());
            assertTrue(r.body().contains("--web.enable-lifecycle"));
        }
    }

    @Test
    void reloadAppliesGoodFilesAndKeepsOldRulesOnBadOnes() throws Exception {
        Path rules = tmp.resolve("rules.yml");
        Files.writeString(rules, RULES);
        MemStorage storage = new MemStorage();
        Appender app = storage.appender();
        app.append(Labels.of("__name__", "load", "job", "api"), System.currentTimeMillis(), 2.5);
        app.commit();
        try (TsdbServer s = start(storage, rules, true)) {
            String base = s.baseUrl();
            JsonNode before = await(base + "/api/v1/alerts", j -> j.at("/data/alerts").size() == 1);
            String activeAt = before.at("/data/alerts/0/activeAt").asText();

            Files.writeString(rules, RULES.replace("summary: 'load {{ $value }}'", "summary: 'job load {{ $value }}'"));
            HttpResponse<String> ok = post(base + "/-/reload");
            assertEquals(200, ok.statusCode(), ok.body());
            JsonNode after = json(base + "/api/v1/rules?type=alert");
            assertEquals("job load {{ $value }}", after.at("/data/groups/0/rules/0/annotations/summary").asText());
            // the changed group took over its alerts (the rule has the same name and labels, as Prometheus matches
            // rules across a reload): the pending alert keeps its active-since and gets the new annotation
            JsonNode alerts = await(base + "/api/v1/alerts", j -> j.at("/data/alerts/0/annotations/summary").asText().equals("job load 2.5"));
            assertEquals(activeAt, alerts.at("/data/alerts/0/activeAt").asText());

            // other labels make it another rule, as in Prometheus: its alert is new (active since an evaluation after the reload)
            Files.writeString(rules, RULES.replace("labels: {severity: warn}", "labels: {severity: page}"));
            assertEquals(200, post(base + "/-/reload").statusCode());
            JsonNode relabelled = await(base + "/api/v1/alerts", j -> j.at("/data/alerts/0/labels/severity").asText().equals("page"));
            assertEquals(1, relabelled.at("/data/alerts").size());
            assertTrue(java.time.Instant.parse(relabelled.at("/data/alerts/0/activeAt").asText()).isAfter(java.time.Instant.parse(activeAt)),
                    relabelled.toString());

            Files.writeString(rules, RULES.replace("sum by (job) (load)", "sum by (job) (load"));
            HttpResponse<String> bad = post(base + "/-/reload");
            assertEquals(400, bad.statusCode());
            assertTrue(bad.body().contains("rules.yml: 6:15: group \"rec\", rule 1, \"job:load:sum\": could not parse expression"), bad.body());
            // the previous rules keep running, and /metrics says the last reload failed
            assertEquals("sum by (job) (load)", json(base + "/api/v1/rules?type=record").at("/data/groups/0/rules/0/query").asText());
            String metrics = get(base + "/metrics").body();
            assertTrue(metrics.contains("tsdb_rules_config_last_reload_successful 0.0"), metrics);
            assertTrue(metrics.contains("tsdb_rules_config_reloads_total{result=\"failure\"} 1.0"), metrics);
            long evals = evaluations(metrics);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (evaluations(get(base + "/metrics").body()) <= evals) {
                assertTrue(System.nanoTime() < deadline, "groups still evaluate after a failed reload");
                Thread.sleep(100);
            }

            Files.writeString(rules, "groups: []\n");
            assertEquals(200, post(base + "/-/reload").statusCode());
            assertEquals(0, json(base + "/api/v1/rules").at("/data/groups").size());
            assertTrue(get(base + "/metrics").body().contains("tsdb_rules_config_last_reload_successful 1.0"));
        }
    }

    static long evaluations(String metrics) {
        long n = 0;
        for (String l : metrics.split("\n")) {
            if (l.startsWith("tsdb_rule_evaluations_total{")) n += (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1));
        }
        return n;
    }
}
