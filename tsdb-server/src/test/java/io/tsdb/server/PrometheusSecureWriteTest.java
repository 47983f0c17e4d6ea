package io.tsdb.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tsdb.core.testing.MemStorage;
import io.tsdb.server.tls.TestCerts;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Acceptance with a real client: Prometheus 2.42 (/usr/bin/prometheus, a child process on loopback) scrapes itself
 * and remote-writes into this server over mutual TLS with basic auth, through three queues: one with the CA of the
 * self-signed test certificate, a client certificate and the right password (its samples arrive), one without a
 * client certificate (refused in the handshake) and one with a wrong password (401). Nothing of the two refused
 * queues is stored.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class PrometheusSecureWriteTest {
    static final Path PROMETHEUS = Path.of("/usr/bin/prometheus");
    @TempDir Path dir;

    @Test
    void remoteWriteWithBasicAuthAndMutualTls() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(PROMETHEUS),
                "skipped: /usr/bin/prometheus is not installed (apt-get install -y prometheus; .ci/run installs it)");
        TestCerts ca = TestCerts.newCa(Files.createDirectories(dir.resolve("certs")), "tsdb-test-ca");
        ca.issue("server", "localhost", "DNS:localhost,IP:127.0.0.1", true);
        ca.issue("client", "prometheus", "DNS:prometheus.test", false);
        Path web = dir.resolve("web.yml");
        Files.writeString(web, """
                tls_server_config:
                  cert_file: certs/server.pem
                  key_file: certs/server-key.pem
                  client_auth_type: RequireAndVerifyClientCert
                  client_ca_file: certs/ca.pem
                basic_auth_users:
                  admin: $2b$12$hNf2lSsxfm0.i4a.1kVpSOVyBCfIB51VRjgBUyv6kdnyTlgWj81Ay
                """);
        ServerConfig c = new ServerConfig();
        c.listenHost = "127.0.0.1";
        c.listenPort = 0;
        c.dataDir = dir.resolve("data");
        c.webConfigFile = web;
        TsdbServer server = TsdbServer.builder(c).storage(StorageFactory.of(new MemStorage())).start();
        int promPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) { promPort = s.getLocalPort(); }
        Path cfg = dir.resolve("prometheus.yml");
        String queue = """
                  - name: %1$s
                    url: %2$s/api/v1/write
                    basic_auth: {username: admin, password: %3$s}
                    tls_config:
                      ca_file: %4$s
                %5$s
                    write_relabel_configs:
                      - {target_label: queue, replacement: %1$s}
                    queue_config: {batch_send_deadline: 1s, min_backoff: 100ms, max_backoff: 1s}
                """;
        String clientCert = "      cert_file: " + ca.cert("client") + "\n      key_file: " + ca.key("client");
        Files.writeString(cfg, "global: {scrape_interval: 1s, scrape_timeout: 1s}\n"
                + "scrape_configs:\n  - job_name: prom\n    static_configs: [{targets: ['127.0.0.1:" + promPort + "']}]\n"
                + "remote_write:\n"
                + queue.formatted("good", server.baseUrl(), "test", ca.caCert, clientCert)
                + queue.formatted("nocert", server.baseUrl(), "test", ca.caCert, "")
                + queue.formatted("badpw", server.baseUrl(), "wrong", ca.caCert, clientCert));
        Path log = dir.resolve("prometheus.log");
        Process prom = new ProcessBuilder(PROMETHEUS.toString(), "--config.file=" + cfg,
                "--storage.tsdb.path=" + dir.resolve("prom-data"), "--web.listen-address=127.0.0.1:" + promPort)
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        HttpClient ours = HttpClient.newBuilder().sslContext(ca.clientContext("client")).connectTimeout(Duration.ofSeconds(10)).build();
        HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        String auth = "Basic " + Base64.getEncoder().encodeToString("admin:test".getBytes(StandardCharsets.UTF_8));
        try {
            await(() -> queues(ours, server, auth).contains("good"), prom, log, "samples of the good queue");
            await(() -> refused(plain, promPort, "nocert") > 0 && refused(plain, promPort, "badpw") > 0, prom, log,
                    "the refused queues to report failures");
            assertEquals(Set.of("good"), queues(ours, server, auth), "nothing of the refused queues is stored");
            // our API needs the same credentials: a client without a certificate does not get in
            HttpClient noCert = HttpClient.newBuilder().sslContext(ca.clientContext(null)).build();
            assertThrows(java.io.IOException.class, () -> noCert.send(HttpRequest.newBuilder(
                    URI.create(server.baseUrl() + "/api/v1/labels")).header("Authorization", auth).build(),
                    HttpResponse.BodyHandlers.ofString()));
            HttpResponse<String> r = ours.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/api/v1/labels")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(401, r.statusCode(), "a certificate alone is not enough when users are configured");
        } finally {
            // killed: a graceful stop would wait for the refused queues to flush (their flush deadline)
            prom.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            server.stop();
        }
    }

    /** The values of the queue label among the stored up series. */
    static Set<String> queues(HttpClient http, TsdbServer server, String auth) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/api/v1/query?query="
                    + URLEncoder.encode("up{job=\"prom\"}", StandardCharsets.UTF_8))).header("Authorization", auth).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
            Set<String> out = new TreeSet<>();
            for (JsonNode s : new ObjectMapper().readTree(r.body()).path("data").path("result")) out.add(s.path("metric").path("queue").asText());
            return out;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** Samples Prometheus reports as failed or retried for a queue (its own /metrics, plain HTTP). */
    static double refused(HttpClient http, int promPort, String queue) {
        try {
            String m = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + promPort + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            double sum = 0;
            for (String line : m.split("\n")) {
                if ((line.startsWith("prometheus_remote_storage_samples_failed_total{")
                        || line.startsWith("prometheus_remote_storage_samples_retried_total{"))
                        && line.contains("remote_name=\"" + queue + "\"")) {
                    sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                }
            }
            return sum;
        } catch (Exception e) {
            return 0;   // Prometheus not listening yet
        }
    }

    static void await(BooleanSupplier cond, Process prom, Path log, String what) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!cond.getAsBoolean()) {
            if (!prom.isAlive()) fail("prometheus exited (" + prom.exitValue() + ") waiting for " + what + ":\n" + Files.readString(log));
            if (System.nanoTime() > deadline) fail("no " + what + " within 120 s; prometheus log:\n" + Files.readString(log));
            Thread.sleep(250);
        }
    }
}
