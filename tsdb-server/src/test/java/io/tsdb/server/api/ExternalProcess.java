package io.tsdb.server.api;

import io.airlift.compress.snappy.SnappyCompressor;
import io.tsdb.server.ingest.proto.ProtoWriter;


import java.io.IOException;
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
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** Helpers for tests against real external programs (Prometheus, vmalert) on loopback. */
final class ExternalProcess implements AutoCloseable {
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    final Process process;
    final Path log;

    private ExternalProcess(Process p, Path log) {
        this.process = p;
        this.log = log;
    }

    static ExternalProcess start(Path log, List<String> cmd) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        return new ExternalProcess(pb.start(), log);
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }

    /** Waits until GET url answers 200 (the program is up), failing with the program's log otherwise. */
    void awaitOk(String url, Duration max) throws Exception {
        long deadline = System.nanoTime() + max.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) throw new AssertionError("process exited with " + process.exitValue() + ":\n" + tail());
            try {
                HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) return;
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new AssertionError("not ready after " + max + ": " + url + "\n" + tail());
    }

    String tail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    @Override public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor();
        }
    }

    /** One series for a remote-write request. */
    record TimeSeries(String[] labels, long[] ts, double[] vs) {}

    /** A snappy-compressed remote-write 1.0 WriteRequest. */
    static byte[] writeRequest(List<TimeSeries> series) {
        ProtoWriter req = new ProtoWriter(), ts = new ProtoWriter(), tmp = new ProtoWriter();
        for (TimeSeries s : series) {
            ts.reset();
            for (int i = 0; i < s.labels().length; i += 2) {
                tmp.reset();
                tmp.string(1, s.labels()[i]);
                tmp.string(2, s.labels()[i + 1]);
                ts.message(1, tmp);
            }
            for (int i = 0; i < s.ts().length; i++) {
                tmp.reset();
                tmp.fixed64(1, s.vs()[i]);
                tmp.int64(2, s.ts()[i]);
                ts.message(2, tmp);
            }
            req.message(1, ts);
        }
        SnappyCompressor c = new SnappyCompressor();
        byte[] out = new byte[c.maxCompressedLength(req.length())];
        return Arrays.copyOf(out, c.compress(req.buffer(), 0, req.length(), out, 0, out.length));
    }

    static void remoteWrite(String baseUrl, byte[] body) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(baseUrl + "/api/v1/write"))
                .header("Content-Type", "application/x-protobuf").header("Content-Encoding", "snappy")
                .header("X-Prometheus-Remote-Write-Version", "0.1.0")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() / 100 != 2) throw new AssertionError("remote write to " + baseUrl + ": " + r.statusCode() + " " + r.body());
    }

    static String form(Map<String, String> params) {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, String> e : params.entrySet()) {
            if (sb.length() > 0) sb.append('&');
            sb.append(URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8)).append('=')
                    .append(URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8));
        }
        return sb.toString();
    }

    static HttpResponse<String> postForm(String url, Map<String, String> params) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form(params))).build(), HttpResponse.BodyHandlers.ofString());
    }
}
