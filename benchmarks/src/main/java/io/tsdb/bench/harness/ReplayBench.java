package io.tsdb.bench.harness;

import io.tsdb.bench.TsbsCpuData;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * WAL replay after kill -9, measured on the real server: starts the server jar, remote-writes TSBS cpu-only
 * data (default 10,000 hosts x 10 fields = 100,000 series x 403 points = 40.3M samples, all within one
 * block duration so nothing is flushed out of the WAL), sends SIGKILL, restarts on the same data directory
 * and reports the replay rate from the server's own {@code WAL replay:} log line, plus the time from spawn
 * to {@code /-/ready}. Checks that every series answers after the restart. Each run ends with another SIGKILL,
 * so the directory stays crashed: {@code --reuse=true} replays it again without re-ingesting (e.g. after a code
 * change; rebuild the jar first).
 *
 * <pre>
 * mvn -q -B -DskipTests package
 * java -Xmx3g -cp benchmarks/target/benchmarks.jar io.tsdb.bench.harness.ReplayBench [--hosts=10000] [--hours=1.12]
 *      [--senders=2] [--batch-points=30] [--heap=3g (default: the launcher's)] [--runs=1] [--work=benchmarks/target/replay] [--reuse=false]
 *      [--tsdb-jvm="-XX:StartFlightRecording=filename=/tmp/replay-%n.jfr,settings=profile"]
 * </pre>
 */
public final class ReplayBench {
    private static final Pattern REPLAY = Pattern.compile(
            "WAL replay: (\\d+) segments, (\\d+) records, (\\d+) samples, (\\d+) series in (\\d+) ms \\((\\d+) ms CPU\\)");
    private static final Pattern REGISTRY = Pattern.compile("series registry loaded: (\\d+) series in (\\d+) ms");

    private ReplayBench() {}

    public static void main(String[] args) throws Exception {
        Map<String, String> o = Harness.options(args);
        int hosts = Integer.parseInt(o.getOrDefault("hosts", "10000"));
        double hours = Double.parseDouble(o.getOrDefault("hours", "1.12"));
        int senders = Integer.parseInt(o.getOrDefault("senders", "2"));
        int batch = Integer.parseInt(o.getOrDefault("batch-points", "30"));
        int runs = Integer.parseInt(o.getOrDefault("runs", "1"));
        Path work = Path.of(o.getOrDefault("work", "benchmarks/target/replay"));
        Path launcher = Path.of(o.getOrDefault("launcher", "tsdb-server/target/tsdb"));
        // JVM options through the launcher's TSDB_JAVA_OPTS; none by default (the launcher sizes the heap).
        String jvmArgs = ((o.containsKey("heap") ? "-Xmx" + o.get("heap") : "") + " " + o.getOrDefault("tsdb-jvm", "")).trim();
        if (!Files.isExecutable(launcher)) throw new IllegalArgumentException(launcher + " not found; build with mvn -DskipTests package");

        boolean reuse = Boolean.parseBoolean(o.getOrDefault("reuse", "false"));
        long interval = 10_000;
        int points = (int) Math.round(hours * 3600_000 / interval);
        long start = (System.currentTimeMillis() - points * interval) / 60_000 * 60_000 - 60_000 + 437;
        TsbsCpuData data = new TsbsCpuData(hosts, start, interval, points, 42);
        System.out.printf(Locale.ROOT, "data: %d series x %d points = %,d samples%n", data.seriesCount(), points, data.sampleCount());
        boolean ingest = !reuse || !Files.isDirectory(work.resolve("tsdb").resolve("data").resolve("wal"));
        if (ingest) {
            Harness.deleteTree(work);
            Files.createDirectories(work);
        }
        Targets.Ours t = Targets.Ours.create("tsdb", work, launcher, jvmArgs, List.of());
        try {
            if (ingest) {
                List<List<byte[]>> payloads = Harness.encode(data, senders, batch);
                t.start();
                Harness.Result r = new Harness.Result(t.name);
                Harness.ingest(t, payloads, r);
                if (r.rejectedRequests > 0) throw new IllegalStateException(r.rejectedRequests + " requests rejected");
                System.out.printf(Locale.ROOT, "ingest: %,.0f samples/s over %d ms%n", data.sampleCount() * 1000.0 / r.ingestMs, r.ingestMs);
                kill(t);
            } else {
                System.out.println("reusing the crashed data directory in " + work + " (same --hosts/--hours as when it was written)");
            }
            for (int run = 1; run <= runs; run++) {
                long logBefore = Files.exists(t.logFile) ? Files.size(t.logFile) : 0;
                long readyMs = t.start();
                String log = Files.readString(t.logFile).substring((int) logBefore);
                Matcher m = REPLAY.matcher(log);
                if (!m.find()) throw new IllegalStateException("no WAL replay line in " + t.logFile);
                long samples = Long.parseLong(m.group(3)), ms = Long.parseLong(m.group(5)), cpuMs = Long.parseLong(m.group(6));
                Matcher reg = REGISTRY.matcher(log);
                String regMs = reg.find() ? reg.group(2) : "?";
                long series = countSeries(t);
                System.out.printf(Locale.ROOT, "run %d: WAL replay %,d samples (%s segments, %s records) in %,d ms = %.2fM samples/s wall, "
                                + "%.2fM samples per process-CPU second; registry load %s ms; spawn to /-/ready %,d ms; %,d series answer%n",
                        run, samples, m.group(1), m.group(2), ms, samples / 1000.0 / Math.max(1, ms),
                        samples / 1000.0 / Math.max(1, cpuMs), regMs, readyMs, series);
                if (samples < data.sampleCount()) throw new IllegalStateException("replayed fewer samples than ingested: " + samples);
                if (series != data.seriesCount()) throw new IllegalStateException("expected " + data.seriesCount() + " series, got " + series);
                kill(t);
            }
        } finally {
            if (t.process != null && t.process.isAlive()) kill(t);   // leaves a crashed directory for --reuse=true
        }
    }

    /** Series with samples in the last 3 hours (the data ends about now), counted by the server. */
    static long countSeries(Target t) throws Exception {
        String url = "/api/v1/query?query=" + java.net.URLEncoder.encode("count(count_over_time({__name__=~\"cpu_.*\"}[3h]))",
                java.nio.charset.StandardCharsets.UTF_8) + "&time=" + Harness.seconds(System.currentTimeMillis());
        var res = Harness.JSON.readTree(t.get(url)).path("data").path("result");
        return res.isEmpty() ? 0 : (long) Double.parseDouble(res.get(0).path("value").get(1).asText());
    }

    private static void kill(Target t) throws Exception {
        t.process.destroyForcibly(); // SIGKILL
        if (!t.process.waitFor(60, TimeUnit.SECONDS)) throw new IllegalStateException("server survived SIGKILL");
        if (t.process.exitValue() != 137) throw new IllegalStateException("exit status " + t.process.exitValue() + " after SIGKILL");
    }
}
