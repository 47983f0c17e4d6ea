package io.tsdb.bench.harness;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A tenant over its ingestion rate does not slow another: the packaged server with a limits file giving tenant
 * {@code noisy} 1,000 samples/s; tenant {@code quiet} (no limit) sends {@code --requests} remote-write requests per
 * sender ({@code --senders}, {@code --series} series of one sample each) and then runs {@code --queries} instant
 * queries, alone, then again while {@code --noisy-senders} threads send as {@code noisy} (all but its first requests
 * answered 429). Alternated {@code --rounds} times in one run, after one unmeasured phase of each (the JIT compiling
 * both paths); reports quiet's samples/s and query median, and noisy's 429 count.
 *
 * <p>{@code --noisy-rate} is the samples per second noisy offers in total (default 100,000: 100 times its limit, a
 * sender pushing what it scrapes and retrying; the requests are paced, a refused one is not retried sooner);
 * {@code --noisy-rate=0} sends in a loop as fast as the client can, which on a 2-core machine also measures how
 * much of the cores the flooding client itself takes from the server and quiet's client.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.tsdb.bench.harness.TenantLimitsBench [--rounds=3] [--senders=2]
 *      [--noisy-senders=2] [--noisy-rate=100000] [--series=2000] [--requests=100] [--queries=100]
 *      [--launcher=tsdb-server/target/tsdb]
 * </pre>
 */
public final class TenantLimitsBench {
    /** Milliseconds between a series' samples. */
    static final long STEP = 1000;
    public static void main(String[] args) throws Exception {
        java.util.Map<String, String> o = Harness.options(args);
        int rounds = Integer.parseInt(o.getOrDefault("rounds", "3"));
        int senders = Integer.parseInt(o.getOrDefault("senders", "2"));
        int noisySenders = Integer.parseInt(o.getOrDefault("noisy-senders", "2"));
        int series = Integer.parseInt(o.getOrDefault("series", "2000"));
        int requests = Integer.parseInt(o.getOrDefault("requests", "100"));
        int queries = Integer.parseInt(o.getOrDefault("queries", "100"));
        double noisyRate = Double.parseDouble(o.getOrDefault("noisy-rate", "100000"));
        Path launcher = Path.of(o.getOrDefault("launcher", "tsdb-server/target/tsdb")).toAbsolutePath();
        Path work = Files.createTempDirectory("tenant-limits-bench");
        Path limits = work.resolve("limits.yml");
        Files.writeString(limits, "overrides:\n  noisy: {ingestion_rate: 1000, ingestion_burst_size: 4000}\n");
        int port = Target.freePort();
        Process p = new ProcessBuilder(launcher.toString(), "--listen=127.0.0.1:" + port, "--data=" + work.resolve("data"),
                "--tenant.limits-file=" + limits).redirectErrorStream(true).redirectOutput(work.resolve("server.log").toFile()).start();
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
        String base = "http://127.0.0.1:" + port;
        double load0 = SecurityBench.loadAverage();
        StringBuilder b = new StringBuilder("| round | quiet alone: samples/s | quiet with noisy over its rate: samples/s | ratio |"
                + " quiet query median ms alone / with noisy | noisy requests answered 429 |\n| --- | ---: | ---: | ---: | ---: | ---: |\n");
        try {
            SecurityBench.awaitReady(http, base, p);
            // one sample per series per second of data, ending before now (all within the out-of-order window)
            long t = System.currentTimeMillis() - (2L * (rounds + 1) * requests + 120) * STEP;
            // one unmeasured round: both paths compiled before anything is measured
            quiet(http, base, senders, series, requests, queries, t);
            withNoisy(http, base, senders, noisySenders, noisyRate, series, requests, queries, t + requests * STEP, new AtomicLong());
            double[] ratios = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                long t0 = t + (r + 1) * 2L * requests * STEP, t1 = t0 + requests * STEP;
                double[] alone = quiet(http, base, senders, series, requests, queries, t0);
                AtomicLong refused = new AtomicLong();
                double[] with = withNoisy(http, base, senders, noisySenders, noisyRate, series, requests, queries, t1, refused);
                ratios[r] = with[0] / alone[0];
                b.append(String.format(Locale.ROOT, "| %d | %,.0f | %,.0f | %.3f | %.1f / %.1f | %,d |%n", r + 1, alone[0], with[0],
                        ratios[r], alone[1], with[1], refused.get()));
            }
            b.append(String.format(Locale.ROOT, "%nmedian ratio %.3f; quiet: %d senders x %d requests x %d series per phase; noisy: %d"
                    + " senders offering %s, limit 1000 samples/s, burst 4000; load average %.2f at the start, %.2f at the end; %s%n",
                    SecurityBench.median(ratios), senders, requests, series, noisySenders,
                    noisyRate > 0 ? String.format(Locale.ROOT, "%,.0f samples/s", noisyRate) : "as fast as they can",
                    load0, SecurityBench.loadAverage(),
                    java.time.Instant.now()));
            System.out.print(b);
        } finally {
            p.destroy();
            if (!p.waitFor(2, TimeUnit.MINUTES)) p.destroyForcibly();
        }
    }

    /**
     * Quiet's phase while noisy sends over its limit: noisy's senders start 2 s before quiet's and stop after it;
     * {@code noisyRate} samples/s in total, paced (0: in a loop). Counts noisy's 429 answers into {@code refused}.
     */
    static double[] withNoisy(HttpClient http, String base, int senders, int noisySenders, double noisyRate, int series, int requests,
                              int queries, long t1, AtomicLong refused) throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        ExecutorService noisy = Executors.newFixedThreadPool(noisySenders);
        long intervalNanos = noisyRate > 0 ? (long) (1e9 * series * noisySenders / noisyRate) : 0;
        for (int n = 0; n < noisySenders; n++) {
            int id = n;
            noisy.submit(() -> {
                byte[] body = SecurityBench.body(100 + id, series, t1);
                long next = System.nanoTime() + id * intervalNanos / Math.max(1, noisySenders);
                while (!stop.get()) {
                    if (intervalNanos > 0) {
                        long wait = next - System.nanoTime();
                        if (wait > 0) TimeUnit.NANOSECONDS.sleep(wait);
                        next += intervalNanos;
                    }
                    if (send(http, base, "noisy", body) == 429) refused.incrementAndGet();
                }
                return null;
            });
        }
        Thread.sleep(2000);
        double[] with = quiet(http, base, senders, series, requests, queries, t1);
        stop.set(true);
        noisy.shutdown();
        noisy.awaitTermination(1, TimeUnit.MINUTES);
        return with;
    }

    /** Quiet's ingest (samples/s) and then its instant-query median (ms). */
    static double[] quiet(HttpClient http, String base, int senders, int series, int requests, int queries, long t0) throws Exception {
        byte[][][] bodies = new byte[senders][requests][];
        for (int s = 0; s < senders; s++) for (int i = 0; i < requests; i++) bodies[s][i] = SecurityBench.body(s, series, t0 + i * STEP);
        long start = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(senders);
        List<Future<?>> fs = new ArrayList<>();
        for (int s = 0; s < senders; s++) {
            int id = s;
            fs.add(pool.submit(() -> {
                for (int i = 0; i < requests; i++) {
                    int code = send(http, base, "quiet", bodies[id][i]);
                    if (code != 204) throw new IOException("quiet got " + code + " at request " + i);
                }
                return null;
            }));
        }
        for (Future<?> f : fs) f.get();
        pool.shutdown();
        double rate = (double) senders * requests * series / ((System.nanoTime() - start) / 1e9);
        double[] lat = new double[queries];
        String q = base + "/api/v1/query?query=" + URLEncoder.encode("sum(rate(bench_metric[5m]))", StandardCharsets.UTF_8)
                + "&time=" + (t0 + (requests - 1) * STEP) / 1000;
        for (int i = 0; i < queries; i++) {
            long q0 = System.nanoTime();
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(q)).header("X-Scope-OrgID", "quiet").build(),
                    HttpResponse.BodyHandlers.ofString());
            lat[i] = (System.nanoTime() - q0) / 1e6;
            if (r.statusCode() != 200) throw new IOException("query " + r.statusCode());
        }
        return new double[]{rate, SecurityBench.median(lat)};
    }

    static int send(HttpClient http, String base, String tenant, byte[] body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/write")).POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .header("Content-Type", "application/x-protobuf").header("Content-Encoding", "snappy")
                .header("X-Scope-OrgID", tenant).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }
}
