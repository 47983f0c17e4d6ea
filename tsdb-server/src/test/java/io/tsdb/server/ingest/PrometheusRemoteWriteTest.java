package io.tsdb.server.ingest;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A real Prometheus (Debian package, /usr/bin/prometheus; installed by .ci/run) scrapes a target served by
 * this test and remote-writes to the server: the scraped values, the up series, metadata and the stale
 * markers written when a series disappears all arrive exactly.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class PrometheusRemoteWriteTest extends IngestHttpTestBase {
    static final Path PROMETHEUS = Path.of("/usr/bin/prometheus");

    @Test void prometheusScrapesAndRemoteWrites() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(PROMETHEUS),
                "skipped: /usr/bin/prometheus is not installed (apt-get install -y prometheus; .ci/run installs it)");
        AtomicReference<String> exposition = new AtomicReference<>("""
                # HELP demo_requests_total Requests served.
                # TYPE demo_requests_total counter
                demo_requests_total{path="/a"} 42
                # TYPE demo_temperature gauge
                demo_temperature 21.5
                """);
        HttpServer target = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        target.createContext("/metrics", ex -> {
            byte[] b = exposition.get().getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "text/plain; version=0.0.4");
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        target.start();
        String instance = "127.0.0.1:" + target.getAddress().getPort();
        int promPort;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) { promPort = s.getLocalPort(); }
        Path dir = Files.createDirectories(dataDir.resolve("prometheus"));
        Path cfg = dir.resolve("prometheus.yml");
        Files.writeString(cfg, """
                global:
                  scrape_interval: 1s
                  scrape_timeout: 1s
                scrape_configs:
                  - job_name: target
                    static_configs:
                      - targets: ['%s']
                remote_write:
                  - url: %s/api/v1/write
                    queue_config:
                      batch_send_deadline: 1s
                      min_backoff: 100ms
                      max_backoff: 1s
                    metadata_config:
                      send_interval: 1s
                """.formatted(instance, base));
        Path log = dir.resolve("prometheus.log");
        Process prom = new ProcessBuilder(PROMETHEUS.toString(), "--config.file=" + cfg, "--storage.tsdb.path=" + dir.resolve("data"),
                "--web.listen-address=127.0.0.1:" + promPort)
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            String req = "demo_requests_total{instance=\"" + instance + "\", job=\"target\", path=\"/a\"}";
            String temp = "demo_temperature{instance=\"" + instance + "\", job=\"target\"}";
            awaitCondition(() -> count(req, "42") >= 2 && count(temp, "21.5") >= 2, prom, log, "two scrapes remote-written");
            for (String s : query("demo_requests_total")) assertTrue(s.startsWith(req + " ") && s.endsWith("=42"), s);
            for (String s : query("demo_temperature")) assertTrue(s.startsWith(temp + " ") && s.endsWith("=21.5"), s);
            for (String s : query("up")) assertTrue(s.startsWith("up{instance=\"" + instance + "\", job=\"target\"} ") && s.endsWith("=1"), s);
            assertFalse(query("scrape_samples_scraped").isEmpty());
            awaitCondition(() -> !server.context().metadata().get("demo_requests_total").isEmpty(), prom, log, "metadata");
            assertEquals("Requests served.", server.context().metadata().get("demo_requests_total").get(0).help());
            assertEquals("counter", server.context().metadata().get("demo_requests_total").get(0).type());

            // the counter moves on and the gauge disappears: new values and a stale marker arrive
            exposition.set("# TYPE demo_requests_total counter\ndemo_requests_total{path=\"/a\"} 43\n");
            awaitCondition(() -> count(req, "43") >= 1 && count(temp, "stale") >= 1, prom, log, "new value and stale marker");
            List<String> temps = query("demo_temperature");
            assertTrue(temps.get(temps.size() - 1).endsWith("=stale"), temps.toString());
            long prev = Long.MIN_VALUE;
            for (String s : query("demo_requests_total")) {
                long t = Long.parseLong(s.substring(s.lastIndexOf(' ') + 1, s.lastIndexOf('=')));
                assertTrue(t > prev, "timestamps strictly increasing: " + s);
                prev = t;
            }
        } finally {
            prom.destroy();
            if (!prom.waitFor(20, TimeUnit.SECONDS)) prom.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            target.stop(0);
        }
    }

    private long count(String series, String value) {
        return query(series.substring(0, series.indexOf('{'))).stream().filter(s -> s.startsWith(series + " ") && s.endsWith("=" + value)).count();
    }

    /** Waits for Prometheus to deliver (a readiness wait with a generous deadline, not a timing assertion). */
    private static void awaitCondition(BooleanSupplier cond, Process prom, Path log, String what) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (!cond.getAsBoolean()) {
            if (!prom.isAlive()) fail("prometheus exited (" + prom.exitValue() + ") while waiting for " + what + ":\n" + Files.readString(log));
            if (System.nanoTime() > deadline) fail("prometheus did not deliver " + what + " within 90 s; its log:\n" + Files.readString(log));
            Thread.sleep(200);
        }
    }
}
