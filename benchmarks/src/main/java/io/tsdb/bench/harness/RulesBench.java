package io.tsdb.bench.harness;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The rule engine under a production-like load: 1,000 rules in 50 groups (one per service) at a 15 s interval,
 * evaluated by this server (the launcher {@code tsdb-server/target/tsdb}, as README runs it, with
 * {@code --rules.file}) while it ingests the services' series live by remote write every 15 s (1,000 hosts,
 * 20 series each: 10 CPU gauges, 4 request counters, 6 latency buckets; one hour backfilled first so every range
 * window is full). Each group has 14 recording rules (avg_over_time, rate, a ratio of the group's own recorded
 * series, histogram_quantile, max_over_time over 1 h) and 6 alerting rules with {@code for}.
 *
 * <p>Measured over {@code --minutes} after two warm-up cycles: for every group evaluation (from /api/v1/rules,
 * polled every second) the start lag (wall-clock start minus its scheduled evaluation timestamp) and the
 * completion lag (start lag plus the evaluation's duration); missed iterations and iterations from /metrics;
 * CPU seconds of the rule-evaluation threads and of the whole process from /proc. Writes the {@code rules}
 * section of docs/benchmarks.md.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.tsdb.bench.harness.RulesBench [--minutes=10] [--groups=50]
 *      [--hosts-per-group=20] [--launcher=tsdb-server/target/tsdb] [--out=docs/benchmarks.md]
 * </pre>
 */
public final class RulesBench {
    static final long INTERVAL = 15_000;
    static final String[] CPU = {"usage_user", "usage_system", "usage_idle", "usage_nice", "usage_iowait", "usage_irq",
            "usage_softirq", "usage_steal", "usage_guest", "usage_guest_nice"};
    static final String[] CODES = {"200", "404", "500", "503"};
    static final String[] LE = {"0.05", "0.1", "0.25", "0.5", "1", "+Inf"};
    static final ObjectMapper JSON = new ObjectMapper();

    public static void main(String[] args) throws Exception {
        Map<String, String> o = Harness.options(args);
        int minutes = Integer.parseInt(o.getOrDefault("minutes", "10"));
        int groups = Integer.parseInt(o.getOrDefault("groups", "50"));
        int hostsPerGroup = Integer.parseInt(o.getOrDefault("hosts-per-group", "20"));
        Path launcher = Path.of(o.getOrDefault("launcher", "tsdb-server/target/tsdb"));
        Path out = Path.of(o.getOrDefault("out", "docs/benchmarks.md"));
        Path work = Files.createTempDirectory("rules-bench");
        Path ruleFile = work.resolve("rules.yml");
        Files.writeString(ruleFile, rules(groups));
        int ruleCount = groups * 20;

        Targets.Ours t = Targets.Ours.create("tsdb", work, launcher, "", List.of("--rules.file=" + ruleFile));
        Load load = new Load(groups, hostsPerGroup);
        long now = System.currentTimeMillis() / INTERVAL * INTERVAL;
        t.start();
        double loadStart = loadAverage();
        try {
            // one hour of history, then live samples every 15 s from a sender thread
            for (long ts = now - 3_600_000; ts <= now; ts += INTERVAL) load.send(t, ts);
            Thread sender = new Thread(() -> {
                try {
                    for (long ts = now + INTERVAL; ; ts += INTERVAL) {
                        long wait = ts - System.currentTimeMillis();
                        if (wait > 0) Thread.sleep(wait);
                        load.send(t, ts);
                    }
                } catch (InterruptedException e) {
                    // done
                } catch (Exception e) {
                    e.printStackTrace();
                }
            }, "sender");
            sender.setDaemon(true);
            sender.start();

            // the groups' slots (evaluation timestamp mod interval), from /metrics once every group has evaluated
            Map<String, Long> offsets = new HashMap<>();
            while (offsets.size() < groups) {
                Thread.sleep(1000);
                offsets.clear();
                Matcher m = Pattern.compile("(?m)^tsdb_rule_group_last_evaluation_timestamp_seconds\\{rule_group=\"[^\"]*;([^\"]+)\"} (\\S+)$")
                        .matcher(t.get("/metrics"));
                while (m.find()) {
                    double v = Double.parseDouble(m.group(2));
                    if (v > 0) offsets.put(m.group(1), Math.floorMod(Math.round(v * 1000), INTERVAL));
                }
            }
            Thread.sleep(2 * INTERVAL); // warm-up: two more cycles of every group
            Map<String, Double> threads0 = t.threadCpuSeconds();
            double cpu0 = t.cpuSeconds();
            Map<String, Double> metrics0 = counters(t);
            long start = System.currentTimeMillis(), end = start + minutes * 60_000L;
            List<Double> startLag = new ArrayList<>(), endLag = new ArrayList<>(), duration = new ArrayList<>();
            Map<String, Long> seen = new HashMap<>();
            while (System.currentTimeMillis() < end) {
                JsonNode r = JSON.readTree(t.get("/api/v1/rules?exclude_alerts=true"));
                for (JsonNode g : r.at("/data/groups")) {
                    String name = g.get("name").asText();
                    String last = g.get("lastEvaluation").asText();
                    if (last.startsWith("0001")) continue;
                    long wall = Instant.parse(last).toEpochMilli();
                    if (wall < start || Long.valueOf(wall).equals(seen.get(name))) continue;
                    seen.put(name, wall);
                    long slot = wall - Math.floorMod(wall - offsets.get(name), INTERVAL);
                    double d = g.get("evaluationTime").asDouble() * 1000;
                    startLag.add((double) (wall - slot));
                    endLag.add(wall - slot + d);
                    duration.add(d);
                }
                Thread.sleep(1000);
            }
            double cpu = t.cpuSeconds() - cpu0;
            Map<String, Double> threads1 = t.threadCpuSeconds();
            Map<String, Double> metrics1 = counters(t);
            sender.interrupt();
            double rulesCpu = 0, ingestCpu = 0;
            for (Map.Entry<String, Double> e : threads1.entrySet()) {
                double d = e.getValue() - threads0.getOrDefault(e.getKey(), 0.0);
                if (e.getKey().startsWith("tsdb-rules")) rulesCpu += d;
                if (e.getKey().startsWith("tsdb-http") || e.getKey().startsWith("tsdb-ingest")) ingestCpu += d;
            }
            double iterations = metrics1.get("tsdb_rule_group_iterations_total") - metrics0.get("tsdb_rule_group_iterations_total");
            double missed = metrics1.get("tsdb_rule_group_iterations_missed_total") - metrics0.get("tsdb_rule_group_iterations_missed_total");
            double failures = metrics1.get("tsdb_rule_evaluation_failures_total") - metrics0.get("tsdb_rule_evaluation_failures_total");
            double seconds = (System.currentTimeMillis() - start) / 1000.0;
            String md = report(groups, ruleCount, hostsPerGroup, minutes, seconds, startLag, endLag, duration, iterations, missed,
                    failures, rulesCpu, ingestCpu, cpu, t.shownCommand(), loadStart, loadAverage());
            System.out.println(md);
            if (Files.exists(out)) Report.replaceSection(out, "rules", md);
            System.out.println("work directory (logs): " + work);
        } finally {
            t.stop();
        }
    }

    /** Sums of the rule engine's counters over every group. */
    static Map<String, Double> counters(Target t) throws IOException, InterruptedException {
        Map<String, Double> m = new HashMap<>();
        for (String n : List.of("tsdb_rule_group_iterations_total", "tsdb_rule_group_iterations_missed_total",
                "tsdb_rule_evaluation_failures_total")) m.put(n, 0.0);
        for (String line : t.get("/metrics").split("\n")) {
            int sp = line.lastIndexOf(' ');
            if (sp < 0 || line.startsWith("#")) continue;
            String name = line.contains("{") ? line.substring(0, line.indexOf('{')) : line.substring(0, sp);
            if (m.containsKey(name)) m.merge(name, Double.parseDouble(line.substring(sp + 1)), Double::sum);
        }
        return m;
    }

    static double loadAverage() {
        try {
            return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    /** 50 groups, one per service, 20 rules each (14 recording, 6 alerting). */
    static String rules(int groups) {
        StringBuilder sb = new StringBuilder("groups:\n");
        for (int g = 0; g < groups; g++) {
            String s = "svc-" + g;
            String sel = "service=\"" + s + "\"";
            sb.append("  - name: ").append(s).append("\n    interval: 15s\n    rules:\n");
            for (String c : CPU) rec(sb, "service:cpu_" + c + ":avg5m", "avg by (service) (avg_over_time(cpu_" + c + "{" + sel + "}[5m]))");
            rec(sb, "service:requests:rate5m", "sum by (service, code) (rate(requests_total{" + sel + "}[5m]))");
            rec(sb, "service:errors:ratio5m", "sum by (service) (service:requests:rate5m{" + sel + ",code=~\"5..\"}) / sum by (service) (service:requests:rate5m{" + sel + "})");
            rec(sb, "service:latency_seconds:p99", "histogram_quantile(0.99, sum by (service, le) (rate(request_duration_seconds_bucket{" + sel + "}[5m])))");
            rec(sb, "host:cpu_usage_user:max1h", "max_over_time(cpu_usage_user{" + sel + "}[1h])");
            alert(sb, "HostCpuHigh", "cpu_usage_user{" + sel + "} > 90", "5m");
            alert(sb, "ServiceErrorsHigh", "service:errors:ratio5m{" + sel + "} > 0.05", "10m");
            alert(sb, "ServiceLatencyHigh", "service:latency_seconds:p99{" + sel + "} > 0.5", "5m");
            alert(sb, "HostSilent", "absent_over_time(cpu_usage_user{" + sel + "}[2m])", "1m");
            alert(sb, "ServiceIdleLow", "avg by (service) (cpu_usage_idle{" + sel + "}) < 10", "15m");
            alert(sb, "HostSystemCpuRising", "predict_linear(cpu_usage_system{" + sel + "}[30m], 3600) > 100", "10m");
        }
        return sb.toString();
    }

    static void rec(StringBuilder sb, String name, String expr) {
        sb.append("      - record: ").append(name).append("\n        expr: '").append(expr.replace("'", "''")).append("'\n");
    }

    static void alert(StringBuilder sb, String name, String expr, String forDuration) {
        sb.append("      - alert: ").append(name).append("\n        expr: '").append(expr.replace("'", "''")).append("'\n")
                .append("        for: ").append(forDuration).append('\n')
                .append("        labels: {severity: warning}\n")
                .append("        annotations: {summary: '{{ $labels.service }} {{ $value | humanize }}'}\n");
    }

    /** The services' series: random walks in 0..100 for the CPU gauges, counters and cumulative buckets. */
    static final class Load {
        final byte[][] labels;
        final double[] value;
        final int[] kind; // 0 gauge, 1 counter, 2 bucket (index of its le)
        final Random rnd = new Random(1);

        Load(int groups, int hostsPerGroup) {
            List<String[]> ls = new ArrayList<>();
            List<Integer> kinds = new ArrayList<>();
            for (int g = 0; g < groups; g++) {
                for (int h = 0; h < hostsPerGroup; h++) {
                    String host = "host-" + g + "-" + h, svc = "svc-" + g;
                    for (String c : CPU) { ls.add(new String[]{"__name__", "cpu_" + c, "service", svc, "host", host}); kinds.add(0); }
                    for (String c : CODES) { ls.add(new String[]{"__name__", "requests_total", "service", svc, "host", host, "code", c}); kinds.add(1); }
                    for (int b = 0; b < LE.length; b++) {
                        ls.add(new String[]{"__name__", "request_duration_seconds_bucket", "service", svc, "host", host, "le", LE[b]});
                        kinds.add(2 + b);
                    }
                }
            }
            labels = new byte[ls.size()][];
            for (int i = 0; i < ls.size(); i++) labels[i] = RemoteWriteEncoder.encodeLabels(ls.get(i));
            kind = kinds.stream().mapToInt(Integer::intValue).toArray();
            value = new double[ls.size()];
            for (int i = 0; i < value.length; i++) value[i] = kind[i] == 0 ? rnd.nextInt(100) : 0;
        }

        synchronized void send(Target t, long ts) throws IOException, InterruptedException {
            RemoteWriteEncoder enc = new RemoteWriteEncoder();
            double[] obs = new double[LE.length];
            for (int i = 0; i < value.length; i++) {
                switch (kind[i]) {
                    case 0 -> value[i] = Math.max(0, Math.min(100, value[i] + rnd.nextInt(11) - 5));
                    case 1 -> value[i] += rnd.nextInt(i % 4 == 0 ? 300 : 10);
                    default -> {
                        int b = kind[i] - 2;
                        if (b == 0) {
                            // one host's observations this interval, spread cumulatively over the buckets
                            Arrays.fill(obs, 0);
                            int n = 50 + rnd.nextInt(50);
                            for (int k = 0; k < n; k++) {
                                double d = Math.exp(rnd.nextGaussian() * 0.9 - 2.5);
                                for (int j = 0; j < LE.length; j++) if (j == LE.length - 1 || d <= Double.parseDouble(LE[j])) obs[j]++;
                            }
                        }
                        value[i] += obs[b];
                    }
                }
                enc.addSeries(labels[i], ts, value[i]);
            }
            int code = t.post("/api/v1/write", enc.finish(), "Content-Type", "application/x-protobuf",
                    "Content-Encoding", "snappy", "X-Prometheus-Remote-Write-Version", "0.1.0");
            if (code / 100 != 2) throw new IOException("remote write answered " + code);
        }
    }

    static double pct(List<Double> xs, double p) {
        if (xs.isEmpty()) return Double.NaN;
        double[] a = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return a[Math.min(a.length - 1, (int) Math.ceil(p / 100 * a.length) - 1)];
    }

    static String report(int groups, int rules, int hostsPerGroup, int minutes, double seconds, List<Double> startLag,
                         List<Double> endLag, List<Double> duration, double iterations, double missed, double failures,
                         double rulesCpu, double ingestCpu, double cpu, String command, double loadStart, double loadEnd) {
        StringBuilder md = new StringBuilder();
        md.append("## Rule evaluation: ").append(String.format(Locale.ROOT, "%,d", rules)).append(" rules in ").append(groups)
                .append(" groups at 15 s\n\n");
        md.append("`io.tsdb.bench.harness.RulesBench --minutes=").append(minutes).append("` (").append(Instant.now())
                .append("): `").append(command).append("` with ").append(groups).append(" groups of 20 rules (14 recording: ")
                .append("avg_over_time, rate, a ratio of the group's own recorded series, histogram_quantile, max_over_time 1h; ")
                .append("6 alerting with `for`), one group per service, while it ingests ").append(groups * hostsPerGroup)
                .append(" hosts x 20 series (").append(String.format(Locale.ROOT, "%,d", groups * hostsPerGroup * 20))
                .append(" series) by remote write every 15 s, one hour backfilled first. Measured over ")
                .append(String.format(Locale.ROOT, "%.0f", seconds)).append(" s after two warm-up cycles; 1-minute load average ")
                .append(String.format(Locale.ROOT, "%.1f at the start, %.1f at the end", loadStart, loadEnd))
                .append(" (the 2-core machine is shared).\n\n");
        md.append("| | p50 | p90 | p99 | max |\n|---|---|---|---|---|\n");
        row(md, "start lag (start - scheduled time), ms", startLag);
        row(md, "group evaluation time, ms", duration);
        row(md, "completion lag (end - scheduled time), ms", endLag);
        md.append('\n');
        md.append(String.format(Locale.ROOT, "- Group evaluations observed: %d; iterations %s, **missed iterations %s**, rule evaluation failures %s (from /metrics).%n",
                startLag.size(), (long) iterations, (long) missed, (long) failures));
        md.append(String.format(Locale.ROOT, "- CPU of the rule-evaluation threads: %.1f s in %.0f s = **%.1f%% of one core** (%.1f ms per group evaluation); "
                        + "HTTP/ingest threads %.1f s; whole process %.1f s (%.1f%% of one core, JIT and GC included).%n",
                rulesCpu, seconds, 100 * rulesCpu / seconds, startLag.isEmpty() ? Double.NaN : 1000 * rulesCpu / startLag.size(),
                ingestCpu, cpu, 100 * cpu / seconds));
        return md.toString();
    }

    static void row(StringBuilder md, String name, List<Double> xs) {
        md.append("| ").append(name).append(String.format(Locale.ROOT, " | %.1f | %.1f | %.1f | %.1f |%n",
                pct(xs, 50), pct(xs, 90), pct(xs, 99), pct(xs, 100)));
    }
}
