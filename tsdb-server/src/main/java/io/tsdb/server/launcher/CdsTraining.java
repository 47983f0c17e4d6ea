package io.tsdb.server.launcher;

import io.airlift.compress.snappy.SnappyCompressor;
import io.tsdb.core.registry.RegistryFormat;
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
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Build step (tsdb-server's {@code package} phase, after the shaded jar): installs the launcher script
 * {@code target/tsdb} beside {@code target/tsdb-server.jar} and makes its class-data archive
 * {@code target/tsdb.jsa} (AppCDS) by a short training run of that script: start on an empty data directory,
 * ingest through each protocol, stop; start again on that data (the restart path: registry, blocks), query
 * through the API, the console and /metrics, ingest (also more series than the registry's first tier holds, so that
 * a new tier is created: the creation path of a first start), stop. The second run's JVM writes every class it loaded
 * to the archive at exit ({@code -XX:ArchiveClassesAtExit}); the launcher maps it at every later start.
 *
 * <p>A failed training run leaves no archive and does not fail the build: the launcher then starts without
 * it (slower start, same behaviour). Usage: {@code CdsTraining <target dir> <launcher script source>}.
 */
public final class CdsTraining {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private CdsTraining() {}

    public static void main(String[] args) throws Exception {
        Path target = Path.of(args[0]).toAbsolutePath();
        Path script = target.resolve("tsdb");
        Files.copy(Path.of(args[1]), script, StandardCopyOption.REPLACE_EXISTING);
        try {
            Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (UnsupportedOperationException e) {
            script.toFile().setExecutable(true, false);
        }
        Path archive = target.resolve("tsdb.jsa");
        Files.deleteIfExists(archive);
        Path work = Files.createTempDirectory(target, "cds-training");
        long t0 = System.nanoTime();
        try {
            train(script, archive, work);
            System.out.printf("CdsTraining: wrote %s (%,d bytes) in %d ms%n", archive, Files.size(archive),
                    (System.nanoTime() - t0) / 1_000_000);
        } catch (Exception e) {
            Files.deleteIfExists(archive);
            System.out.println("CdsTraining: WARNING: no class-data archive (" + e.getMessage()
                    + "); the launcher starts without it. Training log: " + work.resolve("training.log"));
            return;
        }
        deleteTree(work);
    }

    static void train(Path script, Path archive, Path work) throws Exception {
        Path data = work.resolve("data");
        Path log = work.resolve("training.log");
        int port = freePort();
        String base = "http://127.0.0.1:" + port;
        long now = System.currentTimeMillis();

        Process first = start(script, data, port, log, "");
        try {
            awaitReady(first, base);
            ingest(base, now - 3_600_000L, 120);
        } finally {
            stop(first);
        }
        // The run whose classes are archived: restart on existing data, then everything a server does.
        Process second = start(script, data, port, log, "-XX:ArchiveClassesAtExit=" + archive);
        try {
            awaitReady(second, base);
            ingest(base, now - 600_000L, 20);
            // More series than the registry's first tier holds: a new tier is created (Chronicle Map's creation path,
            // which a first start on an empty data directory takes) and the full one sealed.
            newSeries(base, now - 300_000L, (int) RegistryFormat.DEFAULT_FIRST_CAPACITY + 100);
            query(base, now);
        } finally {
            stop(second);
        }
        if (!Files.isRegularFile(archive) || Files.size(archive) == 0) throw new IOException("the JVM wrote no archive");
    }

    private static Process start(Path script, Path data, int port, Path log, String javaOpts) throws IOException {
        ProcessBuilder pb = new ProcessBuilder("sh", script.toString(), "--listen=127.0.0.1:" + port, "--data=" + data)
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        Map<String, String> env = pb.environment();
        env.put("TSDB_JAVA_OPTS", javaOpts);
        return pb.start();
    }

    private static void awaitReady(Process p, String base) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) throw new IOException("server exited with " + p.exitValue());
            try {
                if (get(base + "/-/ready") == 200) return;
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(20);
        }
        throw new IOException("server not ready after 120 s");
    }

    private static void stop(Process p) throws Exception {
        if (!p.isAlive()) return;
        p.destroy(); // SIGTERM: graceful stop, then the JVM exits (and writes the archive)
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("server did not stop");
        }
        if (p.exitValue() != 0) throw new IOException("server exited with " + p.exitValue());
    }

    /** Samples of a few series through remote write (snappy protobuf), Prometheus text and Influx line protocol. */
    private static void ingest(String base, long startMs, int rounds) throws Exception {
        for (int r = 0; r < rounds; r++) {
            long ts = startMs + r * 10_000L;
            ProtoWriter req = new ProtoWriter(), series = new ProtoWriter(), tmp = new ProtoWriter();
            for (int h = 0; h < 20; h++) {
                series.reset();
                label(series, tmp, "__name__", "training_cpu_usage");
                label(series, tmp, "hostname", "host_" + h);
                label(series, tmp, "region", "region_" + (h % 3));
                tmp.reset();
                tmp.fixed64(1, h * 1.5 + r);
                tmp.int64(2, ts);
                series.message(2, tmp);
                req.message(1, series);
            }
            remoteWrite(base, req);
            post(base + "/api/v1/import/prometheus",
                    ("training_requests_total{code=\"200\",path=\"/a\"} " + r + " " + ts + "\n").getBytes(StandardCharsets.UTF_8));
            post(base + "/write?db=training",
                    ("training_mem,host=h1 used=" + r + "i,free=" + (r * 0.5) + " " + ts + "000000\n").getBytes(StandardCharsets.UTF_8));
        }
    }

    /** {@code n} new series, one sample each, in one remote-write request. */
    private static void newSeries(String base, long ts, int n) throws Exception {
        ProtoWriter req = new ProtoWriter(), series = new ProtoWriter(), tmp = new ProtoWriter();
        for (int i = 0; i < n; i++) {
            series.reset();
            label(series, tmp, "__name__", "training_tier_series");
            label(series, tmp, "instance", "instance_" + i);
            tmp.reset();
            tmp.fixed64(1, i);
            tmp.int64(2, ts);
            series.message(2, tmp);
            req.message(1, series);
        }
        remoteWrite(base, req);
    }

    /** Posts {@code req} (a WriteRequest) as a snappy-compressed remote write. */
    private static void remoteWrite(String base, ProtoWriter req) throws Exception {
        byte[] raw = req.toByteArray();
        SnappyCompressor c = new SnappyCompressor();
        byte[] out = new byte[c.maxCompressedLength(raw.length)];
        byte[] body = Arrays.copyOf(out, c.compress(raw, 0, raw.length, out, 0, out.length));
        post(base + "/api/v1/write", body, "Content-Encoding", "snappy", "Content-Type", "application/x-protobuf",
                "X-Prometheus-Remote-Write-Version", "0.1.0");
    }

    private static void query(String base, long now) throws Exception {
        String end = Long.toString(now / 1000), start = Long.toString(now / 1000 - 3600);
        List<String> queries = List.of("training_cpu_usage", "max(max_over_time(training_cpu_usage{hostname=\"host_7\"}[1m]))",
                "avg by (hostname) (avg_over_time(training_cpu_usage[10m]))", "sum by (region) (rate(training_requests_total[5m]))",
                "training_cpu_usage > 10", "{__name__=~\"training_.*\"}", "training_cpu_usage<hostname=host_1>");
        for (int i = 0; i < 5; i++) {
            for (String q : queries) {
                String e = URLEncoder.encode(q, StandardCharsets.UTF_8);
                get(base + "/api/v1/query?query=" + e);
                get(base + "/api/v1/query_range?query=" + e + "&start=" + start + "&end=" + end + "&step=60");
            }
        }
        for (String p : List.of("/api/v1/labels", "/api/v1/label/hostname/values", "/api/v1/series?match%5B%5D=training_cpu_usage",
                "/api/v1/status/buildinfo", "/api/v1/status/tsdb", "/api/v1/metadata",
                "/api/v1/export?match%5B%5D=training_mem_used", "/metrics", "/", "/console/api/storage",
                "/console/api/metrics", "/federate?match%5B%5D=training_cpu_usage", "/no-such-path")) {
            get(base + p);
        }
    }

    private static int get(String url) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60)).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private static void post(String url, byte[] body, String... headers) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
        int code = HTTP.send(b.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        if (code / 100 != 2) throw new IOException("POST " + url + " answered " + code);
    }

    /** A remote-write Label {name = 1, value = 2} into {@code series}. */
    private static void label(ProtoWriter series, ProtoWriter tmp, String name, String value) {
        tmp.reset();
        tmp.string(1, name);
        tmp.string(2, value);
        series.message(1, tmp);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void deleteTree(Path p) throws IOException {
        try (Stream<Path> s = Files.walk(p)) {
            for (Path x : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(x);
        }
    }
}
