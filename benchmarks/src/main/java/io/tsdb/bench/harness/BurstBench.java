package io.tsdb.bench.harness;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A burst of brand-new series, side by side (issue 14: "a burst of 1M brand-new series: time at most
 * VictoriaMetrics's, RSS after at most 2x its RSS"). The remote-write bodies are encoded once before any database
 * starts, so every target gets byte-identical requests: {@code --series} new series (default 1,000,000), each with
 * {@code --samples} samples (default 1), {@code --batch} series per request (default 2,000, Prometheus' default
 * max_samples_per_send), sent by {@code --senders} concurrent connections (default 4, like remote-write shards);
 * a 429/503 answer is retried after 100 ms, as a remote-write sender would.
 *
 * <p>Reported per database: time from the first request to the last acknowledgement, server CPU seconds over that
 * time (utime + stime from /proc), peak RSS (VmHWM), RSS 10 s and {@code --settle} s (default 60) after the last
 * acknowledgement, CPU seconds until then, and the number of series a {@code count(...)} query finds afterwards (one
 * query per metric name, summed; VictoriaMetrics is flushed first so that its latest data is searchable). Ratios are
 * this server's figure over each peer's, from the same run.
 *
 * <p>This server runs as README says (the launcher {@code tsdb-server/target/tsdb}, no flags; see {@link Targets.Ours}).
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.tsdb.bench.harness.BurstBench [--series=1000000] [--samples=1]
 *      [--batch=2000] [--senders=4] [--settle=60] [--targets=tsdb,victoriametrics,prometheus]
 *      [--java-opts='...' with target tsdb-opts] [--launcher=tsdb-server/target/tsdb] [--out=docs/benchmarks.md]
 *      (a target name=path/to/launcher runs another build of this server, e.g. base=/tmp/base/tsdb, for an A/B)
 * </pre>
 */
public final class BurstBench {
    /** Series are spread over this many metric names, so that each count query touches a tenth of them. */
    static final int METRICS = 10;

    record Result(String name, String version, long ackMillis, double ingestCpu, long peakRss, long rss10, long rssSettled,
                  double settledCpu, long counted, long retries, String failure, Map<String, Double> threadCpu) {}

    public static void main(String[] args) throws Exception {
        Map<String, String> o = Harness.options(args);
        int series = Integer.parseInt(o.getOrDefault("series", "1000000"));
        int samples = Integer.parseInt(o.getOrDefault("samples", "1"));
        int batch = Integer.parseInt(o.getOrDefault("batch", "2000"));
        int senders = Integer.parseInt(o.getOrDefault("senders", "4"));
        // the bench's own heap fixed and touched at start, as the harness's: the first-listed target's measurements
        // do not pay for the client's heap growth
        if (OwnJvm.ranPreTouched(BurstBench.class, args, OwnJvm.heapMiB((long) series * samples))) return;
        int settle = Integer.parseInt(o.getOrDefault("settle", "60"));
        Path launcher = Path.of(o.getOrDefault("launcher", "tsdb-server/target/tsdb"));
        Path out = Path.of(o.getOrDefault("out", "docs/benchmarks.md"));
        Path work = Files.createTempDirectory("burst-bench");
        long t0 = System.currentTimeMillis() / 1000 * 1000;
        List<byte[]> bodies = encode(series, samples, batch, t0);
        long bytes = bodies.stream().mapToLong(b -> b.length).sum();
        System.out.printf(Locale.ROOT, "%,d requests, %,d bytes (snappy) in all%n", bodies.size(), bytes);
        List<Result> results = new ArrayList<>();
        for (String name : o.getOrDefault("targets", "tsdb,victoriametrics,prometheus").split(",")) {
            Target t = Targets.named(name, work, launcher, o);
            results.add(run(t, bodies, senders, settle, t0 + (samples - 1) * 15_000L));
        }
        String md = report(results, series, samples, batch, senders, settle, bodies.size(), bytes);
        System.out.println(md);
        if (Files.exists(out)) Report.replaceSection(out, "burst", md);
        System.out.println("work directory (logs): " + work);
    }

    static String[] labels(int i) {
        return new String[]{"__name__", "burst_metric_" + (i % METRICS), "job", "node", "instance",
                "host-" + (i / 100) % 10_000 + ":9100", "zone", "zone-" + (i % 3), "pod", "pod-" + Integer.toHexString(0x1000000 + i)};
    }

    /** The requests: series [k*batch, (k+1)*batch) in request k, samples 15 s apart ending at t0 + (samples-1)*15 s. */
    static List<byte[]> encode(int series, int samples, int batch, long t0) {
        List<byte[]> bodies = new ArrayList<>();
        RemoteWriteEncoder enc = new RemoteWriteEncoder();
        double[] values = new double[samples];
        for (int from = 0; from < series; from += batch) {
            for (int i = from; i < Math.min(series, from + batch); i++) {
                for (int s = 0; s < samples; s++) values[s] = (i % 1000) + s;
                enc.addSeries(labels(i), t0, 15_000, values, 0, samples);
            }
            bodies.add(enc.finish());
        }
        return bodies;
    }

    static Result run(Target t, List<byte[]> bodies, int senders, int settle, long lastTs) throws Exception {
        System.out.printf(Locale.ROOT, "== %s ==%n", t.name);
        t.start();
        try {
            Thread.sleep(2000);   // let start-up work (JIT, first flush checks) settle before the clock starts
            double cpu0 = t.cpuSeconds();
            AtomicInteger next = new AtomicInteger();
            AtomicLong retries = new AtomicLong();
            String[] failure = new String[1];
            long start = System.nanoTime();
            List<Thread> threads = new ArrayList<>();
            for (int s = 0; s < senders; s++) {
                Thread th = new Thread(() -> {
                    for (int k; (k = next.getAndIncrement()) < bodies.size() && failure[0] == null; ) {
                        try {
                            for (int attempt = 0; ; attempt++) {
                                HttpResponse<String> r = Target.HTTP.send(HttpRequest.newBuilder(URI.create(t.base() + "/api/v1/write"))
                                        .timeout(Duration.ofMinutes(5)).header("Content-Type", "application/x-protobuf")
                                        .header("Content-Encoding", "snappy").header("X-Prometheus-Remote-Write-Version", "0.1.0")
                                        .POST(HttpRequest.BodyPublishers.ofByteArray(bodies.get(k))).build(), HttpResponse.BodyHandlers.ofString());
                                if (r.statusCode() / 100 == 2) break;
                                if ((r.statusCode() == 429 || r.statusCode() == 503) && attempt < 600) {
                                    retries.incrementAndGet();
                                    Thread.sleep(100);
                                    continue;
                                }
                                failure[0] = "request " + k + ": HTTP " + r.statusCode() + " " + r.body().strip();
                                break;
                            }
                        } catch (Exception e) {
                            failure[0] = "request " + k + ": " + e;
                        }
                    }
                }, "burst-sender-" + s);
                th.start();
                threads.add(th);
            }
            for (Thread th : threads) th.join();
            long ackMillis = (System.nanoTime() - start) / 1_000_000;
            double ingestCpu = t.cpuSeconds() - cpu0;
            long peak = t.peakRssBytes();
            System.out.printf(Locale.ROOT, "acknowledged in %.1f s, server CPU %.1f s, peak RSS %,d MiB, retries %d%s%n",
                    ackMillis / 1000.0, ingestCpu, peak >> 20, retries.get(), failure[0] == null ? "" : ", FAILED " + failure[0]);
            long end = System.nanoTime();
            sleepUntil(end + 10_000_000_000L);
            long rss10 = t.rssBytes();
            sleepUntil(end + settle * 1_000_000_000L);
            long rssSettled = t.rssBytes();
            double settledCpu = t.cpuSeconds() - cpu0;
            peak = t.peakRssBytes();
            Map<String, Double> threadCpu = t.threadCpuSeconds();
            System.out.printf(Locale.ROOT, "RSS 10 s after %,d MiB, %d s after %,d MiB; CPU until then %.1f s%n",
                    rss10 >> 20, settle, rssSettled >> 20, settledCpu);
            if (t instanceof Targets.Victoria) t.flush();
            long counted = 0;
            for (int m = 0; m < METRICS; m++) {
                String q = "count(burst_metric_" + m + ")";
                counted += ChurnBench.scalar(t.get("/api/v1/query?query=" + URLEncoder.encode(q, StandardCharsets.UTF_8)
                        + "&time=" + (lastTs / 1000.0 + 1)));
            }
            System.out.printf(Locale.ROOT, "series counted by query: %,d%n", counted);
            return new Result(t.name, t.version(), ackMillis, ingestCpu, peak, rss10, rssSettled, settledCpu, counted,
                    retries.get(), failure[0], threadCpu);
        } finally {
            t.stop();
        }
    }

    static void sleepUntil(long nanoTime) throws InterruptedException {
        long ms = (nanoTime - System.nanoTime()) / 1_000_000;
        if (ms > 0) Thread.sleep(ms);
    }

    static String report(List<Result> rs, int series, int samples, int batch, int senders, int settle, int requests, long bytes) {
        StringBuilder md = new StringBuilder("## A burst of brand-new series\n\n");
        md.append(String.format(Locale.ROOT, "%,d series never seen before, %d sample(s) each, in %,d remote-write requests of %,d series "
                + "(%,d bytes snappy in all, encoded once, identical for every database), sent by %d concurrent senders to one "
                + "freshly started database after the other on this machine. Command: `java -cp benchmarks/target/benchmarks.jar "
                + "io.tsdb.bench.harness.BurstBench --series=%d --samples=%d --batch=%d --senders=%d --settle=%d`.%n%n",
                series, samples, requests, batch, bytes, senders, series, samples, batch, senders, settle));
        md.append("| | ");
        for (Result r : rs) md.append(r.name()).append(" | ");
        md.append("\n|---|");
        for (int i = 0; i < rs.size(); i++) md.append("---:|");
        md.append('\n');
        row(md, rs, "time to acknowledge all, s", r -> String.format(Locale.ROOT, "%.1f", r.ackMillis() / 1000.0));
        row(md, rs, "server CPU over that time, s", r -> String.format(Locale.ROOT, "%.1f", r.ingestCpu()));
        row(md, rs, "peak RSS, MiB", r -> String.format(Locale.ROOT, "%,d", r.peakRss() >> 20));
        row(md, rs, "RSS 10 s after, MiB", r -> String.format(Locale.ROOT, "%,d", r.rss10() >> 20));
        row(md, rs, "RSS " + settle + " s after, MiB", r -> String.format(Locale.ROOT, "%,d", r.rssSettled() >> 20));
        row(md, rs, "server CPU until then, s", r -> String.format(Locale.ROOT, "%.1f", r.settledCpu()));
        row(md, rs, "series found by count()", r -> String.format(Locale.ROOT, "%,d", r.counted()));
        row(md, rs, "requests retried (429/503)", r -> Long.toString(r.retries()));
        row(md, rs, "failure", r -> r.failure() == null ? "-" : r.failure());
        List<Result> peers = rs.stream().filter(r -> r.name().equals("victoriametrics") || r.name().equals("prometheus")).toList();
        List<Result> ours = rs.stream().filter(r -> !peers.contains(r)).toList();
        if (!ours.isEmpty() && !peers.isEmpty()) {
            md.append("\nThis server's figures over each peer's (same run; below 1 is better for us):\n\n");
            md.append("| build / peer | time | CPU | peak RSS | RSS 10 s after | RSS ").append(settle).append(" s after |\n|---|---:|---:|---:|---:|---:|\n");
            for (Result o : ours) {
                for (Result p : peers) {
                    md.append(String.format(Locale.ROOT, "| %s / %s | %.2f | %.2f | %.2f | %.2f | %.2f |%n", o.name(), p.name(),
                            (double) o.ackMillis() / p.ackMillis(), o.ingestCpu() / p.ingestCpu(),
                            (double) o.peakRss() / p.peakRss(), (double) o.rss10() / p.rss10(), (double) o.rssSettled() / p.rssSettled()));
                }
            }
        }
        for (Result o : ours) {
            md.append("\n").append(o.name()).append(": CPU by thread until ").append(settle).append(" s after, s: ");
            o.threadCpu().entrySet().stream().filter(e -> e.getValue() >= 0.1)
                    .sorted(Map.Entry.<String, Double>comparingByValue().reversed())
                    .forEach(e -> md.append(String.format(Locale.ROOT, "%s %.1f; ", e.getKey(), e.getValue())));
            md.append('\n');
        }
        md.append("\nVersions: ");
        for (Result r : rs) md.append(r.version()).append("; ");
        md.append('\n');
        return md.toString();
    }

    interface Cell { String of(Result r); }

    static void row(StringBuilder md, List<Result> rs, String name, Cell c) {
        md.append("| ").append(name).append(" | ");
        for (Result r : rs) md.append(c.of(r)).append(" | ");
        md.append('\n');
    }

    private BurstBench() {}
}
