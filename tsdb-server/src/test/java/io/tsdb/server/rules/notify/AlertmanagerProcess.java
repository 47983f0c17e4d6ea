package io.tsdb.server.rules.notify;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A real Alertmanager (the Debian package's binary) as a child process on an ephemeral loopback port, routing every
 * alert to a webhook served by the test (firing and resolved notifications, grouped by alertname, sent after 1 s),
 * so a test sees exactly what Alertmanager received. It can be stopped and started again on the same port and
 * storage (an outage).
 */
final class AlertmanagerProcess implements AutoCloseable {
    static final String BINARY = "/usr/bin/prometheus-alertmanager";
    static final ObjectMapper JSON = new ObjectMapper();

    final Path dir;
    final int port;
    final HttpServer hook;
    /** Every alert of every webhook notification, in arrival order. */
    final List<JsonNode> notified = new ArrayList<>();
    private Process process;

    static void assumeInstalled() {
        Assumptions.assumeTrue(Files.isExecutable(Path.of(BINARY)),
                "skipped: " + BINARY + " is not installed (apt-get install prometheus-alertmanager; .ci/run installs it)");
    }

    AlertmanagerProcess(Path dir) throws Exception {
        assumeInstalled();
        this.dir = dir;
        this.port = freePort();
        hook = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        hook.createContext("/hook", ex -> {
            JsonNode body = JSON.readTree(ex.getRequestBody());
            synchronized (notified) {
                for (JsonNode a : body.get("alerts")) notified.add(a);
                notified.notifyAll();
            }
            ex.sendResponseHeaders(200, -1);
            ex.close();
        });
        hook.start();
        Files.writeString(dir.resolve("am.yml"), """
                route:
                  receiver: hook
                  group_by: ['alertname']
                  group_wait: 1s
                  group_interval: 1s
                  repeat_interval: 1h
                receivers:
                  - name: hook
                    webhook_configs:
                      - url: http://127.0.0.1:%d/hook
                        send_resolved: true
                """.formatted(hook.getAddress().getPort()));
        start();
    }

    String url() { return "http://127.0.0.1:" + port; }

    void start() throws Exception {
        ProcessBuilder pb = new ProcessBuilder(BINARY, "--config.file=" + dir.resolve("am.yml"),
                "--storage.path=" + dir.resolve("am-data"), "--web.listen-address=127.0.0.1:" + port,
                "--cluster.listen-address=", "--log.level=info")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("am.log").toFile()));
        process = pb.start();
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) throw new AssertionError("alertmanager exited: " + Files.readString(dir.resolve("am.log")));
            try {
                if (http.send(HttpRequest.newBuilder(URI.create(url() + "/-/ready")).build(), HttpResponse.BodyHandlers.discarding())
                        .statusCode() == 200) return;
            } catch (IOException e) {
                // not up yet
            }
            Thread.sleep(100);
        }
        throw new AssertionError("alertmanager not ready: " + Files.readString(dir.resolve("am.log")));
    }

    /** Graceful stop (SIGTERM): it saves its notification log, as in a real restart. */
    void stop() throws InterruptedException {
        if (process == null) return;
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor();
        }
        process = null;
    }

    /** Waits until a notified alert matches, returning it. */
    JsonNode await(Predicate<JsonNode> p, Duration max, String what) throws Exception {
        long deadline = System.nanoTime() + max.toNanos();
        synchronized (notified) {
            while (true) {
                for (JsonNode a : notified) if (p.test(a)) return a;
                long left = deadline - System.nanoTime();
                if (left <= 0) throw new AssertionError("no notification " + what + " within " + max + "; got " + notified);
                notified.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            }
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }

    @Override public void close() throws Exception {
        try {
            stop();
        } finally {
            hook.stop(0);
        }
    }
}
