package io.tsdb.server.rules.notify;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.tsdb.core.Labels;
import io.tsdb.server.rules.Alert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The notifier makes its HTTP client (the JDK's TLS set-up with it) only when it first sends: a server without
 * Alertmanagers never pays for it at start-up, and one with Alertmanagers still delivers the first alerts.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NotifierClientTest {
    static NotifierAlert alert(String name) {
        return new NotifierAlert(Labels.of("alertname", name, "severity", "page"), new TreeMap<>(Map.of("summary", "s")),
                1_700_000_000_000L, Alert.NONE, "http://tsdb/graph");
    }

    @Test
    void withoutAlertmanagersNoClientIsMade() {
        Notifier n = new Notifier(new Notifier.Options(List.of(), 10, Duration.ofSeconds(2), Map.of()), new PrometheusRegistry());
        try {
            n.send(List.of(alert("A")));
            assertFalse(n.clientMade());
        } finally {
            n.close();
        }
    }

    @Test
    void firstAlertsAreDeliveredThroughTheClientMadeWhenSending() throws Exception {
        LinkedBlockingQueue<byte[]> bodies = new LinkedBlockingQueue<>();
        HttpServer am = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        am.createContext("/api/v2/alerts", ex -> {
            bodies.add(ex.getRequestBody().readAllBytes());
            ex.sendResponseHeaders(200, -1);
            ex.close();
        });
        am.start();
        Notifier n = new Notifier(new Notifier.Options(List.of("http://127.0.0.1:" + am.getAddress().getPort()), 10,
                Duration.ofSeconds(5), Map.of("cluster", "c1")), new PrometheusRegistry());
        try {
            assertFalse(n.clientMade(), "no client before anything is sent");
            n.send(List.of(alert("A"), alert("B")));
            byte[] body = bodies.poll(30, TimeUnit.SECONDS);
            assertNotNull(body, "the Alertmanager received nothing");
            assertTrue(n.clientMade());
            JsonNode arr = new ObjectMapper().readTree(body);
            assertEquals(2, arr.size());
            assertEquals("A", arr.get(0).get("labels").get("alertname").asText());
            assertEquals("c1", arr.get(1).get("labels").get("cluster").asText());
        } finally {
            n.close();
            am.stop(0);
        }
    }
}
