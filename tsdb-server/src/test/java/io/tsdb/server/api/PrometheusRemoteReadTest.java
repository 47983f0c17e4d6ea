package io.tsdb.server.api;

import io.tsdb.server.ServerConfig;
import io.tsdb.server.TsdbServer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real Prometheus with no local data and this server as its remote_read storage answers queries exactly like this
 * server does: our /api/v1/read works with Prometheus's remote-read client.
 */
class PrometheusRemoteReadTest {
    @TempDir Path tmp;

    @Test void prometheusQueriesThroughRemoteRead() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of(PrometheusPair.PROMETHEUS)),
                "skipped: " + PrometheusPair.PROMETHEUS + " is not installed (apt-get install prometheus; .ci/run installs it)");
        ServerConfig c = new ServerConfig();
        c.listenHost = "127.0.0.1";
        c.listenPort = 0;
        c.dataDir = tmp.resolve("data");
        try (TsdbServer server = TsdbServer.builder(c).start()) {
            String ours = server.baseUrl();
            long end = (System.currentTimeMillis() / 60_000) * 60_000 - 60_000, start = end - 40 * 60_000;
            ExternalProcess.remoteWrite(ours, ExternalProcess.writeRequest(PrometheusDifferentialTest.data(start, end)));
            int port = ExternalProcess.freePort();
            Path cfg = tmp.resolve("prometheus.yml");
            Files.writeString(cfg, "global:\n  scrape_interval: 15s\nremote_read:\n  - url: " + ours + "/api/v1/read\n    read_recent: true\n");
            try (ExternalProcess prom = ExternalProcess.start(tmp.resolve("prometheus.log"), List.of(PrometheusPair.PROMETHEUS,
                    "--config.file=" + cfg, "--storage.tsdb.path=" + tmp.resolve("prom-data"),
                    "--web.listen-address=127.0.0.1:" + port))) {
                String promUrl = "http://127.0.0.1:" + port;
                prom.awaitOk(promUrl + "/-/ready", Duration.ofSeconds(60));
                List<String> failures = new ArrayList<>();
                PrometheusDifferentialTest.NON_EMPTY.set(0);
                for (String q : List.of("http_requests_total", "cpu_usage{mode=\"idle\"}", "sum by (code) (rate(http_requests_total[5m]))",
                        "max_over_time(flaky_gauge[10m])", "histogram_quantile(0.9, sum by (le) (rate(req_duration_seconds_bucket[5m])))")) {
                    Map<String, String> p = new LinkedHashMap<>();
                    p.put("query", q);
                    p.put("start", GoFloat.timestamp(start + 10 * 60_000 + 1_234));
                    p.put("end", GoFloat.timestamp(end));
                    p.put("step", "30");
                    PrometheusDifferentialTest.compare(q, PrometheusDifferentialTest.query(promUrl, "/api/v1/query_range", p),
                            PrometheusDifferentialTest.query(ours, "/api/v1/query_range", p), false, failures);
                }
                if (!failures.isEmpty()) {
                    String metrics = ExternalProcess.HTTP.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(promUrl + "/metrics")).build(),
                            java.net.http.HttpResponse.BodyHandlers.ofString()).body();
                    StringBuilder remote = new StringBuilder();
                    for (String line : metrics.split("\n")) if (line.contains("remote") && !line.startsWith("#")) remote.append(line).append('\n');
                    String sample = ExternalProcess.postForm(promUrl + "/api/v1/query", Map.of("query", "cpu_usage")).body();
                    throw new AssertionError(String.join("\n", failures) + "\nprometheus answer: " + sample
                            + "\nprometheus remote metrics:\n" + remote + "\nlog:\n" + prom.tail());
                }
                assertTrue(PrometheusDifferentialTest.NON_EMPTY.getAndSet(0) == 5, "every query must return data");
            }
        }
    }
}
