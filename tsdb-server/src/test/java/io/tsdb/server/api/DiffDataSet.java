package io.tsdb.server.api;

import io.tsdb.core.StaleNaN;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * The data set of the randomized differential test: two hours of samples shaped like a small fleet's scrapes
 * (the values depend only on the seed; timestamps are relative to {@code start}). Every target is scraped every
 * 15 s at its own sub-second phase, so sample timestamps are never whole seconds and the series of one target
 * share timestamps (as scraped histograms do). Contents:
 * <ul>
 *   <li>counters {@code http_requests_total{job,instance,method,code}} and {@code process_cpu_seconds_total}, with
 *       resets (a restart of the target resets all its counters);</li>
 *   <li>gauges: {@code node_cpu_usage{instance,mode}} (fractional), {@code node_memory_bytes} (large),
 *       {@code temperature_celsius{instance,zone}} and {@code queue_depth} (small integers: ties, zeros and
 *       negative values), {@code up} (0/1);</li>
 *   <li>a classic histogram {@code request_duration_seconds_bucket{job,instance,le}} with {@code _sum} and
 *       {@code _count};</li>
 *   <li>series that come and go: {@code batch_jobs_running{instance,batch}} runs for a while, ends with a stale
 *       marker (or just stops, left to the lookback), and some come back later;</li>
 *   <li>{@code odd_values{instance}}: a gauge with occasional NaN, +Inf and -Inf.</li>
 * </ul>
 */
final class DiffDataSet {
    static final long SCRAPE_MS = 15_000;
    static final long DURATION_MS = 2 * 3600_000L;
    static final String[] JOBS = {"api", "web"};
    static final String[] INSTANCES = {"host-0:9100", "host-1:9100", "host-2:9100"};
    static final String[] MODES = {"user", "system", "idle"};
    static final String[] ZONES = {"eu", "us"};
    static final String[] LES = {"0.05", "0.1", "0.25", "0.5", "1", "2.5", "+Inf"};

    private DiffDataSet() {}

    static List<ExternalProcess.TimeSeries> build(long start, long seed) {
        Random rnd = new Random(seed);
        List<ExternalProcess.TimeSeries> out = new ArrayList<>();
        int n = (int) (DURATION_MS / SCRAPE_MS) + 1;
        for (int ji = 0; ji < JOBS.length; ji++) {
            String job = JOBS[ji];
            for (int ii = 0; ii < INSTANCES.length; ii++) {
                String inst = INSTANCES[ii];
                long phase = 101 + 137L * (ji * INSTANCES.length + ii) % 850; // ms, never 0
                long[] ts = new long[n];
                for (int i = 0; i < n; i++) ts[i] = start + i * SCRAPE_MS + phase;
                // A restart of this target at a random scrape (or none) resets all its counters.
                int restart = rnd.nextInt(3) == 0 ? -1 : 20 + rnd.nextInt(n - 40);
                for (String method : new String[]{"GET", "POST"}) {
                    for (String code : new String[]{"200", "500"}) {
                        double rate = code.equals("200") ? 5 + rnd.nextInt(20) : rnd.nextInt(3);
                        double[] vs = counter(rnd, n, restart, rate, rnd.nextInt(500), true);
                        out.add(new ExternalProcess.TimeSeries(new String[]{"__name__", "http_requests_total", "code", code,
                                "instance", inst, "job", job, "method", method}, ts, vs));
                    }
                }
                out.add(new ExternalProcess.TimeSeries(new String[]{"__name__", "process_cpu_seconds_total", "instance", inst,
                        "job", job}, ts, counter(rnd, n, restart, 0.37, rnd.nextInt(50), false)));
                double[] up = new double[n];
                Arrays.fill(up, 1);
                if (restart >= 0) up[restart] = 0;
                out.add(new ExternalProcess.TimeSeries(new String[]{"__name__", "up", "instance", inst, "job", job}, ts, up));
                double[] qd = new double[n];
                int q = rnd.nextInt(5);
                for (int i = 0; i < n; i++) {
                    q = Math.max(-2, q + rnd.nextInt(5) - 2);
                    qd[i] = q;
                }
                out.add(new ExternalProcess.TimeSeries(new String[]{"__name__", "queue_depth", "instance", inst, "job", job}, ts, qd));
                histogram(rnd, out, job, inst, ts, restart);
            }
        }
        // Per-host series (job-less), scraped by a node exporter with its own phase.
        for (int ii = 0; ii < INSTANCES.length; ii++) {
            String inst = INSTANCES[ii];
            long phase = 53 + 211L * ii;
            long[] ts = new long[n];
            for (int i = 0; i < n; i++) ts[i] = start + i * SCRAPE_MS + phase;
            for (String mode : MODES) {
                double v = 10 + rnd.nextInt(60);
                double[] vs = new double[n];
                for (int i = 0; i < n; i++) {
                    v = Math.max(0, Math.min(100, v + (rnd.nextInt(1001) - 500) / 97.0));
                    vs[i] = v;
                }
                out.add(new ExternalProcess.TimeSeries(new String[]{"__name__", "node_cpu_usage", "instance", inst, "mode", mode}, ts, vs));
            }
            double[] mem = new double[n];
            for (int i = 0; i < n; i++) mem[i] = 2e9 + ii * 5e8 + rnd.nextInt(1_000_000) * 512.0;
            out.add(new ExternalProcess.TimeSeries(new String[]{"__name__", "node_memory_bytes", "instance", inst}, ts, mem));
            for (String zone : ZONES) {
                double[] t = new double[n];
                int c = 20 + rnd.nextInt(10);
                for (int i = 0; i < n; i++) {
                    if (rnd.nextInt(8) == 0) c += rnd.nextInt(3) - 1;
                    t[i] = c;
                }
                out.add(new ExternalProcess.TimeSeries(new String[]{"__name__", "temperature_celsius", "instance", inst, "zone", zone}, ts, t));
            }
            double[] odd = new double[n];
            for (int i = 0; i < n; i++) {
                int r = rnd.nextInt(40);
                odd[i] = r == 0 ? Double.NaN : r == 1 ? Double.POSITIVE_INFINITY : r == 2 ? Double.NEGATIVE_INFINITY : rnd.nextInt(200) / 4.0 - 10;
            }
            out.add(new ExternalProcess.TimeSeries(new String[]{"__name__", "odd_values", "instance", inst}, ts, odd));
            // Batch jobs that come and go: each runs for a while and ends with a stale marker or just stops.
            for (int b = 0; b < 2; b++) {
                List<Long> bt = new ArrayList<>();
                List<Double> bv = new ArrayList<>();
                int i = rnd.nextInt(60);
                while (i < n) {
                    int len = 10 + rnd.nextInt(120);
                    for (int k = 0; k < len && i < n; k++, i++) {
                        bt.add(ts[i]);
                        bv.add((double) (1 + rnd.nextInt(4)));
                    }
                    if (i < n && rnd.nextBoolean()) {
                        bt.add(ts[i]);
                        bv.add(StaleNaN.VALUE);
                    }
                    i += 25 + rnd.nextInt(100);
                }
                out.add(new ExternalProcess.TimeSeries(new String[]{"__name__", "batch_jobs_running", "batch", "b" + b, "instance", inst},
                        bt.stream().mapToLong(Long::longValue).toArray(), bv.stream().mapToDouble(Double::doubleValue).toArray()));
            }
        }
        return out;
    }

    private static double[] counter(Random rnd, int n, int restart, double rate, double initial, boolean integral) {
        double[] vs = new double[n];
        double v = initial;
        for (int i = 0; i < n; i++) {
            if (i == restart) v = 0;
            double inc = rnd.nextDouble() * 2 * rate * 15;
            v += integral ? Math.floor(inc) : Math.round(inc * 100) / 100.0;
            vs[i] = v;
        }
        return vs;
    }

    private static void histogram(Random rnd, List<ExternalProcess.TimeSeries> out, String job, String inst, long[] ts, int restart) {
        int n = ts.length;
        double[][] buckets = new double[LES.length][n];
        double[] sum = new double[n], count = new double[n];
        double[] acc = new double[LES.length];
        double s = 0;
        for (int i = 0; i < n; i++) {
            if (i == restart) {
                Arrays.fill(acc, 0);
                s = 0;
            }
            int requests = rnd.nextInt(30);
            for (int r = 0; r < requests; r++) {
                double d = Math.exp(rnd.nextGaussian() - 2);
                s += Math.round(d * 1000) / 1000.0;
                for (int b = 0; b < LES.length; b++) {
                    if (b == LES.length - 1 || d <= Double.parseDouble(LES[b])) acc[b]++;
                }
            }
            for (int b = 0; b < LES.length; b++) buckets[b][i] = acc[b];
            sum[i] = s;
            count[i] = acc[LES.length - 1];
        }
        for (int b = 0; b < LES.length; b++) {
            out.add(new ExternalProcess.TimeSeries(new String[]{"__name__", "request_duration_seconds_bucket", "instance", inst,
                    "job", job, "le", LES[b]}, ts, buckets[b]));
        }
        out.add(new ExternalProcess.TimeSeries(new String[]{"__name__", "request_duration_seconds_sum", "instance", inst, "job", job}, ts, sum));
        out.add(new ExternalProcess.TimeSeries(new String[]{"__name__", "request_duration_seconds_count", "instance", inst, "job", job}, ts, count));
    }
}
