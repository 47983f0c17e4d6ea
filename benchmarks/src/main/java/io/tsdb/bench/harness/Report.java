package io.tsdb.bench.harness;

import io.tsdb.bench.TsbsCpuData;
import com.fasterxml.jackson.databind.JsonNode;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.Styler;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** Writes docs/benchmarks.md and its charts from the harness results. */
final class Report {
    private Report() {}

    static void write(Path out, TsbsCpuData data, int senders, int runs, long payloadBytes, List<Harness.Result> results,
                      Map<String, String> options) throws IOException {
        Path imgDir = out.toAbsolutePath().getParent().resolve("img");
        Files.createDirectories(imgDir);
        StringBuilder md = new StringBuilder();
        md.append("# Benchmarks\n\n");
        md.append("Side-by-side figures from the end-to-end harness (`io.tsdb.bench.harness.Harness`), written by its last run.\n");
        md.append("Every database ran on this machine, on loopback, with a fresh data directory, and received identical\n");
        md.append("remote-write requests. Micro-benchmarks (JMH) are described in [the benchmarks module](../benchmarks/).\n\n");
        md.append("## How to reproduce\n\n```\n");
        md.append("apt-get install -y prometheus victoria-metrics   # the peers (optional; missing ones are skipped)\n");
        md.append("mvn -q -B -DskipTests package\n");
        md.append("java -cp benchmarks/target/benchmarks.jar io.tsdb.bench.harness.Harness");
        options.forEach((k, v) -> { if (!k.startsWith("_")) md.append(" --").append(k).append('=').append(v); });
        md.append("\n```\n\nOptions: `--hosts` (1000 = 10k series; 10000 = 100k; 100000 = 1M), `--hours` of data at 10 s,\n");
        md.append("`--senders` (threads, each owning a disjoint set of hosts, sending in time order in lock-step rounds),\n");
        md.append("`--runs` per query (and at least `--measure-ms`, 1000 ms, of measured runs), `--warmup` / `--warmup-ms` / `--warmup-cap-ms` (unmeasured runs of each query first, until the server's\n");
        md.append("JIT compiler is quiet and its CPU per run stops falling: at least 30 runs and 1 s, at most 60 s), `--targets`,\n");
        md.append("`--tsdb-variants=NAME=JAVA OPTIONS|SERVER FLAGS;...` (extra rows for this server after the plain command), `--out`.\n\n");

        md.append("## Run\n\n");
        md.append(String.format(Locale.ROOT, "- Date: %s%n", Instant.now()));
        md.append(String.format(Locale.ROOT, "- Machine: %s, %d cores, %d GiB RAM, %s%n", cpuModel(),
                Runtime.getRuntime().availableProcessors(), memGiB(), System.getProperty("os.name") + " " + System.getProperty("os.version")));
        md.append(String.format(Locale.ROOT, "- Data: TSBS cpu-only shape, %d hosts x 10 metrics = %,d series, %d points each at 10 s (%.1f h), %,d samples; integer random walks in 0..100; timestamps off whole seconds%n",
                data.hosts, data.seriesCount(), data.points, data.points / 360.0, data.sampleCount()));
        md.append(String.format(Locale.ROOT, "- Machine load (1-minute load average) when the run ended: %s; at its start: %s%n",
                loadAverage(), options.getOrDefault("_load_at_start", "?")));
        md.append(String.format(Locale.ROOT, "- Load: %d sender threads, %,d snappy remote-write bytes in total%n", senders, payloadBytes));
        for (Harness.Result r : results) md.append("- ").append(r.name).append(": ").append(r.version).append('\n');
        md.append("- This server's first column is README's command exactly: the launcher `tsdb-server/target/tsdb` with no JVM option\n");
        md.append("  and no flag (so `--wal-fsync=always`: every acknowledged write is fsynced; the peers fsync about once a\n");
        md.append("  second), in a fresh working directory (data in `./data`). Other tsdb columns are variants named in the\n");
        md.append("  header. Prometheus with `--web.enable-remote-write-receiver`; VictoriaMetrics with defaults. Query caches bypassed (`nocache=1`).\n");
        md.append("- CPU: user + system seconds of the server process (all threads: parsing, storage, GC, JIT) from /proc/PID/stat,\n");
        md.append("  during ingest, and from the start of ingest until the flush is done and the allocated disk size has settled\n");
        md.append("  (VictoriaMetrics merges in the background). RSS: sampled from /proc every 100 ms, and the kernel's high-water mark.\n");
        md.append("- Start: from spawning the command to the first 200 from its ready endpoint (polled every 20 ms); for this server\n");
        md.append("  also as it logs it (`jvm_uptime_ms`: from the JVM's creation; `startup_ms`: storage, HTTP and features). Restart: after a graceful stop (SIGTERM) with all the data flushed.\n");
        md.append("- After restart: for the first " + Harness.COLD_WINDOW_MS / 1000 + " s after ready the 8 queries run in turn again and again;\n");
        md.append("  first run / median of the runs in that window. Small query on a new connection: single-groupby-1-1-1 over a\n");
        md.append("  fresh TCP connection each time (`Connection: close`), median of 300 after a warm-up as below (at least 50 runs), warm.\n");
        md.append("- Query latency: median of the measured runs of each query (at least `--runs` and at least `--measure-ms` of them) after unmeasured runs of it, for every database alike,\n"
                + "  until the server has reached its steady speed (a running server's, not a just-started JVM's): the runs go in windows of\n"
                + "  at least " + WarmUp.WINDOW_MS + " ms and " + WarmUp.WINDOW_RUNS + " runs; a window is quiet when the JIT compiler threads"
                + " (`C1 CompilerThre`, `C2 CompilerThre` in /proc/PID/task/*/stat) of the server and of the harness used less than "
                + Math.round(WarmUp.COMPILER_SHARE * 100) + " % of its wall time\n  and the server's CPU per run (/proc/PID/stat) fell by less than "
                + Math.round(WarmUp.FALL * 100) + " % against the previous window (a native server has no compiler threads: only its CPU per run counts);"
                + " warm-up ends after " + WarmUp.QUIET_WINDOWS + " quiet windows in a row,\n  once at least " + Harness.WARMUP + " runs and "
                + Harness.WARMUP_MS + " ms have passed (`--warmup`, `--warmup-ms`), or at " + Harness.WARMUP_CAP_MS
                + " ms (`--warmup-cap-ms`; the row \"warm-up\" below says which).\n\n");

        md.append("## Results\n\n");
        md.append("| | ").append(String.join(" | ", results.stream().map(r -> r.name).toList())).append(" |\n");
        md.append("|---|").append("---:|".repeat(results.size())).append('\n');
        double samples = data.sampleCount();
        row(md, results, "ingest (samples/s)", r -> r.ingestMs == 0 ? "-" : fmt(samples * 1000.0 / r.ingestMs, 0));
        row(md, results, "server CPU s per million samples, ingest", r -> fmt(r.ingestCpuSeconds * 1e6 / samples, 3));
        row(md, results, "same, until flushed and disk settled", r -> fmt(r.settledCpuSeconds * 1e6 / samples, 3));
        row(md, results, "rejected write requests", r -> Long.toString(r.rejectedRequests));
        row(md, results, "peak RSS during ingest (MiB)", r -> Long.toString(r.peakRssBytes >> 20));
        row(md, results, "RSS after ingest, flushed and settled (MiB)", r -> Long.toString(r.rssSettledBytes >> 20));
        row(md, results, "peak RSS over the whole run, queries included (MiB)", r -> Long.toString(r.peakRssWholeRunBytes >> 20));
        row(md, results, "bytes per sample on disk (allocated)", r -> r.storedBytes == 0 ? "-" : fmt((double) r.storedBytes / samples, 3));
        row(md, results, "  of which (bytes/sample)", r -> r.storedBreakdown.isEmpty() ? "-" : String.join(", ",
                r.storedBreakdown.entrySet().stream().map(e -> e.getKey() + " " + fmt((double) e.getValue() / samples, 3)).toList()));
        row(md, results, "first start to ready (ms)", r -> Long.toString(r.firstStartMs));
        row(md, results, "  as logged: JVM uptime / start-up step (ms)", r -> r.firstStartProcessMs < 0 ? "-"
                : r.firstStartProcessMs + " / " + r.firstStartupMs);
        row(md, results, "restart to ready (ms)", r -> Long.toString(r.restartReadyMs));
        row(md, results, "  as logged: JVM uptime / start-up step (ms)", r -> r.restartProcessMs < 0 ? "-"
                : r.restartProcessMs + " / " + r.restartStartupMs);
        row(md, results, "series answered after restart", r -> r.seriesAfterRestart < 0 ? "refused" : Long.toString(r.seriesAfterRestart));
        for (TsbsQueries.Query q : TsbsQueries.all()) {
            row(md, results, "query " + q.name() + " median, warm (ms)", r -> r.medianQueryMs.containsKey(q.name())
                    ? fmt(r.medianQueryMs.get(q.name()), 2) : "error");
        }
        for (TsbsQueries.Query q : TsbsQueries.all()) {
            row(md, results, "query " + q.name() + " first 10 s after restart: first / median (ms)", r -> r.coldMedianMs.containsKey(q.name())
                    ? fmt(r.coldFirstMs.get(q.name()), 2) + " / " + fmt(r.coldMedianMs.get(q.name()), 2) + " (" + r.coldRuns.get(q.name()) + " runs)" : "-");
        }
        row(md, results, "small query on a new connection / kept alive, warm (ms)", r -> fmt(r.newConnectionMs, 3) + " / " + fmt(r.keptAliveMs, 3));
        row(md, results, "warm-up of the 8 queries and the new-connection query: seconds in all; settled / capped", r -> {
            long ms = r.warmUps.values().stream().mapToLong(WarmUp.Outcome::ms).sum();
            long capped = r.warmUps.values().stream().filter(w -> !w.settled()).count();
            return r.warmUps.isEmpty() ? "-" : fmt(ms / 1000.0, 1) + "; " + (r.warmUps.size() - capped) + " / " + capped;
        });
        md.append('\n');

        Harness.Result ours = results.stream().filter(r -> r.name.equals("tsdb")).findFirst()
                .orElse(results.stream().filter(r -> r.name.startsWith("tsdb")).findFirst().orElse(null));
        List<Harness.Result> peers = results.stream().filter(r -> !r.name.startsWith("tsdb")).toList();
        if (ours != null && !peers.isEmpty()) {
            md.append("## Ratios (").append(ours.name).append(" relative to each peer; > 1 means this server is better)\n\n");
            md.append("| | ").append(String.join(" | ", peers.stream().map(r -> "vs " + r.name).toList())).append(" |\n");
            md.append("|---|").append("---:|".repeat(peers.size())).append('\n');
            ratio(md, peers, ours, "ingest rate", r -> r.ingestMs == 0 ? Double.NaN : 1.0 / r.ingestMs, false);
            ratio(md, peers, ours, "CPU per sample, ingest", r -> r.ingestCpuSeconds, true);
            ratio(md, peers, ours, "CPU per sample, until settled", r -> r.settledCpuSeconds, true);
            ratio(md, peers, ours, "bytes per sample", r -> (double) r.storedBytes, true);
            ratio(md, peers, ours, "peak RSS during ingest", r -> (double) r.peakRssBytes, true);
            ratio(md, peers, ours, "RSS after ingest, settled", r -> (double) r.rssSettledBytes, true);
            ratio(md, peers, ours, "first start to ready", r -> (double) r.firstStartMs, true);
            ratio(md, peers, ours, "restart to ready", r -> (double) r.restartReadyMs, true);
            for (TsbsQueries.Query q : TsbsQueries.all()) {
                ratio(md, peers, ours, "query " + q.name() + ", warm", r -> r.medianQueryMs.getOrDefault(q.name(), Double.NaN), true);
            }
            ratio(md, peers, ours, "geometric mean of the 8 queries, warm", r -> geomean(r.medianQueryMs), true);
            for (TsbsQueries.Query q : TsbsQueries.all()) {
                ratio(md, peers, ours, "query " + q.name() + ", first 10 s after restart (median)", r -> r.coldMedianMs.getOrDefault(q.name(), Double.NaN), true);
            }
            ratio(md, peers, ours, "geometric mean of the 8 queries, first 10 s after restart", r -> geomean(r.coldMedianMs), true);
            ratio(md, peers, ours, "small query on a new connection", r -> r.newConnectionMs, true);
            md.append('\n');
        }

        md.append("## Where the server's CPU went, from its start to the end of ingest\n\n");
        md.append("CPU seconds by thread (from /proc/PID/task; numbers removed from the names), the largest first.\n\n");
        for (Harness.Result r : results) {
            if (r.threadCpu.isEmpty()) continue;
            double total = r.threadCpu.values().stream().mapToDouble(Double::doubleValue).sum();
            md.append("- ").append(r.name).append(String.format(Locale.ROOT, " (%.1f s): ", total));
            md.append(String.join(", ", r.threadCpu.entrySet().stream().sorted((a, b) -> Double.compare(b.getValue(), a.getValue()))
                    .filter(e -> e.getValue() >= 0.05 * total || e.getValue() >= 1).limit(8)
                    .map(e -> String.format(Locale.ROOT, "%s %.1f s (%.0f%%)", e.getKey(), e.getValue(), 100 * e.getValue() / total)).toList()));
            md.append('\n');
        }
        md.append('\n');

        md.append("## Do the answers agree?\n\n");
        md.append("Each query's last answer from every peer is compared with this server's: same series (label sets) and\n");
        md.append("the same points, values within 1e-6 relative.\n\n");
        List<Harness.Result> others = results.stream().filter(r -> r != ours).toList();
        md.append("| query | PromQL | ").append(String.join(" | ", others.stream().map(r -> r.name).toList())).append(" |\n");
        md.append("|---|---|").append("---|".repeat(Math.max(0, others.size()))).append('\n');
        for (TsbsQueries.Query q : TsbsQueries.all()) {
            md.append("| ").append(q.name()).append(" | `").append(q.promql().replace("|", "\\|")).append("` | ");
            for (Harness.Result r : results) {
                if (r == ours) continue;
                md.append(ours == null ? "-" : compare(ours.answers.get(q.name()), r.answers.get(q.name()))).append(" | ");
            }
            md.append('\n');
        }
        md.append("\nQuery translations from TSBS:\n\n");
        for (TsbsQueries.Query q : TsbsQueries.all()) md.append("- ").append(q.name()).append(": ").append(q.note()).append('\n');
        for (Harness.Result r : results) {
            if (r.failure != null) md.append("\n**").append(r.name).append(" failed:** ").append(r.failure).append('\n');
            r.queryErrors.forEach((q, e) -> md.append("\n**").append(r.name).append(' ').append(q).append(" failed:** ").append(e).append('\n'));
        }

        charts(imgDir, data, results);
        md.append("\n## Charts\n\n![Ingest rate](img/bench-ingest.png)\n\n![Query latency](img/bench-query-latency.png)\n");
        md.append(keptSections(out));
        Files.writeString(out, md.toString());
    }

    private static final java.util.regex.Pattern SECTION = java.util.regex.Pattern.compile(
            "(?s)<!-- section:([a-z0-9-]+) -->.*?<!-- /section:\\1 -->\n?");

    /** Sections written by other benchmarks (e.g. ChurnBench) into {@code out}, kept when the harness rewrites it. */
    static String keptSections(Path out) throws IOException {
        if (!Files.exists(out)) return "";
        StringBuilder sb = new StringBuilder();
        java.util.regex.Matcher m = SECTION.matcher(Files.readString(out));
        while (m.find()) sb.append('\n').append(m.group());
        return sb.toString();
    }

    /**
     * Replaces (or appends) the section {@code name} of {@code file}, delimited by
     * {@code <!-- section:name -->} and {@code <!-- /section:name -->} so that the harness keeps it.
     */
    static void replaceSection(Path file, String name, String markdown) throws IOException {
        String open = "<!-- section:" + name + " -->", close = "<!-- /section:" + name + " -->";
        String block = open + "\n" + markdown.strip() + "\n" + close + "\n";
        String s = Files.readString(file);
        int a = s.indexOf(open), b = s.indexOf(close);
        s = a >= 0 && b > a ? s.substring(0, a) + block + s.substring(b + close.length()).replaceFirst("^\n", "")
                : s + (s.endsWith("\n") ? "\n" : "\n\n") + block;
        Files.writeString(file, s);
    }

    interface Cell { String of(Harness.Result r); }

    interface Num { double of(Harness.Result r); }

    static void row(StringBuilder md, List<Harness.Result> rs, String name, Cell c) {
        md.append("| ").append(name).append(" | ");
        for (Harness.Result r : rs) md.append(r.failure != null && c.of(r).equals("0") ? "failed" : c.of(r)).append(" | ");
        md.append('\n');
    }

    static double geomean(Map<String, Double> ms) {
        if (ms.size() < TsbsQueries.all().size()) return Double.NaN;
        double log = 0;
        for (double v : ms.values()) log += Math.log(v);
        return Math.exp(log / ms.size());
    }

    static void ratio(StringBuilder md, List<Harness.Result> rs, Harness.Result ours, String name, Num n, boolean lowerIsBetter) {
        md.append("| ").append(name).append(" | ");
        for (Harness.Result r : rs) {
            if (r == ours) continue;
            double a = n.of(ours), b = n.of(r);
            double x = lowerIsBetter ? b / a : a / b;
            md.append(Double.isFinite(x) && x > 0 ? fmt(x, 2) + "x" : "-").append(" | ");
        }
        md.append('\n');
    }

    /** "identical" or a short description of the first difference. */
    static String compare(JsonNode ours, JsonNode theirs) {
        if (ours == null || theirs == null) return "n/a";
        Map<String, JsonNode> a = index(ours), b = index(theirs);
        if (!a.keySet().equals(b.keySet())) {
            List<String> onlyA = new ArrayList<>(a.keySet());
            onlyA.removeAll(b.keySet());
            List<String> onlyB = new ArrayList<>(b.keySet());
            onlyB.removeAll(a.keySet());
            return String.format(Locale.ROOT, "series differ: %d vs %d (%d only here, %d only there)", a.size(), b.size(), onlyA.size(), onlyB.size());
        }
        int differing = 0;
        String first = null;
        for (String k : a.keySet()) {
            JsonNode va = a.get(k).has("values") ? a.get(k).get("values") : a.get(k).get("value");
            JsonNode vb = b.get(k).has("values") ? b.get(k).get("values") : b.get(k).get("value");
            String d = diff(va, vb);
            if (d != null) {
                differing++;
                if (first == null) first = d;
            }
        }
        return differing == 0 ? "identical (" + a.size() + " series)" : differing + " of " + a.size() + " series differ, e.g. " + first;
    }

    static String diff(JsonNode a, JsonNode b) {
        if (a.size() != b.size()) return a.size() + " vs " + b.size() + " points";
        for (int i = 0; i < a.size(); i++) {
            double ta = a.get(i).get(0).asDouble(), tb = b.get(i).get(0).asDouble();
            double x = Double.parseDouble(a.get(i).get(1).asText()), y = Double.parseDouble(b.get(i).get(1).asText());
            if (Math.abs(ta - tb) > 1e-6) return "t " + ta + " vs " + tb;
            if (!(x == y || Math.abs(x - y) <= 1e-6 * Math.max(Math.abs(x), Math.abs(y)) || (Double.isNaN(x) && Double.isNaN(y)))) {
                return "at t=" + ta + ": " + x + " vs " + y;
            }
        }
        return null;
    }

    static Map<String, JsonNode> index(JsonNode result) {
        Map<String, JsonNode> m = new TreeMap<>();
        for (JsonNode s : result) m.put(new TreeMap<>(JsonMaps.toMap(s.get("metric"))).toString(), s);
        return m;
    }

    static void charts(Path dir, TsbsCpuData data, List<Harness.Result> results) throws IOException {
        CategoryChart ingest = new CategoryChartBuilder().width(700).height(400).title("Remote-write ingest rate")
                .xAxisTitle("").yAxisTitle("samples/s").build();
        ingest.getStyler().setLegendVisible(false).setChartTitleBoxVisible(false);
        ingest.addSeries("ingest", results.stream().map(r -> r.name).toList(),
                results.stream().map(r -> r.ingestMs == 0 ? 0.0 : data.sampleCount() * 1000.0 / r.ingestMs).toList());
        BitmapEncoder.saveBitmap(ingest, dir.resolve("bench-ingest.png").toString(), BitmapEncoder.BitmapFormat.PNG);

        CategoryChart q = new CategoryChartBuilder().width(1000).height(450).title("Median range-query latency")
                .xAxisTitle("").yAxisTitle("ms").build();
        q.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
        q.getStyler().setXAxisLabelRotation(20);
        List<String> names = TsbsQueries.all().stream().map(TsbsQueries.Query::name).toList();
        for (Harness.Result r : results) {
            if (r.medianQueryMs.isEmpty()) continue;
            List<Double> ys = names.stream().map(n -> r.medianQueryMs.getOrDefault(n, 0.0)).toList();
            q.addSeries(r.name, names, ys);
        }
        if (q.getSeriesMap().isEmpty()) return;
        BitmapEncoder.saveBitmap(q, dir.resolve("bench-query-latency.png").toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    static String fmt(double v, int decimals) {
        if (!Double.isFinite(v)) return "-";
        return decimals == 0 ? String.format(Locale.ROOT, "%,.0f", v) : String.format(Locale.ROOT, "%." + decimals + "f", v);
    }

    static String cpuModel() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/cpuinfo"))) if (l.startsWith("model name")) return l.substring(l.indexOf(':') + 1).trim();
        } catch (IOException e) {
            return "?";
        }
        return "?";
    }

    static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (IOException e) {
            return "?";
        }
    }

    static long memGiB() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (l.startsWith("MemTotal:")) return Long.parseLong(l.replaceAll("\\D", "")) / 1024 / 1024;
            }
        } catch (IOException e) {
            return 0;
        }
        return 0;
    }

    /** Label objects to maps. */
    static final class JsonMaps {
        static Map<String, String> toMap(JsonNode obj) {
            Map<String, String> m = new TreeMap<>();
            if (obj != null) obj.fields().forEachRemaining(e -> m.put(e.getKey(), e.getValue().asText()));
            return m;
        }
    }
}
