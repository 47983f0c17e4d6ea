package io.tsdb.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.tsdb.server.ServerConfig;
import io.tsdb.server.TsdbServer;
import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A real Prometheus (the Debian package, a child process on an ephemeral loopback port) and this server side by
 * side, loaded with the same remote-write data: the fixture of the differential tests.
 */
final class PrometheusPair implements AutoCloseable {
    static final String PROMETHEUS = "/usr/bin/prometheus";

    final ExternalProcess prom;
    final TsdbServer server;
    final String promUrl, ourUrl;

    private PrometheusPair(ExternalProcess prom, TsdbServer server, String promUrl) {
        this.prom = prom;
        this.server = server;
        this.promUrl = promUrl;
        this.ourUrl = server.baseUrl();
    }

    /** Skips the calling test class (with the reason) when the Prometheus package is not installed. */
    static void assumeInstalled() {
        Assumptions.assumeTrue(Files.isExecutable(Path.of(PROMETHEUS)),
                "skipped: " + PROMETHEUS + " is not installed (apt-get install prometheus; .ci/run installs it)");
    }

    /**
     * Starts both in dir (Prometheus data, log and config; this server's data) and waits until Prometheus is ready;
     * Prometheus gets the extra flags too (e.g. {@code --enable-feature=native-histograms}).
     */
    static PrometheusPair start(Path dir, String... extraPrometheusFlags) throws Exception {
        assumeInstalled();
        int port = ExternalProcess.freePort();
        Path cfg = dir.resolve("prometheus.yml");
        Files.writeString(cfg, "global:\n  scrape_interval: 15s\n");
        List<String> cmd = new java.util.ArrayList<>(List.of(PROMETHEUS,
                "--config.file=" + cfg, "--storage.tsdb.path=" + dir.resolve("prom-data"),
                "--web.listen-address=127.0.0.1:" + port, "--web.enable-remote-write-receiver"));
        cmd.addAll(List.of(extraPrometheusFlags));
        ExternalProcess prom = ExternalProcess.start(dir.resolve("prometheus.log"), cmd);
        TsdbServer server = null;
        try {
            ServerConfig c = new ServerConfig();
            c.listenHost = "127.0.0.1";
            c.listenPort = 0;
            c.dataDir = dir.resolve("our-data");
            // The data may lie at a fixed date (RandomizedDifferentialTest): retention, which counts from the wall
            // clock here and from the newest block in Prometheus, must not remove it once a flush writes it to a block.
            c.retention = Duration.ofDays(100 * 365);
            server = TsdbServer.builder(c).start();
            String url = "http://127.0.0.1:" + port;
            prom.awaitOk(url + "/-/ready", Duration.ofSeconds(60));
            return new PrometheusPair(prom, server, url);
        } catch (Exception | AssertionError e) {
            prom.close();
            if (server != null) server.close();
            throw e;
        }
    }

    /**
     * Remote-writes the series into both, in one request each (Prometheus accepts samples older than its head's
     * newest minus half a block range only when they arrive in the first append).
     */
    void load(List<ExternalProcess.TimeSeries> series) throws Exception {
        byte[] body = ExternalProcess.writeRequest(series);
        ExternalProcess.remoteWrite(promUrl, body);
        ExternalProcess.remoteWrite(ourUrl, body);
    }

    static JsonNode query(String base, String path, Map<String, String> params) throws Exception {
        return ApiFixture.JSON.readTree(ExternalProcess.postForm(base + path, params).body());
    }

    @Override public void close() throws Exception {
        try {
            prom.close();
        } finally {
            server.close();
        }
    }
}
