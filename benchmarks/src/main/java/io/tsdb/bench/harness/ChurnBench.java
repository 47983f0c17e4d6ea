package io.tsdb.bench.harness;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Series churn, side by side: generations of short-lived pods (each generation lives 30 minutes of data time,
 * one sample a minute per pod) pushed by remote write in time order, as a fleet that redeploys every half hour
 * produces. Each database in turn gets the same requests; after every generation its RSS and head series are
 * sampled from /proc and its own /metrics; after each reported generation ({@link #REPORTED}) the bench also
 * pauses until RSS settles and reads it again ({@link #settle}); after the last one this server is flushed once and
 * both settle for a minute; then every generation is queried over its own time range. Server CPU covers the pauses
 * (what the database does in them is work the generations caused); the ingest time does not.
 *
 * <p>This server runs as README says (the launcher {@code tsdb-server/target/tsdb}, no flags; see
 * {@link Targets.Ours}); Prometheus with its remote-write receiver. Writes a section of docs/benchmarks.md.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.tsdb.bench.harness.ChurnBench [--pods=10000] [--generations=48]
 *      [--targets=tsdb,prometheus] [--launcher=tsdb-server/target/tsdb] [--out=docs/benchmarks.md]
 *      [--java-opts='...' with target tsdb-opts: a variant with JVM options added by the launcher]
 * </pre>
 */
public final class ChurnBench {
    static final long MINUTE = 60_000;
    static final int MINUTES_PER_GENERATION = 30;

    /**
     * RSS after a generation's last write ({@code rss}), and the median of the RSS read after each of its
     * {@link #MINUTES_PER_GENERATION} writes ({@code rssMedian}: one read lands before or after a collection by
     * chance, which moves a single point by 10-20 %; the median does not depend on where the collections fell).
     */
    record Sample(int generation, long rss, long rssMedian, long headSeries, long rssSettled) {}

    /** Generations the report shows; after each of them the bench also pauses until RSS settles ({@link #settle}). */
    static final int[] REPORTED = {1, 8, 16, 24, 32, 40, 48};
    /** Settling: at least this long, then until {@link #SETTLE_READS} reads a second apart agree within 2 %. */
    static final long SETTLE_MIN_MS = 5_000, SETTLE_MAX_MS = 60_000;
    static final int SETTLE_READS = 5;

    record Result(String name, String version, List<Sample> samples, Sample settled, int generationsAnswered, String missing,
                  long ingestMillis, double cpuSeconds) {}

    public static void main(String[] args) throws Exception {
        Map<String, String> o = Harness.options(args);
        int pods = Integer.parseInt(o.getOrDefault("pods", "10000"));
        int gens = Integer.parseInt(o.getOrDefault("generations", "48"));
        // the bench's own heap fixed and touched at start, as the harness's: the first-listed target's measurements
        // do not pay for the client's heap growth
        if (OwnJvm.ranPreTouched(ChurnBench.class, args, OwnJvm.heapMiB(0))) return;
        Path launcher = Path.of(o.getOrDefault("launcher", "tsdb-server/target/tsdb"));
        Path out = Path.of(o.getOrDefault("out", "docs/benchmarks.md"));
        Path work = Files.createTempDirectory("churn-bench");
        long t0 = (System.currentTimeMillis() - (long) gens * MINUTES_PER_GENERATION * MINUTE - 10 * MINUTE) / MINUTE * MINUTE;
        List<Result> results = new ArrayList<>();
        for (String name : o.getOrDefault("targets", "tsdb,prometheus").split(",")) {
            Target t = Targets.named(name, work, launcher, o);
            results.add(run(t, pods, gens, t0));
        }
        String md = report(results, pods, gens);
        System.out.println(md);
        if (Files.exists(out)) Report.replaceSection(out, "churn", md);
        System.out.println("work directory (logs): " + work);
    }

    static Result run(Target t, int pods, int gens, long t0) throws Exception {
        System.out.printf(Locale.ROOT, "== %s: %d generations x %d pods ==%n", t.name, gens, pods);
        t.start();
        List<Sample> samples = new ArrayList<>();
        double cpu0 = cpuSeconds(t.pid());
        long start = System.nanoTime(), paused = 0;
        try {
            RemoteWriteEncoder enc = new RemoteWriteEncoder();
            double[] one = new double[1];
            long[] rssOfMinute = new long[MINUTES_PER_GENERATION];
            for (int m = 0; m < gens * MINUTES_PER_GENERATION; m++) {
                int g = m / MINUTES_PER_GENERATION;
                long ts = t0 + m * MINUTE;
                for (int p = 0; p < pods; p++) {
                    one[0] = m % MINUTES_PER_GENERATION + p % 7;
                    enc.addSeries(labels(g, p), ts, MINUTE, one, 0, 1);
                }
                int code = t.post("/api/v1/write", enc.finish(), "Content-Type", "application/x-protobuf",
                        "Content-Encoding", "snappy", "X-Prometheus-Remote-Write-Version", "0.1.0");
                if (code / 100 != 2) throw new IOException(t.name + " answered " + code + " at minute " + m);
                rssOfMinute[m % MINUTES_PER_GENERATION] = t.rssBytes();
                if (m % MINUTES_PER_GENERATION == MINUTES_PER_GENERATION - 1) {
                    long[] sorted = rssOfMinute.clone();
                    java.util.Arrays.sort(sorted);
                    long rss = rssOfMinute[MINUTES_PER_GENERATION - 1], median = sorted[MINUTES_PER_GENERATION / 2];
                    long heads = headSeries(t), settled = -1;
                    if (reported(g + 1, gens)) {
                        long p0 = System.nanoTime();
                        settled = settle(t);
                        paused += System.nanoTime() - p0;
                    }
                    Sample s = new Sample(g + 1, rss, median, heads, settled);
                    samples.add(s);
                    System.out.printf(Locale.ROOT, "generation %2d: RSS %,d MiB (median over the generation %,d), head series %,d%s%n",
                            g + 1, s.rss() >> 20, s.rssMedian() >> 20, s.headSeries(),
                            settled < 0 ? "" : String.format(Locale.ROOT, ", settled %,d MiB", settled >> 20));
                }
            }
            long ingestMillis = (System.nanoTime() - start - paused) / 1_000_000;
            double cpu = cpuSeconds(t.pid()) - cpu0;
            t.flush();
            Thread.sleep(60_000);   // Prometheus compacts its head in the background (checked every minute)
            long settledRss = t.rssBytes();
            Sample settled = new Sample(gens, settledRss, settledRss, headSeries(t), settledRss);
            System.out.printf(Locale.ROOT, "after one flush and a minute: RSS %,d MiB, head series %,d%n", settled.rss() >> 20, settled.headSeries());
            int answered = 0;
            StringBuilder missing = new StringBuilder();
            for (int g = 0; g < gens; g++) {
                long end = t0 + ((long) g * MINUTES_PER_GENERATION + MINUTES_PER_GENERATION - 1) * MINUTE;
                String q = "count(count_over_time(churn_requests_total{version=\"v" + g + "\"}[" + MINUTES_PER_GENERATION + "m]))";
                long n = scalar(t.get("/api/v1/query?query=" + URLEncoder.encode(q, StandardCharsets.UTF_8) + "&time=" + (end / 1000.0)));
                if (n == pods) answered++;
                else missing.append(" v").append(g).append('=').append(n);
            }
            System.out.printf(Locale.ROOT, "generations answered over their own time range: %d of %d%s%n", answered, gens, missing);
            return new Result(t.name, t.version(), samples, settled, answered, missing.toString(), ingestMillis, cpu);
        } finally {
            t.stop();
        }
    }

    static boolean reported(int generation, int gens) {
        if (generation == gens) return true;
        for (int r : REPORTED) if (r == generation) return true;
        return false;
    }

    /**
     * RSS once the database has settled after a generation: no write for at least {@link #SETTLE_MIN_MS}, then
     * until {@link #SETTLE_READS} reads a second apart agree within 2 % (at most {@link #SETTLE_MAX_MS}). The bench
     * pushes a generation (30 minutes of data time) in about a second and a half, so the reading right after its last
     * write lands on whatever that second left running: the head cut the generation caused, a compaction, a
     * collector that just grew the heap. In real time a generation's 30 minutes are nearly all spent after that
     * work; this is the reading for them.
     */
    static long settle(Target t) throws InterruptedException {
        long deadline = System.nanoTime() + SETTLE_MAX_MS * 1_000_000;
        Thread.sleep(SETTLE_MIN_MS - (SETTLE_READS - 1) * 1_000L);
        long[] last = new long[SETTLE_READS];
        for (int i = 0; ; i++) {
            last[i % SETTLE_READS] = t.rssBytes();
            if (i >= SETTLE_READS - 1) {
                long lo = Long.MAX_VALUE, hi = 0;
                for (long v : last) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
                if (hi - lo <= hi / 50 || System.nanoTime() > deadline) return last[i % SETTLE_READS];
            }
            Thread.sleep(1_000);
        }
    }

    static String[] labels(int g, int p) {
        return new String[]{"__name__", "churn_requests_total", "job", "api", "namespace", "prod",
                "pod", "api-" + Integer.toHexString(0x100000 * (g + 1) + p), "version", "v" + g};
    }

    private static final Pattern VALUE = Pattern.compile("\"value\":\\[[^,]+,\"([^\"]+)\"\\]");

    static long scalar(String json) {
        Matcher m = VALUE.matcher(json);
        return m.find() ? (long) Double.parseDouble(m.group(1)) : 0;
    }

    /** Head series from the database's own /metrics (this server: tsdb_head_series; Prometheus: prometheus_tsdb_head_series). */
    static long headSeries(Target t) throws Exception {
        for (String line : t.get("/metrics").split("\n")) {
            if (line.startsWith("tsdb_head_series ") || line.startsWith("prometheus_tsdb_head_series ")) {
                return (long) Double.parseDouble(line.substring(line.indexOf(' ') + 1).trim());
            }
        }
        return -1;
    }

    /** utime + stime of a process, in seconds (from /proc/<pid>/stat, clock ticks of 100 Hz). */
    static double cpuSeconds(long pid) {
        try {
            String s = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    static String report(List<Result> results, int pods, int gens) {
        StringBuilder md = new StringBuilder();
        md.append("## Series churn\n\n");
        md.append(String.format(Locale.ROOT, "%d generations of %,d pods (each lives %d minutes of data time, one sample a minute; "
                + "%,d distinct series, %,d active at any moment), pushed in time order by remote write, one database after "
                + "the other on this machine. This server runs as README says. Command: `java -cp benchmarks/target/benchmarks.jar "
                + "io.tsdb.bench.harness.ChurnBench --pods=%d --generations=%d`.%n%n", gens, pods, MINUTES_PER_GENERATION,
                (long) gens * pods, pods, pods, gens));
        md.append("| | ");
        for (Result r : results) md.append(r.name()).append(" | ");
        md.append("\n|---|");
        for (int i = 0; i < results.size(); i++) md.append("---:|");
        md.append('\n');
        for (int g : REPORTED) {
            if (g > gens) continue;
            md.append("| after generation ").append(g).append(": RSS MiB at its last write; settled (head series) | ");
            for (Result r : results) {
                Sample s = r.samples().get(g - 1);
                md.append(String.format(Locale.ROOT, "%,d; %,d (%,d) | ", s.rss() >> 20, s.rssSettled() >> 20, s.headSeries()));
            }
            md.append('\n');
        }
        md.append("| after one flush (this server) and a minute: RSS MiB (head series) | ");
        for (Result r : results) md.append(String.format(Locale.ROOT, "%,d (%,d) | ", r.settled().rss() >> 20, r.settled().headSeries()));
        md.append("\n| RSS settled after the last generation / after generation 8 | ");
        for (Result r : results) {
            if (gens >= 8) md.append(String.format(Locale.ROOT, "%.2f | ", (double) r.samples().get(gens - 1).rssSettled() / r.samples().get(7).rssSettled()));
            else md.append("- | ");
        }
        md.append("\n| the same at the generations' last writes | ");
        for (Result r : results) {
            if (gens >= 8) md.append(String.format(Locale.ROOT, "%.2f | ", (double) r.samples().get(gens - 1).rss() / r.samples().get(7).rss()));
            else md.append("- | ");
        }
        md.append("\n| RSS over generation 8, median of its 30 minutes, MiB | ");
        for (Result r : results) md.append(gens >= 8 ? String.format(Locale.ROOT, "%,d | ", r.samples().get(7).rssMedian() >> 20) : "- | ");
        md.append(String.format(Locale.ROOT, "%n| RSS over generation %d, median of its 30 minutes, MiB | ", gens));
        for (Result r : results) md.append(String.format(Locale.ROOT, "%,d | ", r.samples().get(gens - 1).rssMedian() >> 20));
        md.append(String.format(Locale.ROOT, "%n| the same medians, generation %d / generation 8 | ", gens));
        for (Result r : results) {
            if (gens >= 8) md.append(String.format(Locale.ROOT, "%.2f | ", (double) r.samples().get(gens - 1).rssMedian() / r.samples().get(7).rssMedian()));
            else md.append("- | ");
        }
        md.append("\n| ingest time (without the pauses to settle), s; server CPU s | ");
        for (Result r : results) md.append(String.format(Locale.ROOT, "%.1f; %.1f | ", r.ingestMillis() / 1000.0, r.cpuSeconds()));
        md.append("\n| generations answered over their own time range | ");
        for (Result r : results) md.append(r.generationsAnswered()).append(" of ").append(gens).append(r.missing().isEmpty() ? "" : " (" + r.missing().trim() + ")").append(" | ");
        md.append("\n\nVersions: ");
        for (Result r : results) md.append(r.version()).append("; ");
        md.append('\n');
        return md.toString();
    }

    private ChurnBench() {}
}
