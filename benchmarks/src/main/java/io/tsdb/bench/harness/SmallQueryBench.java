package io.tsdb.bench.harness;

import io.tsdb.bench.TsbsCpuData;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The per-request cost of small queries, this server against the peers in the same run: each database is started
 * (this one as README runs it, {@link Targets.Ours}) and loaded with the harness' TSBS data, all stay up, each
 * small query is warmed on each until its compiler activity settles ({@link WarmUp}), then the databases take
 * turns: per round, per database, per case, {@code --requests} requests in a row. Reported per case: the median
 * wall time of one request (over all rounds), and the server's CPU per request (user + system from
 * /proc/PID/stat over the case's requests).
 *
 * <p>Cases: {@code single-groupby-1-1-1} and {@code single-groupby-1-8-1} on a kept-alive connection (the JDK
 * client), {@code single-groupby-1-1-1} on a new TCP connection each time ({@code Connection: close}), and the
 * instant query {@code 1} (the HTTP stack and the answer's envelope with next to no query work). A target
 * {@code NAME=LAUNCHER} runs this server from another build beside the others (e.g. a copy of the build before a
 * change), so that before and after are measured in the same run.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.tsdb.bench.harness.SmallQueryBench [--hosts=1000] [--hours=12]
 *      [--senders=4] [--targets=tsdb,victoriametrics] [--rounds=5] [--requests=400] [--warmup-cap-ms=60000]
 *      [--reuse=true]   (keep the data directories of the previous run and skip the ingest)
 *      [--queries=single-groupby-5-1-12,sum-rate-by-region]   (these TSBS queries instead of the small cases)
 *      [--tsdb-jvm=JAVA OPTIONS] [--jfr=/tmp/small.jfr]   (a JFR recording of this server's measured rounds only)
 * </pre>
 */
public final class SmallQueryBench {
    record Case(String name, String url, boolean newConnection) {}

    public static void main(String[] args) throws Exception {
        Map<String, String> o = Harness.options(args);
        int hosts = Integer.parseInt(o.getOrDefault("hosts", "1000"));
        double hours = Double.parseDouble(o.getOrDefault("hours", "12"));
        int senders = Integer.parseInt(o.getOrDefault("senders", "4"));
        // the bench's own heap fixed and touched at start, as the harness's: the first-listed target's measurements
        // do not pay for the client's heap growth
        if (OwnJvm.ranPreTouched(SmallQueryBench.class, args, OwnJvm.heapMiB((long) (hosts * (double) TsbsCpuData.FIELDS.length * hours * 360)))) return;
        int rounds = Integer.parseInt(o.getOrDefault("rounds", "5"));
        int requests = Integer.parseInt(o.getOrDefault("requests", "400"));
        long capMs = Long.parseLong(o.getOrDefault("warmup-cap-ms", "60000"));
        String jfr = o.get("jfr");
        Path launcher = Path.of(o.getOrDefault("launcher", "tsdb-server/target/tsdb"));
        Path work = Path.of(o.getOrDefault("work", "benchmarks/target/smallquery"));
        // --reuse=true: keep the data directories of the previous run (same --hosts/--hours) and skip the ingest
        boolean reuse = o.getOrDefault("reuse", "false").equals("true");
        if (!reuse) Harness.deleteTree(work);
        Files.createDirectories(work);

        long interval = 10_000;
        int points = (int) Math.round(hours * 3600_000 / interval);
        long now = System.currentTimeMillis();
        long start = (now - points * interval) / 60_000 * 60_000 - 60_000 + 437;
        Path cache = Path.of("benchmarks/target/harness-payloads").resolve("h" + hosts + "-p" + points + "-s" + senders + "-b30.bin");
        List<List<byte[]>> payloads = Harness.readPayloads(cache, now);
        if (payloads != null) start = Harness.CACHED_START;
        TsbsCpuData data = new TsbsCpuData(hosts, start, interval, points, 42);
        if (payloads == null) {
            payloads = Harness.encode(data, senders, 30);
            Harness.writePayloads(cache, start, payloads);
        }

        List<TsbsQueries.Query> qs = TsbsQueries.all();
        List<Case> cases = new ArrayList<>(List.of(new Case("1-1-1 kept alive", Harness.url(qs.get(0), data), false),
                new Case("1-8-1 kept alive", Harness.url(qs.get(2), data), false),
                new Case("1-1-1 new connection", Harness.url(qs.get(0), data), true),
                // the HTTP stack and the answer's envelope with next to no query work
                new Case("instant 1 kept alive", "/api/v1/query?query=1&time=" + Harness.seconds(data.endMs()), false)));
        // --queries=NAME,...: the named TSBS queries (TsbsQueries) on a kept-alive connection instead of the cases above
        if (o.containsKey("queries")) {
            cases.clear();
            for (String name : o.get("queries").split(",")) {
                TsbsQueries.Query q = qs.stream().filter(x -> x.name().equals(name.trim())).findFirst()
                        .orElseThrow(() -> new IllegalArgumentException("--queries: no TSBS query " + name));
                cases.add(new Case(q.name(), Harness.url(q, data), false));
            }
        }

        List<Target> targets = new ArrayList<>();
        try {
            for (String name : o.getOrDefault("targets", "tsdb,victoriametrics").split(",")) {
                Target t = Targets.named(name, work, launcher, o);
                boolean loaded = reuse && Files.isDirectory(t.dataDir) && Target.children(t.dataDir).size() > 0;
                t.start();
                targets.add(t);
                if (loaded) {
                    System.out.printf(Locale.ROOT, "%s: %s, data of the previous run%n", t.name, t.version());
                    continue;
                }
                Harness.Result r = new Harness.Result(t.name);
                Harness.ingest(t, payloads, r);
                t.flush();
                Harness.settledStoredBytes(t);
                System.out.printf(Locale.ROOT, "%s: %s, ingested in %d ms%n", t.name, t.version(), r.ingestMs);
            }
            for (Target t : targets) {
                for (Case c : cases) {
                    WarmUp.Outcome w = WarmUp.untilSettled(t, () -> request(t, c), 30, 0, capMs);
                    System.out.printf(Locale.ROOT, "  warm %-16s %-22s %s%n", t.name, c.name, w);
                }
            }
            Map<String, List<Double>> wall = new LinkedHashMap<>();
            Map<String, double[]> cpu = new LinkedHashMap<>();   // seconds, requests
            Map<String, Map<String, Double>> byThread = new LinkedHashMap<>();   // CPU seconds by thread name
            for (int round = 0; round < rounds; round++) {
                for (Target t : targets) {
                    boolean recording = jfr != null && t instanceof Targets.Ours;
                    if (recording) jcmd(t, "JFR.start", "name=small", "settings=" + o.getOrDefault("jfr-settings", "profile"));
                    for (Case c : cases) {
                        String key = t.name + "|" + c.name;
                        double cpu0 = t.cpuSeconds();
                        Map<String, Double> th0 = t.threadCpuSeconds();
                        for (int i = 0; i < requests; i++) {
                            long t0 = System.nanoTime();
                            request(t, c);
                            wall.computeIfAbsent(key, k -> new ArrayList<>()).add((System.nanoTime() - t0) / 1e6);
                        }
                        double[] acc = cpu.computeIfAbsent(key, k -> new double[2]);
                        acc[0] += t.cpuSeconds() - cpu0;
                        acc[1] += requests;
                        Map<String, Double> sum = byThread.computeIfAbsent(key, k -> new java.util.TreeMap<>());
                        t.threadCpuSeconds().forEach((n, v) -> sum.merge(n, v - th0.getOrDefault(n, 0.0), Double::sum));
                    }
                    if (recording) jcmd(t, "JFR.stop", "name=small", "filename=" + jfr.replace(".jfr", "-" + t.name + "-" + round + ".jfr"));
                }
            }
            System.out.printf(Locale.ROOT, "%n%-16s %-22s %12s %18s%n", "database", "case", "median ms", "server CPU ms/req");
            for (Target t : targets) {
                for (Case c : cases) {
                    String key = t.name + "|" + c.name;
                    double[] ms = wall.get(key).stream().mapToDouble(Double::doubleValue).sorted().toArray();
                    double[] acc = cpu.get(key);
                    System.out.printf(Locale.ROOT, "%-16s %-22s %12.3f %18.3f%n", t.name, c.name,
                            Harness.median(ms, ms.length), acc[0] * 1e3 / acc[1]);
                    StringBuilder b = new StringBuilder("      by thread (ms/req):");
                    byThread.get(key).entrySet().stream().filter(e -> e.getValue() > 0)
                            .sorted((x, y) -> Double.compare(y.getValue(), x.getValue())).limit(6)
                            .forEach(e -> b.append(String.format(Locale.ROOT, " %s %.3f;", e.getKey(), e.getValue() * 1e3 / acc[1])));
                    System.out.println(b);
                }
            }
        } finally {
            for (Target t : targets) t.stop();
        }
    }

    static void request(Target t, Case c) throws Exception {
        if (c.newConnection) t.getOnNewConnection(c.url);
        else t.get(c.url);
    }

    static void jcmd(Target t, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("jcmd", Long.toString(t.pid())));
        cmd.addAll(Arrays.asList(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        p.waitFor();
    }
}
