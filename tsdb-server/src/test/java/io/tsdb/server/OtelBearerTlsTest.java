package io.tsdb.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.exporter.otlp.http.metrics.OtlpHttpMetricExporter;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.export.PeriodicMetricReader;
import io.opentelemetry.sdk.resources.Resource;
import io.tsdb.core.testing.MemStorage;
import io.tsdb.server.auth.Authenticator;
import io.tsdb.server.tls.TestCerts;
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
 * A real client with a bearer token over TLS: the OpenTelemetry SDK's OTLP/HTTP exporter, trusting the test CA,
 * sends "Authorization: Bearer <token>" (a tsdb_bearer_tokens identity); its metric is stored. The same exporter
 * without the token, or with another one, is refused (401) and stores nothing.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class OtelBearerTlsTest {
    static final String TOKEN = "3f9c2a7d5e8b41f0a6c3d2e1b0a99887";
    @TempDir Path dir;

    @Test
    void openTelemetrySdkWithBearerTokenOverTls() throws Exception {
        TestCerts ca = TestCerts.newCa(Files.createDirectories(dir.resolve("certs")), "tsdb-test-ca");
        ca.issue("server", "localhost", "DNS:localhost,IP:127.0.0.1", true);
        Files.writeString(dir.resolve("web.yml"), "tls_server_config: {cert_file: certs/server.pem, key_file: certs/server-key.pem}\n"
                + "tsdb_bearer_tokens:\n  otel-collector: " + Authenticator.tokenDigest(TOKEN) + "\n");
        ServerConfig c = new ServerConfig();
        c.listenHost = "127.0.0.1";
        c.listenPort = 0;
        c.dataDir = dir.resolve("data");
        c.webConfigFile = dir.resolve("web.yml");
        TsdbServer server = TsdbServer.builder(c).storage(StorageFactory.of(new MemStorage())).start();
        try {
            byte[] caPem = Files.readAllBytes(ca.caCert);
            assertTrue(export(server, caPem, "Bearer " + TOKEN, "good").isSuccess());
            assertFalse(export(server, caPem, null, "anonymous").isSuccess());
            assertFalse(export(server, caPem, "Bearer not-the-token", "wrong").isSuccess());
            HttpClient http = HttpClient.newBuilder().sslContext(ca.clientContext(null)).build();
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/api/v1/query?query="
                    + URLEncoder.encode("otel_orders_total", StandardCharsets.UTF_8))).header("Authorization", "Bearer " + TOKEN).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
            JsonNode result = new ObjectMapper().readTree(r.body()).path("data").path("result");
            assertEquals(1, result.size(), r.body());
            assertEquals("good", result.get(0).path("metric").path("client").asText());
            assertEquals("7", result.get(0).path("value").get(1).asText());
        } finally {
            server.stop();
        }
    }

    static CompletableResultCode export(TsdbServer server, byte[] caPem, String authorization, String client) {
        var b = OtlpHttpMetricExporter.builder().setEndpoint(server.baseUrl() + "/api/v1/otlp/v1/metrics")
                .setTrustedCertificates(caPem).setTimeout(Duration.ofSeconds(20));
        if (authorization != null) b.addHeader("Authorization", authorization);
        PeriodicMetricReader reader = PeriodicMetricReader.builder(b.build()).setInterval(Duration.ofHours(1)).build();
        SdkMeterProvider provider = SdkMeterProvider.builder().setResource(Resource.getDefault())
                .registerMetricReader(reader).build();
        try {
            provider.get("io.tsdb.test").counterBuilder("otel.orders").build()
                    .add(7, Attributes.of(AttributeKey.stringKey("client"), client));
            return provider.forceFlush().join(30, TimeUnit.SECONDS);
        } finally {
            provider.shutdown().join(10, TimeUnit.SECONDS);
        }
    }
}
