package io.tsdb.server.rules.notify;

import com.fasterxml.jackson.databind.JsonNode;
import io.tsdb.core.Appender;
import io.tsdb.core.Labels;
import io.tsdb.core.testing.MemStorage;
import io.tsdb.server.ServerConfig;
import io.tsdb.server.StorageFactory;
import io.tsdb.server.TsdbServer;
import io.tsdb.server.api.PrometheusApiFeature;
import io.tsdb.server.rules.RulesFeature;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Alerts reach a real Alertmanager (started by the test, routing to a webhook the test serves): firing, then
 * resolved, with the rule's labels, the external labels, expanded annotations, startsAt at the evaluation that
 * fired the alert and endsAt at the one that resolved it, and the generator URL. Then Alertmanager goes down (a
 * graceful stop) while one alert starts firing and another resolves; once it is back on the same port both
 * updates arrive: nothing is lost. The outage lasts {@code -Drules.am.outage=SECONDS} (default 12; the acceptance
 * figure is measured with 60).
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class AlertmanagerTest {
    @TempDir Path tmp;

    static long millis(JsonNode a, String field) {
        return OffsetDateTime.parse(a.get(field).asText()).toInstant().toEpochMilli();
    }

    void set(MemStorage s, String alert, double v) throws Exception {
        Appender app = s.appender();
        app.append(Labels.of("__name__", "probe_ok", "target", alert), System.currentTimeMillis(), v);
        app.commit();
    }

    @Test
    void firingAndResolvedAlertsReachAlertmanagerAndSurviveAnOutage() throws Exception {
        long outageSeconds = Long.getLong("rules.am.outage", 12);
        try (AlertmanagerProcess am = new AlertmanagerProcess(tmp)) {
            Path rules = tmp.resolve("rules.yml");
            Files.writeString(rules, """
                    groups:
                      - name: probes
                        interval: 1s
                        rules:
                          - alert: ProbeFailing
                            expr: probe_ok == 0
                            labels:
                              severity: page
                              team: '{{ $labels.target | toUpper }}'
                            annotations:
                              summary: 'Probe {{ $labels.target }} failing in {{ $externalLabels.cluster }} (value {{ $value }})'
                    """);
            ServerConfig c = new ServerConfig();
            c.listenHost = "127.0.0.1";
            c.listenPort = 0;
            c.rulesFiles = List.of(rules.toString());
            c.alertmanagerUrls = List.of(am.url());
            c.alertmanagerTimeout = Duration.ofSeconds(2);
            c.externalLabels = Map.of("cluster", "eu1");
            c.externalUrl = "http://tsdb.example:9201";
            c.rulesResendDelay = Duration.ofSeconds(30);
            MemStorage storage = new MemStorage();
            RulesFeature rulesFeature = new RulesFeature();
            try (TsdbServer server = TsdbServer.builder(c).storage(StorageFactory.of(storage))
                    .features(rulesFeature, new PrometheusApiFeature()).start()) {
                // after a start, ALERTS series are written once the group has restored the 'for' state (after two
                // evaluations), as in Prometheus; alerts fired before that are sent but not yet recorded
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (!get(server.baseUrl() + "/metrics").contains("tsdb_rule_group_last_restore_duration_seconds{")) {
                    assertTrue(System.nanoTime() < deadline, "restore did not complete");
                    Thread.sleep(100);
                }
                set(storage, "a", 0);
                JsonNode firing = am.await(a -> a.get("status").asText().equals("firing")
                        && a.get("labels").path("target").asText().equals("a"), Duration.ofSeconds(60), "firing for a");
                assertEquals("ProbeFailing", firing.get("labels").get("alertname").asText());
                assertEquals("page", firing.get("labels").get("severity").asText());
                assertEquals("A", firing.get("labels").get("team").asText());
                assertEquals("eu1", firing.get("labels").get("cluster").asText());   // external label
                assertEquals("Probe a failing in eu1 (value 0)", firing.get("annotations").get("summary").asText());
                assertEquals("http://tsdb.example:9201/graph?g0.expr=probe_ok+%3D%3D+0&g0.tab=1", firing.get("generatorURL").asText());
                long startsAt = millis(firing, "startsAt");
                // startsAt is the evaluation that fired it: the first ALERTS{alertstate="firing"} sample
                long firstFiring = firstSample(storage, "__name__", "ALERTS", "alertstate", "firing", "target", "a");
                assertEquals(firstFiring, startsAt);

                set(storage, "a", 1);
                JsonNode resolved = am.await(a -> a.get("status").asText().equals("resolved")
                        && a.get("labels").path("target").asText().equals("a"), Duration.ofSeconds(60), "resolved for a");
                assertEquals(startsAt, millis(resolved, "startsAt"));
                long endsAt = millis(resolved, "endsAt");
                assertTrue(endsAt > startsAt && endsAt <= System.currentTimeMillis(), "endsAt " + endsAt);
                assertEquals(0, endsAt % 1, "evaluation timestamps are whole milliseconds");

                // an outage: b is firing before it, resolves during it; c starts firing during it
                set(storage, "b", 0);
                am.await(a -> a.get("status").asText().equals("firing") && a.get("labels").path("target").asText().equals("b"),
                        Duration.ofSeconds(60), "firing for b");
                Thread.sleep(1500); // let Alertmanager's notification log record b as notified before it stops
                am.stop();
                long downAt = System.currentTimeMillis();
                set(storage, "b", 1);
                set(storage, "c", 0);
                Thread.sleep(outageSeconds * 1000);
                double errors = metric(server, "tsdb_notifications_errors_total");
                assertTrue(errors > 0, "sends failed while Alertmanager was down");
                am.start();
                long upAt = System.currentTimeMillis();
                JsonNode cFiring = am.await(a -> a.get("status").asText().equals("firing") && a.get("labels").path("target").asText().equals("c"),
                        Duration.ofSeconds(90), "firing for c after the outage");
                JsonNode bResolved = am.await(a -> a.get("status").asText().equals("resolved") && a.get("labels").path("target").asText().equals("b"),
                        Duration.ofSeconds(90), "resolved for b after the outage");
                long delivered = System.currentTimeMillis();
                assertTrue(millis(cFiring, "startsAt") < upAt && millis(cFiring, "startsAt") > downAt, "c fired during the outage");
                assertTrue(millis(bResolved, "endsAt") < upAt && millis(bResolved, "endsAt") > downAt, "b resolved during the outage");
                assertEquals(0, metric(server, "tsdb_notifications_dropped_total"));
                System.out.printf("Alertmanager outage %d s: %.0f failed sends, both updates delivered %.1f s after it was back, 0 dropped%n",
                        outageSeconds, metric(server, "tsdb_notifications_errors_total"), (delivered - upAt) / 1000.0);
            }
        }
    }

    /** Timestamp of the first sample of the series matching (equality matchers). */
    static long firstSample(MemStorage storage, String... nameValue) {
        java.util.List<io.tsdb.core.Matcher> ms = new java.util.ArrayList<>();
        for (int i = 0; i < nameValue.length; i += 2) ms.add(io.tsdb.core.Matcher.eq(nameValue[i], nameValue[i + 1]));
        try (io.tsdb.core.Querier q = storage.querier(0, Long.MAX_VALUE / 2)) {
            io.tsdb.core.SeriesSet ss = q.select(ms);
            assertTrue(ss.next(), "no series " + ms);
            io.tsdb.core.SampleCursor c = ss.cursor();
            assertTrue(c.next());
            return c.timestamp();
        }
    }

    static String get(String url) throws Exception {
        return java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body();
    }

    static double metric(TsdbServer server, String name) throws Exception {
        String text = get(server.baseUrl() + "/metrics");
        double sum = 0;
        for (String l : text.split("\n")) {
            if (l.startsWith(name + "{") || l.startsWith(name + " ")) sum += Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1));
        }
        return sum;
    }
}
