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
 *      [--senders=4] [--runs=10] [--measure-ms=1000] [--warmup=30] [--warmup-ms=1000] [--warmup-cap-ms=60000]
 *      [--targets=tsdb,prometheus,victoriametrics] [--out=benchmarks/target/harness-report.md]
 *      [--tsdb-variants="NAME=JAVA OPTIONS|SERVER FLAGS;..."] [--tsdb-plain=false]
 *      [--tsdb-jvm="-XX:StartFlightRecording=filename=/tmp/tsdb.jfr,settings=profile"]
 * </pre>
 * Relaunches itself with a pre-touched heap ({@link OwnJvm}) so that no target's measurements pay the harness's own
 * heap growth.
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
        /** As the server logged it: JVM uptime at ready, and its own start-up step (-1: not reported). */
        long firstStartProcessMs = -1, firstStartupMs = -1, restartProcessMs = -1, restartStartupMs = -1;
        double ingestCpuSeconds = Double.NaN;
        /** CPU from the start of ingest until the data is flushed and the disk size has settled (merges included). */
        double settledCpuSeconds = Double.NaN;
        long rssSettledBytes;
        long peakRssWholeRunBytes;
        double newConnectionMs = Double.NaN, keptAliveMs = Double.NaN;
        final Map<String, Double> coldMedianMs = new LinkedHashMap<>();
        /** CPU seconds by thread (name without numbers) from the process' start to the end of ingest. */
        final Map<String, Double> threadCpu = new LinkedHashMap<>();
        final Map<String, Double> coldFirstMs = new LinkedHashMap<>();
        final Map<String, Integer> coldRuns = new LinkedHashMap<>();
        final Map<String, Long> storedBreakdown = new LinkedHashMap<>();
        final Map<String, Double> medianQueryMs = new LinkedHashMap<>();
        /** How each query's warm-up went (by query name; "new connection" for the small query on new connections). */
        final Map<String, WarmUp.Outcome> warmUps = new LinkedHashMap<>();
        final Map<String, JsonNode> answers = new LinkedHashMap<>();
        final Map<String, String> queryErrors = new LinkedHashMap<>();
        String failure;

        Result(String name) { this.name = name; }
    }

    public static void main(String[] args) throws Exception {
        System.setProperty("java.awt.headless", "true");
        Map<String, String> o = options(args);
        o.put("_load_at_start", Report.loadAverage());
        int hosts = Integer.parseInt(o.getOrDefault("hosts", "1000"));
        double hours = Double.parseDouble(o.getOrDefault("hours", "6"));
        int senders = Integer.parseInt(o.getOrDefault("senders", "4"));
        int runs = Integer.parseInt(o.getOrDefault("runs", "10"));
        // the harness's own heap fixed and touched at start, so no target's queries pay its growth (OwnJvm)
        if (OwnJvm.ranPreTouched(Harness.class, args,
                OwnJvm.heapMiB((long) (hosts * (double) TsbsCpuData.FIELDS.length * hours * 360)))) return;
        // Unmeasured runs of each query before the measured ones, for every database alike, until the server's
        // JIT compiler threads have gone quiet and its CPU per run has stopped falling (WarmUp), at least --warmup
        // times and for --warmup-ms, at most --warmup-cap-ms: a production server has long reached its steady speed.
        WARMUP = Integer.parseInt(o.getOrDefault("warmup", "30"));
        WARMUP_MS = Long.parseLong(o.getOrDefault("warmup-ms", "1000"));
        WARMUP_CAP_MS = Long.parseLong(o.getOrDefault("warmup-cap-ms", "60000"));
        // The measured runs last at least --measure-ms as well: a median of 10 runs of a sub-millisecond query is a
        // window of about 10 ms, which one recompilation or collection pause in either process could fill.
        MEASURE_MS = Long.parseLong(o.getOrDefault("measure-ms", "1000"));
        int batch = Integer.parseInt(o.getOrDefault("batch-points", "30"));
        List<String> names = List.of(o.getOrDefault("targets", "tsdb,prometheus,victoriametrics").split(","));
        Path work = Path.of(o.getOrDefault("work", "benchmarks/target/harness"));
        NMT_DIR = o.containsKey("nmt-dir") ? Path.of(o.get("nmt-dir")) : null;
        // Not docs/benchmarks.md by default: the report rewrites the file it is given and keeps only the
        // <!-- section:... --> blocks of other benchmarks, so the hand-written notes there would be lost.
        Path out = Path.of(o.getOrDefault("out", "benchmarks/target/harness-report.md"));
        Path launcher = Path.of(o.getOrDefault("launcher", "tsdb-server/target/tsdb"));
        // Extra JVM options for every run of this server (profiling only, e.g. a JFR recording; the first row is
        // then no longer the plain command).
        String jvmArgs = o.getOrDefault("tsdb-jvm", "");
        // Extra rows for this server after the plain command: NAME=JAVA OPTIONS|SERVER FLAGS;NAME2=...
        List<String[]> variants = new ArrayList<>();
        for (String v : o.getOrDefault("tsdb-variants", "").split(";")) {
            if (v.isBlank()) continue;
            int eq = v.indexOf('='), bar = v.indexOf('|', eq);
            if (eq < 0) throw new IllegalArgumentException("--tsdb-variants: expected NAME=JAVA OPTIONS|SERVER FLAGS, got " + v);
            variants.add(new String[]{v.substring(0, eq).trim(), (bar < 0 ? v.substring(eq + 1) : v.substring(eq + 1, bar)).trim(),
                    bar < 0 ? "" : v.substring(bar + 1).trim()});
        }
        boolean plain = !o.getOrDefault("tsdb-plain", "true").equals("false");
        // --ingest-only=true: stop each database after the ingest figures (CPU per sample, rate, CPU by thread), for
        // quick A/B runs of ingest changes; no flush, disk, query or restart figures
        // --ingest-only=settled: the same, then flush and wait for the disk to settle (the RSS after ingest row)
        INGEST_ONLY = !o.getOrDefault("ingest-only", "false").equals("false");
        SETTLE = o.getOrDefault("ingest-only", "false").equals("settled");

        deleteTree(work);
        Files.createDirectories(work);
        long interval = 10_000;
        int points = (int) Math.round(hours * 3600_000 / interval);
        long now = System.currentTimeMillis();
        long start = (now - points * interval) / 60_000 * 60_000 - 60_000 + 437; // off whole seconds
        // Encoded requests are kept for reuse (--payload-cache=false to re-encode): encoding 43M samples takes
        // a minute or more on this machine. The data then starts when it was first encoded (at most 6 h ago).
        Path cache = Path.of(o.getOrDefault("payload-cache-dir", "benchmarks/target/harness-payloads"))
                .resolve("h" + hosts + "-p" + points + "-s" + senders + "-b" + batch + ".bin");
        boolean useCache = !o.getOrDefault("payload-cache", "true").equals("false");
        List<List<byte[]>> cached = useCache ? readPayloads(cache, now) : null;
        if (cached != null) start = CACHED_START;
        TsbsCpuData data = new TsbsCpuData(hosts, start, interval, points, 42);
        System.out.printf(Locale.ROOT, "data: %d hosts, %d series, %d points each, %,d samples%n",
                hosts, data.seriesCount(), points, data.sampleCount());

        long t0 = System.nanoTime();
        List<List<byte[]>> payloads = cached != null ? cached : encode(data, senders, batch);
        if (cached == null && useCache) writePayloads(cache, start, payloads);
        long payloadBytes = payloads.stream().flatMap(List::stream).mapToLong(b -> b.length).sum();
        System.out.printf(Locale.ROOT, "encoded %,d requests, %,d bytes, in %d ms%n",
                payloads.stream().mapToInt(List::size).sum(), payloadBytes, (System.nanoTime() - t0) / 1_000_000);

        List<Result> results = new ArrayList<>();
        for (String name : names) {
            if (name.trim().equals("tsdb")) {
                if (!Files.isExecutable(launcher)) {
                    System.out.println("skipping tsdb: " + launcher + " not built (mvn -q -B -DskipTests package)");
                    continue;
                }
                if (plain) results.add(run(Targets.Ours.create("tsdb", work, launcher, jvmArgs, List.of()), data, payloads, runs));
                for (String[] v : variants) {
                    List<String> flags = v[2].isBlank() ? List.of() : List.of(v[2].split("\\s+"));
                    results.add(run(Targets.Ours.create("tsdb " + v[0], work, launcher, (jvmArgs + " " + v[1]).trim(), flags),
                            data, payloads, runs));
                }
                continue;
            }
            Target t = switch (name.trim()) {
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
            r.firstStartProcessMs = t.loggedProcessReadyMs();
            r.firstStartupMs = t.loggedStartupMs();
            double cpu0 = t.cpuSeconds();
            ingest(t, payloads, r);
            r.ingestCpuSeconds = t.cpuSeconds() - cpu0;
            r.threadCpu.putAll(t.threadCpuSeconds());
            System.out.printf(Locale.ROOT, "ingest: %,.0f samples/s, %.3f CPU s per million samples, peak RSS %d MiB, %d rejected requests%n",
                    data.sampleCount() * 1000.0 / r.ingestMs, r.ingestCpuSeconds * 1e6 / data.sampleCount(),
                    r.peakRssBytes >> 20, r.rejectedRequests);
            if (INGEST_ONLY && !SETTLE) {
                r.threadCpu.forEach((k, v) -> System.out.printf(Locale.ROOT, "  cpu %-28s %7.2f s%n", k, v));
                return r;
            }
            t.flush();
            r.storedBytes = settledStoredBytes(t);
            r.settledCpuSeconds = t.cpuSeconds() - cpu0;
            r.rssSettledBytes = t.rssBytes();
            r.storedBreakdown.putAll(t.storedBreakdown);
            if (NMT_DIR != null) nativeMemory(t, "after-ingest");
            System.out.printf(Locale.ROOT, "disk: %,d bytes, %.3f bytes/sample; RSS %d MiB (right after ingest %d MiB)%n", r.storedBytes,
                    (double) r.storedBytes / data.sampleCount(), r.rssSettledBytes >> 20, r.rssAfterIngestBytes >> 20);
            if (INGEST_ONLY) return r;
            queries(t, data, runs, r);
            connections(t, data, r);
            r.peakRssWholeRunBytes = Math.max(r.peakRssBytes, t.peakRssBytes());
            t.stop();
            r.restartReadyMs = t.start();
            r.restartProcessMs = t.loggedProcessReadyMs();
            r.restartStartupMs = t.loggedStartupMs();
            coldQueries(t, data, r);
            try {
                r.seriesAfterRestart = countSeries(t, data);
            } catch (java.io.IOException e) {   // e.g. VictoriaMetrics over its -search.maxUniqueTimeseries (300,000 by default)
                r.seriesAfterRestart = -1;
                System.out.println("  counting the series after restart FAILED: " + e.getMessage());
            }
            System.out.printf(Locale.ROOT, "restart: ready in %d ms (JVM uptime %d ms), %d series answer%n", r.restartReadyMs,
                    r.restartProcessMs, r.seriesAfterRestart);
        } catch (Exception e) {
            r.failure = e.toString();
            System.out.println("FAILED: " + e);
        } finally {
            t.stop();
        }
        return r;
    }

    /**
     * Allocated bytes once they stop changing: VictoriaMetrics merges parts in the background after a flush, so
     * its size is read every 2 s until three readings in a row agree (at most 3 minutes).
     */
    static long settledStoredBytes(Target t) throws Exception {
        long last = t.storedBytes();
        int same = 0;
        long deadline = System.nanoTime() + 180_000_000_000L;
        while (same < 2 && System.nanoTime() < deadline) {
            Thread.sleep(2000);
            long now = t.storedBytes();
            same = now == last ? same + 1 : 0;
            last = now;
        }
        return last;
    }

    /** --nmt-dir=DIR: write `jcmd PID VM.native_memory summary` there (run with -XX:NativeMemoryTracking=summary). */
    static Path NMT_DIR;

    static void nativeMemory(Target t, String when) {
        try {
            Files.createDirectories(NMT_DIR);
            Path f = NMT_DIR.resolve(t.name.replaceAll("[^A-Za-z0-9_.-]", "_") + "-" + when + ".txt");
            new ProcessBuilder("jcmd", Long.toString(t.pid()), "VM.native_memory", "summary").redirectErrorStream(true)
                    .redirectOutput(f.toFile()).start().waitFor();
            Files.writeString(f, Files.readString(Path.of("/proc/" + t.pid() + "/status")), java.nio.file.StandardOpenOption.APPEND);
        } catch (Exception e) {
            System.out.println("nmt: " + e);
        }
    }

    static long CACHED_START;
    static boolean INGEST_ONLY, SETTLE;

    static List<List<byte[]>> readPayloads(Path f, long now) throws java.io.IOException {
        if (!Files.isRegularFile(f)) return null;
        try (var in = new java.io.DataInputStream(new java.io.BufferedInputStream(Files.newInputStream(f), 1 << 20))) {
            long start = in.readLong();
            if (now - start > 18 * 3600_000L) return null; // too old for the peers' default windows
            List<List<byte[]>> out = new ArrayList<>();
            int senders = in.readInt();
            for (int k = 0; k < senders; k++) {
                int n = in.readInt();
                List<byte[]> reqs = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    byte[] b = new byte[in.readInt()];
                    in.readFully(b);
                    reqs.add(b);
                }
                out.add(reqs);
            }
            CACHED_START = start;
            System.out.println("payloads read from " + f);
            return out;
        }
    }

    static void writePayloads(Path f, long start, List<List<byte[]>> payloads) throws java.io.IOException {
        Files.createDirectories(f.getParent());
        try (var out = new java.io.DataOutputStream(new java.io.BufferedOutputStream(Files.newOutputStream(f), 1 << 20))) {
            out.writeLong(start);
            out.writeInt(payloads.size());
            for (List<byte[]> reqs : payloads) {
                out.writeInt(reqs.size());
                for (byte[] b : reqs) {
                    out.writeInt(b.length);
                    out.write(b);
                }
            }
        }
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
    static long WARMUP_MS = 1000;
    static long WARMUP_CAP_MS = 60_000;
    static long MEASURE_MS = 1000;

    static String url(TsbsQueries.Query q, TsbsCpuData data) {
        long end = (data.endMs() / 60_000) * 60_000;
        long start = Math.max(end - q.rangeMs(), (data.startMs / 60_000 + 1) * 60_000);
        if (q.rangeMs() == 0) start = end;
        return "/api/v1/query_range?query=" + URLEncoder.encode(q.promql(), StandardCharsets.UTF_8)
                + "&start=" + seconds(start) + "&end=" + seconds(end) + "&step=" + seconds(q.stepMs()) + "&nocache=1";
    }

    static void queries(Target t, TsbsCpuData data, int runs, Result r) throws Exception {
        for (TsbsQueries.Query q : TsbsQueries.all()) {
            String url = url(q, data);
            try {
                String body = null;
                WarmUp.Outcome w = WarmUp.untilSettled(t, () -> t.get(url), Math.max(1, WARMUP), WARMUP_MS, WARMUP_CAP_MS);
                r.warmUps.put(q.name(), w);
                System.out.println("  " + q.name() + ": " + w);
                double[] ms = new double[Math.max(16, runs)];
                int n = 0;
                double cpu0 = t.cpuSeconds();
                long start = System.nanoTime();
                while (n < runs || System.nanoTime() - start < MEASURE_MS * 1_000_000L) {
                    long t0 = System.nanoTime();
                    body = t.get(url);
                    if (n == ms.length) ms = Arrays.copyOf(ms, 2 * n);
                    ms[n++] = (System.nanoTime() - t0) / 1e6;
                }
                double cpuMs = (t.cpuSeconds() - cpu0) * 1e3 / n;   // the server's, all threads, per run
                // sorted first: until 7 December this took the unsorted array's middle, the mean of runs 5 and 6
                Arrays.sort(ms, 0, n);
                r.medianQueryMs.put(q.name(), median(ms, n));
                r.answers.put(q.name(), JSON.readTree(body).path("data").path("result"));
                System.out.printf(Locale.ROOT, "  %-24s %8.2f ms (%d series), server CPU %.2f ms per run, %d runs%n", q.name(),
                        r.medianQueryMs.get(q.name()), r.answers.get(q.name()).size(), cpuMs, n);
            } catch (Exception e) {
                r.queryErrors.put(q.name(), e.getMessage());
                System.out.println("  " + q.name() + " FAILED: " + e.getMessage());
            }
        }
    }

    static final long COLD_WINDOW_MS = 10_000;

    /**
     * Right after a restart: the 8 queries in turn, again and again, for {@link #COLD_WINDOW_MS}; per query the
     * first run and the median of its runs inside the window (what a dashboard sees after a restart).
     */
    static void coldQueries(Target t, TsbsCpuData data, Result r) throws Exception {
        List<TsbsQueries.Query> qs = TsbsQueries.all();
        Map<String, List<Double>> ms = new LinkedHashMap<>();
        long until = System.nanoTime() + COLD_WINDOW_MS * 1_000_000;
        while (System.nanoTime() < until) {
            for (TsbsQueries.Query q : qs) {
                // a query the database refused warm (e.g. over its series limit) is not run again here
                if (r.queryErrors.containsKey(q.name())) continue;
                if (System.nanoTime() >= until && ms.containsKey(q.name())) break;
                long t0 = System.nanoTime();
                t.get(url(q, data));
                ms.computeIfAbsent(q.name(), k -> new ArrayList<>()).add((System.nanoTime() - t0) / 1e6);
            }
            if (ms.isEmpty()) break;
        }
        System.out.println("  first 10 s after restart (first run / median of runs):");
        for (var e : ms.entrySet()) {
            double[] a = e.getValue().stream().mapToDouble(Double::doubleValue).toArray();
            r.coldFirstMs.put(e.getKey(), a[0]);
            r.coldRuns.put(e.getKey(), a.length);
            Arrays.sort(a);
            r.coldMedianMs.put(e.getKey(), median(a, a.length));
            System.out.printf(Locale.ROOT, "  %-24s %8.2f / %8.2f ms (%d runs)%n", e.getKey(), r.coldFirstMs.get(e.getKey()),
                    r.coldMedianMs.get(e.getKey()), a.length);
        }
    }

    /** The small query single-groupby-1-1-1, warm: on a new TCP connection each time vs on a kept-alive one. */
    static void connections(Target t, TsbsCpuData data, Result r) throws Exception {
        String url = url(TsbsQueries.all().get(0), data);
        int n = 300;
        WarmUp.Outcome w = WarmUp.untilSettled(t, () -> t.getOnNewConnection(url), 50, WARMUP_MS, WARMUP_CAP_MS);
        r.warmUps.put("new connection", w);
        System.out.println("  new connection: " + w);
        double[] fresh = new double[n], kept = new double[n];
        for (int i = 0; i < n; i++) {
            fresh[i] = t.getOnNewConnection(url);
            long t0 = System.nanoTime();
            t.get(url);
            kept[i] = (System.nanoTime() - t0) / 1e6;
        }
        Arrays.sort(fresh);
        Arrays.sort(kept);
        r.newConnectionMs = median(fresh, n);
        r.keptAliveMs = median(kept, n);
        System.out.printf(Locale.ROOT, "  small query: %.3f ms on a new connection, %.3f ms kept alive%n", r.newConnectionMs, r.keptAliveMs);
    }

    /** The median of the first {@code n} values of {@code sorted}, which must be sorted. */
    static double median(double[] sorted, int n) {
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
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

    /** The {@code --name=value} arguments of every harness tool, in order (a malformed one is an error). */
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
