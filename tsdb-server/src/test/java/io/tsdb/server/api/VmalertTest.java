package io.tsdb.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.tsdb.server.ServerConfig;
import io.tsdb.server.TsdbServer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real vmalert (Debian package victoria-metrics, /usr/bin/vmalert) evaluates a recording rule and an alerting rule
 * against this server's Prometheus API and writes the results back by remote write; both are then queryable here,
 * and the alert reaches the notifier.
 */
class VmalertTest {
    static final String VMALERT = "/usr/bin/vmalert";
    @TempDir Path tmp;

    @Test void recordingAndAlertingRulesRoundTrip() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of(VMALERT)),
                "skipped: " + VMALERT + " is not installed (apt-get install victoria-metrics; .ci/run installs it)");
        ServerConfig c = new ServerConfig();
        c.listenHost = "127.0.0.1";
        c.listenPort = 0;
        c.dataDir = tmp.resolve("data");
        List<String> alerts = new CopyOnWriteArrayList<>();
        HttpServer notifier = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        notifier.createContext("/", ex -> {
            alerts.add(ex.getRequestURI().getPath() + " " + new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            ex.sendResponseHeaders(200, -1);
            ex.close();
        });
        notifier.start();
        try (TsdbServer server = TsdbServer.builder(c).start()) {
            String url = server.baseUrl();
            long now = System.currentTimeMillis();
            List<ExternalProcess.TimeSeries> data = new ArrayList<>();
            long[] ts = new long[25];
            double[] a = new double[25], b = new double[25];
            for (int i = 0; i < 25; i++) {
                ts[i] = now - 125_000 + i * 5_000L + 321; // the newest sample is about 5 s old
                a[i] = 20 + i * 0.1;
                b[i] = 31 + i * 0.25;
            }
            data.add(new ExternalProcess.TimeSeries(new String[]{"__name__", "temperature", "room", "a"}, ts, a));
            data.add(new ExternalProcess.TimeSeries(new String[]{"__name__", "temperature", "room", "b"}, ts, b));
            ExternalProcess.remoteWrite(url, ExternalProcess.writeRequest(data));

            Path rules = tmp.resolve("rules.yml");
            Files.writeString(rules, """
                    groups:
                      - name: tsdb-test
                        interval: 1s
                        rules:
                          - record: room:temperature:max
                            expr: max(temperature)
                          - alert: HighTemperature
                            expr: temperature > 30
                            labels:
                              severity: page
                            annotations:
                              summary: "room {{ $labels.room }} is at {{ $value }}"
                    """);
            int port = ExternalProcess.freePort();
            try (ExternalProcess vm = ExternalProcess.start(tmp.resolve("vmalert.log"), List.of(VMALERT,
                    "-rule=" + rules, "-datasource.url=" + url, "-remoteWrite.url=" + url,
                    "-notifier.url=http://127.0.0.1:" + notifier.getAddress().getPort(),
                    "-httpListenAddr=127.0.0.1:" + port, "-evaluationInterval=1s", "-remoteWrite.flushInterval=200ms"))) {
                vm.awaitOk("http://127.0.0.1:" + port + "/health", Duration.ofSeconds(30));
                JsonNode recorded = awaitNonEmpty(url, "room:temperature:max", vm);
                assertEquals(1, recorded.size());
                assertEquals(b[24], Double.parseDouble(recorded.get(0).at("/value/1").asText()), 1e-9);
                JsonNode firing = awaitNonEmpty(url, "ALERTS{alertname=\"HighTemperature\",alertstate=\"firing\"}", vm);
                assertEquals(1, firing.size(), firing.toString());
                assertEquals("b", firing.get(0).at("/metric/room").asText());
                assertEquals("page", firing.get(0).at("/metric/severity").asText());
                assertEquals("1", firing.get(0).at("/value/1").asText());
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (alerts.isEmpty() && System.nanoTime() < deadline) Thread.sleep(100);
                assertTrue(!alerts.isEmpty(), "no alert reached the notifier; vmalert log:\n" + vm.tail());
                assertTrue(alerts.get(0).contains("HighTemperature") && alerts.get(0).contains("room b is at"), alerts.get(0));
            }
        } finally {
            notifier.stop(0);
        }
    }

    /** Polls an instant query until it returns a non-empty vector (vmalert evaluates every second). */
    static JsonNode awaitNonEmpty(String url, String query, ExternalProcess vm) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        JsonNode last = null;
        while (System.nanoTime() < deadline) {
            last = ApiFixture.JSON.readTree(ExternalProcess.postForm(url + "/api/v1/query", Map.of("query", query)).body());
            JsonNode res = last.at("/data/result");
            if (res.isArray() && res.size() > 0) return res;
            Thread.sleep(250);
        }
        throw new AssertionError("no result for " + query + ": " + last + "\nvmalert log:\n" + vm.tail());
    }
}
