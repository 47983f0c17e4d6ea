package io.tsdb.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.tsdb.server.ServerConfig;
import io.tsdb.server.TsdbServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Rule evaluation against a real Prometheus 2.42 (Debian package, a child process): both get the same live
 * remote-write stream (one sample per series per second, sent five seconds ahead of its timestamp so that both
 * have every sample an evaluation can see before it runs) and evaluate the same rule file (same path, so the same
 * group offsets: Prometheus derives them from the hash of file and group name, and so do we). Afterwards every
 * recorded series, {@code ALERTS} and {@code ALERTS_FOR_STATE} are read back raw from both: the same label sets,
 * samples at the same evaluation timestamps, values within 1e-9 relative, so alerts went through the same states
 * (pending, firing, keep-firing, resolved) at the same cycles with the same active-since.
 *
 * <p>Only what 2.42 knows is used (no {@code query_offset}, no group labels). Rules read only raw series and
 * recorded series of their own group (a rule of another group is evaluated on another thread, so which cycle of it
 * a rule sees is a race in Prometheus too). Sample timestamps share no millisecond phase with any group's
 * evaluation timestamps, so no sample sits on a range boundary (2.x windows are closed, this engine's are left-open
 * as in 3.x); counters start far from zero (see {@link Stream}). The stream lasts {@code -Drules.diff.seconds=N} (default 40; the acceptance run used 600).
 */
@Timeout(value = 1800, unit = TimeUnit.SECONDS)
class RulesDifferentialTest {
    static final double REL = 1e-9;
    static final String RECORDED = "job:.+|instance:.+|ALERTS|ALERTS_FOR_STATE";
    static final String RULES = """
            groups:
              - name: requests
                interval: 2s
                rules:
                  - record: job:http_requests:rate30s
                    expr: sum by (job, code) (rate(http_requests_total[30s]))
                  - record: job:http_errors:ratio30s
                    expr: sum by (job) (job:http_requests:rate30s{code=~"5.."}) / sum by (job) (job:http_requests:rate30s)
                  - record: job:http_requests:increase1m
                    expr: sum by (job) (increase(http_requests_total[1m]))
                  - record: job:latency_seconds:p90
                    expr: histogram_quantile(0.9, sum by (job, le) (rate(request_duration_seconds_bucket[30s])))
                  - alert: ErrorRatioHigh
                    expr: job:http_errors:ratio30s > 0.12
                    for: 6s
                    keep_firing_for: 4s
                    labels:
                      severity: '{{ if gt $value 0.2 }}page{{ else }}ticket{{ end }}'
              - name: load
                interval: 3s
                limit: 20
                rules:
                  - record: instance:load:avg20s
                    expr: avg_over_time(node_load[20s])
                  - record: job:load:max
                    expr: max by (job) (node_load)
                  - record: job:load:stddev
                    expr: stddev by (job) (node_load)
                  - record: instance:load:deriv30s
                    expr: deriv(node_load[30s])
                  - alert: LoadHigh
                    expr: instance:load:avg20s > 0.6
                    for: 9s
                    labels:
                      team: '{{ $labels.job | toUpper }}'
              - name: raw
                interval: 5s
                rules:
                  - alert: InstanceSpike
                    expr: node_load > 0.85
                  - record: job:requests:count
                    expr: count by (job) (http_requests_total)
            """;

    @TempDir Path tmp;

    static final String[] JOBS = {"api", "web", "db"};
    static final String[] CODES = {"200", "404", "500", "503"};
    static final double[] LE = {0.05, 0.1, 0.25, 0.5, 1, Double.POSITIVE_INFINITY};

    /**
     * The stream's state: counters and the gauges. Counters start far from zero, so rate/increase never reach the
     * counter's zero point, where 2.42 extrapolates differently from 3.x and this engine (the query engine's documented
     * {@code counter-zero-point-extrapolation} difference, not the rule engine's business).
     */
    static final class Stream {
        final Random rnd = new Random(16);
        final double[][] requests = new double[JOBS.length][CODES.length];
        final double[][] buckets = new double[JOBS.length][LE.length];
        final double[][] load = new double[JOBS.length][2];

        Stream() {
            for (int j = 0; j < JOBS.length; j++) {
                for (int c = 0; c < CODES.length; c++) requests[j][c] = 100_000 + rnd.nextInt(10_000);
                for (int b = 0; b < LE.length; b++) buckets[j][b] = 100_000 * (b + 1);
            }
        }

        /** One sample per series at {@code ts}. */
        List<ExternalProcess.TimeSeries> next(long ts, long k) {
            List<ExternalProcess.TimeSeries> out = new ArrayList<>();
            for (int j = 0; j < JOBS.length; j++) {
                // error bursts: every 40 s a job's 5xx share rises for a while (ErrorRatioHigh pends, fires, keeps firing)
                boolean burst = ((k / 20) + j) % 3 == 0 && (k % 40) < 25;
                for (int c = 0; c < CODES.length; c++) {
                    double rate = c == 0 ? 20 : c == 1 ? 2 : burst ? 2 + 6 * rnd.nextDouble() : 0.3 * rnd.nextDouble();
                    requests[j][c] += Math.floor(rate * (0.5 + rnd.nextDouble()));
                    out.add(series(ts, requests[j][c], "http_requests_total", "job", JOBS[j], "code", CODES[c]));
                }
                double obs = 20 + rnd.nextInt(10);
                for (int i = 0; i < obs; i++) {
                    double d = Math.exp(rnd.nextGaussian() * 0.8 - 2.3) * (burst ? 3 : 1);
                    for (int b = 0; b < LE.length; b++) if (d <= LE[b]) buckets[j][b]++;
                }
                for (int b = 0; b < LE.length; b++) {
                    out.add(series(ts, buckets[j][b], "request_duration_seconds_bucket", "job", JOBS[j],
                            "le", Double.isInfinite(LE[b]) ? "+Inf" : Double.toString(LE[b])));
                }
                for (int i = 0; i < 2; i++) {
                    double phase = j * 1.7 + i * 0.9;
                    load[j][i] = 0.5 + 0.4 * Math.sin(k / 15.0 + phase) + 0.08 * rnd.nextGaussian();
                    out.add(series(ts, load[j][i], "node_load", "job", JOBS[j], "instance", JOBS[j] + "-" + i));
                }
            }
            return out;
        }

        static ExternalProcess.TimeSeries series(long ts, double v, String name, String... labels) {
            String[] l = new String[labels.length + 2];
            l[0] = "__name__";
            l[1] = name;
            System.arraycopy(labels, 0, l, 2, labels.length);
            return new ExternalProcess.TimeSeries(l, new long[]{ts}, new double[]{v});
        }
    }

    static String get(String url) throws Exception {
        HttpResponse<String> r = ExternalProcess.HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), url + ": " + r.body());
        return r.body();
    }

    /** group name -> evaluation timestamp (ms) of the last evaluation, from a /metrics page. */
    static Map<String, Long> lastEvaluations(String base, String metric) throws Exception {
        Map<String, Long> out = new HashMap<>();
        Matcher m = Pattern.compile("(?m)^" + metric + "\\{[^}]*rule_group=\"[^\"]*;([^\"]+)\"[^}]*} (\\S+)$").matcher(get(base + "/metrics"));
        while (m.find()) out.put(m.group(1), Math.round(Double.parseDouble(m.group(2)) * 1000));
        return out;
    }

    /** Raw samples of every recorded series in (end - rangeS, end]: labels -> (ms -> value). */
    static Map<String, TreeMap<Long, Double>> recorded(String base, long endMs, long rangeS) throws Exception {
        String q = URLEncoder.encode("{__name__=~\"" + RECORDED + "\"}[" + rangeS + "s]", StandardCharsets.UTF_8);
        JsonNode r = ApiFixture.JSON.readTree(get(base + "/api/v1/query?query=" + q + "&time="
                + String.format(Locale.ROOT, "%.3f", endMs / 1000.0)));
        assertEquals("success", r.get("status").asText(), r.toString());
        Map<String, TreeMap<Long, Double>> out = new TreeMap<>();
        for (JsonNode s : r.at("/data/result")) {
            TreeMap<String, String> labels = new TreeMap<>();
            s.get("metric").fields().forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText()));
            TreeMap<Long, Double> samples = new TreeMap<>();
            for (JsonNode v : s.get("values")) samples.put(Math.round(v.get(0).asDouble() * 1000), Double.parseDouble(v.get(1).asText()));
            assertNull(out.put(labels.toString(), samples), "duplicate series " + labels);
        }
        return out;
    }

    static boolean close(double a, double b) {
        if (Double.isNaN(a) || Double.isNaN(b)) return Double.isNaN(a) && Double.isNaN(b);
        if (a == b) return true;
        return Math.abs(a - b) <= REL * Math.max(Math.abs(a), Math.abs(b));
    }

    @Test
    void recordedSeriesAndAlertStatesMatchPrometheus() throws Exception {
        PrometheusPair.assumeInstalled();
        long seconds = Long.getLong("rules.diff.seconds", 40);
        Path rules = tmp.resolve("rules.yml").toAbsolutePath();
        Files.writeString(rules, RULES);
        int port = ExternalProcess.freePort();
        Path cfg = tmp.resolve("prometheus.yml");
        Files.writeString(cfg, "global:\n  evaluation_interval: 5s\nrule_files:\n  - " + rules + "\n");
        String promUrl = "http://127.0.0.1:" + port;
        ServerConfig c = new ServerConfig();
        c.listenHost = "127.0.0.1";
        c.listenPort = 0;
        c.dataDir = tmp.resolve("our-data");
        c.rulesFiles = List.of(rules.toString());
        try (ExternalProcess prom = ExternalProcess.start(tmp.resolve("prometheus.log"), List.of(PrometheusPair.PROMETHEUS,
                "--config.file=" + cfg, "--storage.tsdb.path=" + tmp.resolve("prom-data"), "--web.listen-address=127.0.0.1:" + port,
                "--web.enable-remote-write-receiver"));
             TsdbServer server = TsdbServer.builder(c).start()) {
            String ourUrl = server.baseUrl();
            prom.awaitOk(promUrl + "/-/ready", Duration.ofSeconds(60));
            // wait for one evaluation of each group in both (Prometheus 2.42's gauge is the wall-clock start of the
            // evaluation; ours is the evaluation timestamp, whose millisecond phases the samples avoid)
            Map<String, Long> ours, theirs;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            do {
                Thread.sleep(500);
                ours = lastEvaluations(ourUrl, "tsdb_rule_group_last_evaluation_timestamp_seconds");
                theirs = lastEvaluations(promUrl, "prometheus_rule_group_last_evaluation_timestamp_seconds");
                assertTrue(System.nanoTime() < deadline, "groups not evaluated: " + ours + " / " + theirs);
            } while (ours.size() < 3 || theirs.size() < 3 || ours.values().stream().anyMatch(v -> v <= 0)
                    || theirs.values().stream().anyMatch(v -> v <= 0));
            TreeSet<Integer> phases = new TreeSet<>();
            for (long t : ours.values()) phases.add((int) Math.floorMod(t, 1000L));
            // a millisecond phase for the samples that no evaluation has
            int phase = 500;
            while (phases.contains(phase) || phases.contains(phase - 1) || phases.contains(phase + 1)) phase += 7;

            // the stream starts once both have restored their 'for' state (after two evaluations of each group)
            long k0 = System.currentTimeMillis() / 1000 + 13, k1 = k0 + seconds;
            Stream stream = new Stream();
            for (long k = k0; k < k1; k++) {
                long ts = k * 1000 + phase;
                byte[] body = ExternalProcess.writeRequest(stream.next(ts, k - k0));
                long wait = ts - 5000 - System.currentTimeMillis();
                if (wait > 0) Thread.sleep(wait);
                ExternalProcess.remoteWrite(promUrl, body);
                ExternalProcess.remoteWrite(ourUrl, body);
            }
            long end = (k1 - 1) * 1000 + phase;
            // both have evaluated every group past the end (Prometheus: an evaluation that started over a second later)
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (true) {
                ours = lastEvaluations(ourUrl, "tsdb_rule_group_last_evaluation_timestamp_seconds");
                theirs = lastEvaluations(promUrl, "prometheus_rule_group_last_evaluation_timestamp_seconds");
                if (ours.values().stream().allMatch(v -> v > end) && theirs.values().stream().allMatch(v -> v > end + 1000)) break;
                assertTrue(System.nanoTime() < deadline, "groups did not evaluate past the end: " + ours + " / " + theirs);
                Thread.sleep(500);
            }

            long rangeS = (end - k0 * 1000) / 1000;
            Map<String, TreeMap<Long, Double>> a = recorded(ourUrl, end, rangeS), b = recorded(promUrl, end, rangeS);
            assertEquals(b.keySet(), a.keySet(), "recorded series (ours, then Prometheus's)");
            long compared = 0, cycles = 0;
            TreeSet<Long> evalTimes = new TreeSet<>();
            Map<String, Integer> states = new TreeMap<>();
            List<String> diffs = new ArrayList<>();
            for (String s : a.keySet()) {
                TreeMap<Long, Double> x = a.get(s), y = b.get(s);
                if (!x.keySet().equals(y.keySet())) {
                    TreeSet<Long> onlyOurs = new TreeSet<>(x.keySet()), onlyTheirs = new TreeSet<>(y.keySet());
                    onlyOurs.removeAll(y.keySet());
                    onlyTheirs.removeAll(x.keySet());
                    diffs.add(s + ": timestamps only ours " + onlyOurs + ", only Prometheus " + onlyTheirs);
                    continue;
                }
                for (Map.Entry<Long, Double> e : x.entrySet()) {
                    compared++;
                    evalTimes.add(e.getKey());
                    if (!close(e.getValue(), y.get(e.getKey()))) diffs.add(s + " @" + e.getKey() + ": ours " + e.getValue() + ", Prometheus " + y.get(e.getKey()));
                }
                if (s.contains("__name__=ALERTS,")) {
                    String state = s.replaceAll(".*alertstate=(\\w+).*", "$1");
                    states.merge(state, x.size(), Integer::sum);
                }
            }
            assertTrue(diffs.isEmpty(), diffs.size() + " differences:\n" + String.join("\n", diffs.subList(0, Math.min(40, diffs.size()))));
            // the stream exercised what it is for: alerts pending and firing, every kind of recorded series
            assertTrue(states.getOrDefault("pending", 0) > 0 && states.getOrDefault("firing", 0) > 0, "alert states seen: " + states);
            for (String name : List.of("job:http_errors:ratio30s", "job:latency_seconds:p90", "instance:load:deriv30s", "job:requests:count",
                    "ALERTS_FOR_STATE")) {
                assertTrue(a.keySet().stream().anyMatch(s -> s.contains("__name__=" + name + ",") || s.contains("__name__=" + name + "}")),
                        name + " recorded");
            }
            cycles = evalTimes.size();
            System.out.printf(Locale.ROOT, "rules vs Prometheus 2.42 over %d s of stream: %d series, %d samples at %d evaluation timestamps "
                            + "agree within %.0e relative; ALERTS samples by state %s%n",
                    seconds, a.size(), compared, cycles, REL, states);
        }
    }
}
