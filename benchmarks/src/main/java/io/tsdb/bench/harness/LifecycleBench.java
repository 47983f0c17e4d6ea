package io.tsdb.bench.harness;

import java.io.IOException;
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
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Long-running lifecycle checks of this server, run as README says (the launcher, see {@link Targets.Ours};
 * plus the flags named below):
 *
 * <ul>
 *   <li>{@code soak}: {@code --series} active series (default 200,000), one sample per series per second, a
 *       fraction of the series replaced by new ones every minute ({@code --replace}, default 0.05) for
 *       {@code --minutes} (default 30); RSS sampled every 10 s; the fitted RSS slope over the last two thirds of
 *       the run is reported; every acknowledged sample is counted back with a query at the end.</li>
 *   <li>{@code explosion}: one client sends {@code --flood} brand-new series (default 2,000,000) as fast as it
 *       can while another keeps {@code --steady} series (default 10,000) flowing once a second; with
 *       {@code --storage.max-active-series} set to {@code --limit} (default 100,000). Reports the status codes of
 *       the flood, the steady samples acknowledged and read back, and the peak RSS.</li>
 * </ul>
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.tsdb.bench.harness.LifecycleBench soak [--series=200000] [--minutes=30]
 * java -cp benchmarks/target/benchmarks.jar io.tsdb.bench.harness.LifecycleBench explosion [--flood=2000000] [--limit=100000]
 * </pre>
 */
public final class LifecycleBench {
    static final int BATCH = 10_000;
    /** Concurrent senders of the soak (remote write shards). */
    static final int SHARDS = 4;
    static String javaOpts = "";

    /** Remote write to a target; status code and body. */
    static HttpResponse<String> write(Target t, byte[] body) throws IOException, InterruptedException {
        return Target.HTTP.send(HttpRequest.newBuilder(URI.create(t.base() + "/api/v1/write")).timeout(Duration.ofMinutes(2))
                .header("Content-Type", "application/x-protobuf").header("Content-Encoding", "snappy")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0) throw new IllegalArgumentException("usage: LifecycleBench soak|explosion [--name=value ...]");
        Map<String, String> o = Harness.options(java.util.Arrays.copyOfRange(args, 1, args.length));
        Path launcher = Path.of(o.getOrDefault("launcher", "tsdb-server/target/tsdb"));
        Path work = Files.createTempDirectory("lifecycle-bench");
        javaOpts = o.getOrDefault("java-opts", "");   // a variant: JVM options added by the launcher
        switch (args[0]) {
            case "soak" -> soak(work, launcher, Integer.parseInt(o.getOrDefault("series", "200000")), Integer.parseInt(o.getOrDefault("minutes", "30")),
                    Double.parseDouble(o.getOrDefault("replace", "0.05")));
            case "explosion" -> explosion(work, launcher, Integer.parseInt(o.getOrDefault("flood", "2000000")),
                    Integer.parseInt(o.getOrDefault("steady", "10000")), Integer.parseInt(o.getOrDefault("limit", "100000")));
            default -> throw new IllegalArgumentException("unknown mode " + args[0]);
        }
        System.out.println("work directory (logs): " + work);
    }

    static String[] series(String metric, String pod, int i) {
        return new String[]{"__name__", metric, "job", "svc", "pod", pod, "shard", Integer.toString(i % 64)};
    }

    // ---- soak ---------------------------------------------------------------------------------------------

    static void soak(Path work, Path launcher, int n, int minutes, double replace) throws Exception {
        Target s = Targets.Ours.create(javaOpts.isEmpty() ? "tsdb" : "tsdb " + javaOpts, work, launcher, javaOpts, List.of());
        s.start();
        long[] gen = new long[n];            // series i is pod "p<i>-<gen[i]>"
        byte[][] encoded = new byte[n][];    // its labels, encoded once per generation
        for (int i = 0; i < n; i++) encoded[i] = RemoteWriteEncoder.encodeLabels(series("soak_requests_total", "p" + i + "-0", i));
        long acked = 0, errors = 0;
        List<double[]> rss = new ArrayList<>();
        long start = System.currentTimeMillis() / 1000 * 1000;
        double cpu0 = ChurnBench.cpuSeconds(s.pid());
        long replaced = 0;
        // the batches of one second are sent by SHARDS concurrent senders, as Prometheus's remote write shards do (with
        // fsync on every commit, one sequential sender would measure the disk's fsync latency, not the server)
        java.util.concurrent.ExecutorService senders = java.util.concurrent.Executors.newFixedThreadPool(SHARDS);
        ThreadLocal<RemoteWriteEncoder> encoders = ThreadLocal.withInitial(RemoteWriteEncoder::new);
        AtomicLong ackedNow = new AtomicLong(), errorsNow = new AtomicLong();
        try {
            int seconds = minutes * 60;
            for (int sec = 0; sec < seconds; sec++) {
                long ts = start + sec * 1000L;
                if (sec > 0 && sec % 60 == 0) {
                    int k = (int) (n * replace);
                    for (int j = 0; j < k; j++) {
                        int i = (int) ((replaced + j) * 7919L % n);
                        gen[i]++;
                        encoded[i] = RemoteWriteEncoder.encodeLabels(series("soak_requests_total", "p" + i + "-" + gen[i], i));
                    }
                    replaced += k;
                }
                List<java.util.concurrent.Callable<Void>> batches = new ArrayList<>();
                final int second = sec;
                for (int from = 0; from < n; from += BATCH) {
                    int lo = from, hi = Math.min(n, from + BATCH);
                    batches.add(() -> {
                        RemoteWriteEncoder enc = encoders.get();
                        for (int i = lo; i < hi; i++) enc.addSeries(encoded[i], ts, second);
                        HttpResponse<String> r = write(s, enc.finish());
                        if (r.statusCode() == 204) ackedNow.addAndGet(hi - lo);
                        else if (errorsNow.incrementAndGet() < 5) System.out.println("write answered " + r.statusCode() + ": " + r.body());
                        return null;
                    });
                }
                for (var f : senders.invokeAll(batches)) f.get();
                acked = ackedNow.get();
                errors = errorsNow.get();
                long behind = ts + 1000 - System.currentTimeMillis();
                if (behind > 0) Thread.sleep(behind);
                if (sec % 10 == 9) {
                    rss.add(new double[]{sec + 1, s.rssBytes()});
                    if (sec % 60 == 59) System.out.printf(Locale.ROOT, "minute %d: RSS %,d MiB, acked %,d, errors %d, %s%n",
                            (sec + 1) / 60, s.rssBytes() >> 20, acked, errors, behind >= 0 ? "on time (" + behind + " ms to spare)" : "late by " + -behind + " ms");
                }
            }
            double cpu = ChurnBench.cpuSeconds(s.pid()) - cpu0;
            // every acknowledged sample is readable: counted one minute of data at a time (the whole run in one query
            // would pass the server's query.max-samples); the window (t - 60 s, t] with t one millisecond before the
            // next minute holds exactly that minute's samples, whether the range's start is open or closed
            long counted = 0;
            String q = URLEncoder.encode("sum(count_over_time(soak_requests_total[60s]))", StandardCharsets.UTF_8);
            for (int m = 0; m < minutes; m++) {
                long t = start + (m + 1) * 60_000L - 1;
                counted += ChurnBench.scalar(s.get("/api/v1/query?query=" + q + "&time=" + String.format(Locale.ROOT, "%.3f", t / 1000.0)));
            }
            int from = rss.size() / 3;
            double slope = slope(rss.subList(from, rss.size()));
            double[] band = slopeBand(rss.subList(from, rss.size()), 12, 2000, 42);
            System.out.printf(Locale.ROOT, "soak: %,d series, %d minutes, %.0f%% replaced per minute (%,d distinct series); acked %,d samples, "
                            + "errors %d, read back %,d; server CPU %.1f s (%.3f s per million samples); RSS first %,d MiB, last %,d MiB, "
                            + "max %,d MiB; fitted RSS slope over the last %d minutes: %.3f MiB/min%n",
                    n, minutes, replace * 100, n + replaced, acked, errors, counted, cpu, cpu / (acked / 1e6),
                    (long) rss.get(0)[1] >> 20, (long) rss.get(rss.size() - 1)[1] >> 20, (long) rss.stream().mapToDouble(x -> x[1]).max().orElse(0) >> 20,
                    (rss.size() - from) / 6, slope * 60 / (1 << 20));
            System.out.printf(Locale.ROOT, "noise: 95%% of the slopes fitted to the same line plus its residuals resampled in 2-minute blocks "
                            + "lie in [%.3f, %.3f] MiB/min; the fitted slope is %s%n", band[0] * 60 / (1 << 20), band[1] * 60 / (1 << 20),
                    band[0] <= 0 && 0 <= band[1] ? "within noise (the band holds 0)" : "outside the noise band (a trend)");
            if (counted != acked) System.out.println("MISMATCH: acknowledged " + acked + " but read back " + counted);
        } finally {
            senders.shutdownNow();
            s.stop();
        }
    }

    /**
     * The 2.5th and 97.5th percentiles of the least-squares slope under a moving-block bootstrap: the series is the
     * fitted line plus its residuals, resampled as {@code block} consecutive points at a time (RSS samples are not
     * independent: a sawtooth of flushes and collections runs through them), {@code reps} times with a fixed seed.
     * A band that holds 0 means a slope of that size comes from the run's own fluctuations as readily as from a trend.
     */
    static double[] slopeBand(List<double[]> pts, int block, int reps, long seed) {
        int n = pts.size();
        double b = slope(pts), mx = 0, my = 0;
        for (double[] p : pts) { mx += p[0] / n; my += p[1] / n; }
        double a = my - b * mx;
        double[] res = new double[n];
        for (int i = 0; i < n; i++) res[i] = pts.get(i)[1] - (a + b * pts.get(i)[0]);
        int len = Math.max(1, Math.min(block, n));
        java.util.Random rnd = new java.util.Random(seed);
        double[] slopes = new double[reps];
        List<double[]> sample = new ArrayList<>(n);
        for (int r = 0; r < reps; r++) {
            sample.clear();
            while (sample.size() < n) {
                int start = rnd.nextInt(n - len + 1);
                for (int k = 0; k < len && sample.size() < n; k++) {
                    double x = pts.get(sample.size())[0];
                    sample.add(new double[]{x, a + b * x + res[start + k]});
                }
            }
            slopes[r] = slope(sample);
        }
        java.util.Arrays.sort(slopes);
        return new double[]{slopes[(int) (reps * 0.025)], slopes[Math.min(reps - 1, (int) (reps * 0.975))]};
    }

    /** Least-squares slope of y over x (points {x, y}), y per x unit. */
    static double slope(List<double[]> pts) {
        double n = pts.size(), sx = 0, sy = 0, sxx = 0, sxy = 0;
        for (double[] p : pts) {
            sx += p[0];
            sy += p[1];
            sxx += p[0] * p[0];
            sxy += p[0] * p[1];
        }
        return (n * sxy - sx * sy) / (n * sxx - sx * sx);
    }

    // ---- explosion ----------------------------------------------------------------------------------------

    static void explosion(Path work, Path launcher, int flood, int steady, int limit) throws Exception {
        Target s = Targets.Ours.create(javaOpts.isEmpty() ? "tsdb" : "tsdb " + javaOpts, work, launcher, javaOpts, List.of("--storage.max-active-series=" + limit));
        s.start();
        long start = System.currentTimeMillis() / 1000 * 1000;
        AtomicBoolean done = new AtomicBoolean();
        AtomicLong steadyAcked = new AtomicLong(), steadyFailed = new AtomicLong();
        AtomicLong peak = new AtomicLong();
        Thread steadyWriter = new Thread(() -> {
            RemoteWriteEncoder enc = new RemoteWriteEncoder();
            double[] v = new double[1];
            try {
                for (int sec = 0; !done.get(); sec++) {
                    for (int i = 0; i < steady; i++) {
                        v[0] = sec;
                        enc.addSeries(series("steady_requests_total", "s" + i, i), start + sec * 1000L, 1000, v, 0, 1);
                    }
                    HttpResponse<String> r = write(s, enc.finish());
                    if (r.statusCode() == 204) steadyAcked.addAndGet(steady);
                    else {
                        steadyFailed.addAndGet(steady);
                        System.out.println("steady write answered " + r.statusCode() + ": " + r.body().lines().findFirst().orElse(""));
                    }
                    peak.accumulateAndGet(s.rssBytes(), Math::max);
                    long behind = start + (sec + 1) * 1000L - System.currentTimeMillis();
                    if (behind > 0) Thread.sleep(behind);
                }
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        }, "steady");
        steadyWriter.start();
        Thread.sleep(3000);
        Map<Integer, Long> codes = new java.util.TreeMap<>();
        String firstRefusal = null;
        long floodAccepted = 0;
        RemoteWriteEncoder enc = new RemoteWriteEncoder();
        double[] v = {1};
        long t0 = System.nanoTime();
        for (int from = 0; from < flood; from += BATCH) {
            int to = Math.min(flood, from + BATCH);
            long ts = System.currentTimeMillis();
            for (int i = from; i < to; i++) enc.addSeries(series("flood_requests_total", "f" + i, i), ts, 1000, v, 0, 1);
            HttpResponse<String> r = write(s, enc.finish());
            codes.merge(r.statusCode(), 1L, Long::sum);
            if (r.statusCode() == 204) floodAccepted += to - from;
            else if (r.statusCode() == 400) {
                String b = r.body();
                int k = b.indexOf("accepted ");
                if (k >= 0) floodAccepted += Long.parseLong(b.substring(k + 9, b.indexOf(' ', k + 9)));
                if (firstRefusal == null) firstRefusal = b.lines().limit(3).reduce((x, y) -> x + " | " + y).orElse("");
            }
            peak.accumulateAndGet(s.rssBytes(), Math::max);
        }
        double floodSeconds = (System.nanoTime() - t0) / 1e9;
        Thread.sleep(3000);
        done.set(true);
        steadyWriter.join();
        long end = System.currentTimeMillis();
        String q = "sum(count_over_time(steady_requests_total[" + ((end - start) / 1000 + 60) + "s]))";
        long counted = ChurnBench.scalar(s.get("/api/v1/query?query=" + URLEncoder.encode(q, StandardCharsets.UTF_8) + "&time=" + (end / 1000.0)));
        long hwm = Math.max(peak.get(), s.peakRssBytes());
        System.out.printf(Locale.ROOT, "explosion: %,d new series in %.1f s (limit %,d active series): answers %s, %,d flood samples accepted;%n"
                        + "  first refusal: %s%n  steady: %,d samples acknowledged, %,d refused, %,d read back; peak RSS %,d MiB%n",
                flood, floodSeconds, limit, codes, floodAccepted, firstRefusal, steadyAcked.get(), steadyFailed.get(), counted, hwm >> 20);
        if (counted != steadyAcked.get()) System.out.println("MISMATCH: steady acknowledged " + steadyAcked.get() + " but read back " + counted);
        s.stop();
    }

    private LifecycleBench() {}
}
