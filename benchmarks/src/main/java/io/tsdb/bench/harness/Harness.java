package io.tsdb.bench.harness;

import io.tsdb.bench.TsbsCpuData;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The side-by-side harness: generates TSBS cpu-only shaped data, runs this server, Prometheus and
 * VictoriaMetrics (those installed) on loopback with fresh data directories, sends each the identical
 * remote-write load, and measures ingest rate, peak RSS, RSS per series, bytes per sample on disk, time to
 * ready after a restart and median latency of TSBS-style range queries; checks that the answers agree;
 * writes docs/benchmarks.md with tables, ratios and PNG charts.
 *
 * <pre>
 * mvn -q -B -DskipTests package
 * java -cp benchmarks/target/benchmarks.jar io.tsdb.bench.harness.Harness [--hosts=1000] [--hours=6]
 *      [--senders=4] [--runs=10] [--warmup=30] [--warmup-ms=3000] [--targets=tsdb,prometheus,victoriametrics] [--out=docs/benchmarks.md]
 *      [--heap=1g] [--tsdb-jvm="-XX:StartFlightRecording=filename=/tmp/tsdb-%n.jfr,settings=profile"] (%n: start number)
 * </pre>
 */
public final class Harness {
    static final ObjectMapper JSON = new ObjectMapper();

    /** Everything measured for one database. */
    static final class Result {
        final String name;
        String version;
        long firstStartMs;
        long ingestMs;
        long rejectedRequests;
        long peakRssBytes;
        long rssAfterIngestBytes;
        long storedBytes;
        long restartReadyMs;
        long seriesAfterRestart;
        final Map<String, Long> storedBreakdown = new LinkedHashMap<>();
        final Map<String, Double> medianQueryMs = new LinkedHashMap<>();
        final Map<String, JsonNode> answers = new LinkedHashMap<>();
        final Map<String, String> queryErrors = new LinkedHashMap<>();
        String failure;

        Result(String name) { this.name = name; }
    }

    public static void main(String[] args) throws Exception {
        System.setProperty("java.awt.headless", "true");
        Map<String, String> o = options(args);
        int hosts = Integer.parseInt(o.getOrDefault("hosts", "1000"));
        double hours = Double.parseDouble(o.getOrDefault("hours", "6"));
        int senders = Integer.parseInt(o.getOrDefault("senders", "4"));
        int runs = Integer.parseInt(o.getOrDefault("runs", "10"));
        // Unmeasured runs of each query before the measured ones, for every database alike: a JVM server answers
        // its first requests of a kind interpreted, and on 2 cores its JIT compiler threads compete with the
        // queries for a while; a production server has long reached its steady speed. Each query is repeated
        // for at least --warmup-ms (and at least --warmup times, at most 2,000 times) before it is measured.
        WARMUP = Integer.parseInt(o.getOrDefault("warmup", "30"));
        WARMUP_MS = Long.parseLong(o.getOrDefault("warmup-ms", "3000"));
        int batch = Integer.parseInt(o.getOrDefault("batch-points", "30"));
        List<String> names = List.of(o.getOrDefault("targets", "tsdb,prometheus,victoriametrics").split(","));
        Path work = Path.of(o.getOrDefault("work", "benchmarks/target/harness"));
        Path out = Path.of(o.getOrDefault("out", "docs/benchmarks.md"));
        Path jar = Path.of(o.getOrDefault("jar", "tsdb-server/target/tsdb-server.jar"));
        // 1g: 512m already ingests at full speed (256m does not); a larger heap only grows RSS (docs/operations.md).
        String heap = o.getOrDefault("heap", "1g");
        // Extra JVM flags for this server, space-separated, e.g. a JFR recording for a profile of the run.
        List<String> jvmArgs = o.containsKey("tsdb-jvm") ? List.of(o.get("tsdb-jvm").trim().split("\\s+")) : List.of();

        deleteTree(work);
        Files.createDirectories(work);
        long interval = 10_000;
        int points = (int) Math.round(hours * 3600_000 / interval);
        long now = System.currentTimeMillis();
        long start = (now - points * interval) / 60_000 * 60_000 - 60_000 + 437; // off whole seconds
        TsbsCpuData data = new TsbsCpuData(hosts, start, interval, points, 42);
        System.out.printf(Locale.ROOT, "data: %d hosts, %d series, %d points each, %,d samples%n",
                hosts, data.seriesCount(), points, data.sampleCount());

        long t0 = System.nanoTime();
        List<List<byte[]>> payloads = encode(data, senders, batch);
        long payloadBytes = payloads.stream().flatMap(List::stream).mapToLong(b -> b.length).sum();
        System.out.printf(Locale.ROOT, "encoded %,d requests, %,d bytes, in %d ms%n",
                payloads.stream().mapToInt(List::size).sum(), payloadBytes, (System.nanoTime() - t0) / 1_000_000);

        List<Result> results = new ArrayList<>();
        for (String name : names) {
            Target t = switch (name.trim()) {
                case "tsdb" -> Files.exists(jar) ? new Targets.Ours(work, jar, heap, jvmArgs) : null;
                case "prometheus" -> onPath("prometheus") ? new Targets.Prometheus(work) : null;
                case "victoriametrics" -> onPath("victoria-metrics") ? new Targets.Victoria(work) : null;
                default -> throw new IllegalArgumentException("unknown target " + name);
            };
            if (t == null) {
                System.out.println("skipping " + name + ": not installed / not built");
                continue;
            }
            results.add(run(t, data, payloads, runs));
        }
        Report.write(out, data, senders, runs, payloadBytes, results, o);
        System.out.println("wrote " + out);
    }

    static Result run(Target t, TsbsCpuData data, List<List<byte[]>> payloads, int runs) throws Exception {
        Result r = new Result(t.name);
        r.version = t.version();
        System.out.println("== " + t.name + " (" + r.version + ")");
        try {
            r.firstStartMs = t.start();
            ingest(t, payloads, r);
            System.out.printf(Locale.ROOT, "ingest: %,.0f samples/s, peak RSS %d MiB, %d rejected requests%n",
                    data.sampleCount() * 1000.0 / r.ingestMs, r.peakRssBytes >> 20, r.rejectedRequests);
            t.flush();
            r.storedBytes = t.storedBytes();
            r.storedBreakdown.putAll(t.storedBreakdown);
            System.out.printf(Locale.ROOT, "disk: %,d bytes, %.3f bytes/sample%n", r.storedBytes,
                    (double) r.storedBytes / data.sampleCount());
            queries(t, data, runs, r);
            t.stop();
            r.restartReadyMs = t.start();
            r.seriesAfterRestart = countSeries(t, data);
            System.out.printf(Locale.ROOT, "restart: ready in %d ms, %d series answer%n", r.restartReadyMs, r.seriesAfterRestart);
        } catch (Exception e) {
            r.failure = e.toString();
            System.out.println("FAILED: " + e);
        } finally {
            t.stop();
        }
        return r;
    }

    /** Pre-encodes, per sender, one request per round of {@code batch} points over the sender's hosts. */
    static List<List<byte[]>> encode(TsbsCpuData data, int senders, int batch) {
        List<List<byte[]>> out = new ArrayList<>();
        for (int k = 0; k < senders; k++) {
            List<Integer> hosts = data.hostsOf(k, senders);
            double[][][] values = new double[hosts.size()][TsbsCpuData.FIELDS.length][];
            for (int i = 0; i < hosts.size(); i++) {
                for (int f = 0; f < TsbsCpuData.FIELDS.length; f++) values[i][f] = data.values(hosts.get(i), f);
            }
            List<byte[]> requests = new ArrayList<>();
            RemoteWriteEncoder enc = new RemoteWriteEncoder();
            for (int from = 0; from < data.points; from += batch) {
                int to = Math.min(data.points, from + batch);
                for (int i = 0; i < hosts.size(); i++) {
                    for (int f = 0; f < TsbsCpuData.FIELDS.length; f++) {
                        enc.addSeries(data.labels[hosts.get(i)][f], data.startMs, data.intervalMs, values[i][f], from, to);
                    }
                }
                requests.add(enc.finish());
            }
            out.add(requests);
        }
        return out;
    }

    /** Senders in lock-step rounds (all finish round r before any starts r+1), so no series runs ahead in time. */
    static void ingest(Target t, List<List<byte[]>> payloads, Result r) throws Exception {
        int senders = payloads.size();
        int rounds = payloads.get(0).size();
        CyclicBarrier barrier = new CyclicBarrier(senders);
        AtomicLong rejected = new AtomicLong();
        AtomicReference<Exception> error = new AtomicReference<>();
        AtomicLong peak = new AtomicLong();
        Thread sampler = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                peak.accumulateAndGet(t.rssBytes(), Math::max);
                try { Thread.sleep(100); } catch (InterruptedException e) { return; }
            }
        });
        sampler.setDaemon(true);
        sampler.start();
        List<Thread> threads = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int k = 0; k < senders; k++) {
            List<byte[]> mine = payloads.get(k);
            Thread th = new Thread(() -> {
                try {
                    for (int i = 0; i < rounds; i++) {
                        byte[] body = i < mine.size() ? mine.get(i) : null;
                        if (body != null) {
                            int code = t.post("/api/v1/write", body, "Content-Encoding", "snappy",
                                    "Content-Type", "application/x-protobuf", "X-Prometheus-Remote-Write-Version", "0.1.0");
                            if (code / 100 != 2) rejected.incrementAndGet();
                        }
                        barrier.await();
                    }
                } catch (Exception e) {
                    error.compareAndSet(null, e);
                    barrier.reset();
                }
            }, "sender-" + k);
            threads.add(th);
            th.start();
        }
        for (Thread th : threads) th.join();
        r.ingestMs = Math.max(1, (System.nanoTime() - t0) / 1_000_000);
        sampler.interrupt();
        r.rejectedRequests = rejected.get();
        r.rssAfterIngestBytes = t.rssBytes();
        r.peakRssBytes = Math.max(peak.get(), t.peakRssBytes());
        if (error.get() != null) throw error.get();
    }

    static int WARMUP = 30;
    static long WARMUP_MS = 3000;

    static void queries(Target t, TsbsCpuData data, int runs, Result r) throws Exception {
        long end = (data.endMs() / 60_000) * 60_000;
        for (TsbsQueries.Query q : TsbsQueries.all()) {
            long start = Math.max(end - q.rangeMs(), (data.startMs / 60_000 + 1) * 60_000);
            if (q.rangeMs() == 0) start = end;
            String url = "/api/v1/query_range?query=" + URLEncoder.encode(q.promql(), StandardCharsets.UTF_8)
                    + "&start=" + seconds(start) + "&end=" + seconds(end) + "&step=" + seconds(q.stepMs()) + "&nocache=1";
            try {
                String body = null;
                long warmUntil = System.nanoTime() + WARMUP_MS * 1_000_000;
                for (int i = 0; i < 2000 && (i < Math.max(1, WARMUP) || System.nanoTime() < warmUntil); i++) body = t.get(url);
                double[] ms = new double[runs];
                for (int i = 0; i < runs; i++) {
                    long t0 = System.nanoTime();
                    body = t.get(url);
                    ms[i] = (System.nanoTime() - t0) / 1e6;
                }
                Arrays.sort(ms);
                r.medianQueryMs.put(q.name(), runs % 2 == 1 ? ms[runs / 2] : (ms[runs / 2 - 1] + ms[runs / 2]) / 2);
                r.answers.put(q.name(), JSON.readTree(body).path("data").path("result"));
                System.out.printf(Locale.ROOT, "  %-24s %8.2f ms (%d series)%n", q.name(), r.medianQueryMs.get(q.name()),
                        r.answers.get(q.name()).size());
            } catch (Exception e) {
                r.queryErrors.put(q.name(), e.getMessage());
                System.out.println("  " + q.name() + " FAILED: " + e.getMessage());
            }
        }
    }

    static long countSeries(Target t, TsbsCpuData data) throws Exception {
        String url = "/api/v1/query?query=" + URLEncoder.encode("count({__name__=~\"cpu_.*\"})", StandardCharsets.UTF_8)
                + "&time=" + seconds(data.endMs());
        JsonNode res = JSON.readTree(t.get(url)).path("data").path("result");
        return res.isEmpty() ? 0 : (long) Double.parseDouble(res.get(0).path("value").get(1).asText());
    }

    static String seconds(long ms) { return String.format(Locale.ROOT, "%.3f", ms / 1000.0); }

    static boolean onPath(String exe) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Path.of(dir, exe))) return true;
        }
        return false;
    }

    static Map<String, String> options(String[] args) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String a : args) {
            if (!a.startsWith("--") || !a.contains("=")) throw new IllegalArgumentException("expected --name=value, got " + a);
            m.put(a.substring(2, a.indexOf('=')), a.substring(a.indexOf('=') + 1));
        }
        return m;
    }

    static void deleteTree(Path p) throws Exception {
        if (!Files.exists(p)) return;
        try (var s = Files.walk(p)) {
            for (Path x : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(x);
        }
    }
}
