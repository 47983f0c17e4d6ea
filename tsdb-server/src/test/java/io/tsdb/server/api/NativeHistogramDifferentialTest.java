package io.tsdb.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.airlift.compress.snappy.SnappyCompressor;
import io.tsdb.server.ingest.ProtoWriter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Native histograms against the Debian Prometheus 2.42 started with {@code --enable-feature=native-histograms}: the
 * same integer histogram series (two schemas, a zero bucket, sparse buckets with gaps, a counter reset) written to
 * both by remote write 1.0, then raw histograms, {@code histogram_count}, {@code histogram_sum}, rate, increase and
 * sum by label compared over a range and at instants: counts, sums, bucket boundaries and bucket counts equal within
 * 1e-9 relative. (histogram_quantile and histogram_fraction changed interpolation in 3.0 and histogram_avg/stddev/
 * stdvar and custom buckets postdate 2.42: the upstream promqltest suite checks those.)
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class NativeHistogramDifferentialTest {
    static final double REL = 1e-9;
    static final long STEP = 15_000;
    static final int SAMPLES = 120;
    static final String METRIC = "rpc_duration_seconds";

    @TempDir static Path dir;
    static PrometheusPair pair;
    static long start, end;

    @BeforeAll static void setUp() throws Exception {
        pair = PrometheusPair.start(dir, "--enable-feature=native-histograms");
        end = (System.currentTimeMillis() - 60_000) / STEP * STEP;
        start = end - (SAMPLES - 1) * STEP;
        byte[] body = snappy(writeRequest(new Random(7)));
        ExternalProcess.remoteWrite(pair.promUrl, body);
        ExternalProcess.remoteWrite(pair.ourUrl, body);
    }

    @AfterAll static void tearDown() throws Exception {
        if (pair != null) pair.close();
    }

    /** Six series: job a at schema 1, job b at schema 0, three instances each; b/2 resets its counter halfway. */
    static byte[] writeRequest(Random rnd) {
        ProtoWriter w = new ProtoWriter();
        for (String job : new String[]{"a", "b"}) {
            for (int inst = 1; inst <= 3; inst++) {
                int schema = job.equals("a") ? 1 : 0;
                boolean reset = job.equals("b") && inst == 2;
                String instance = Integer.toString(inst);
                TreeMap<Integer, Long> buckets = new TreeMap<>();
                long[] zeroAndCount = new long[2];
                double[] sum = new double[1];
                List<byte[]> samples = new ArrayList<>();
                for (int i = 0; i < SAMPLES; i++) {
                    if (reset && i == SAMPLES / 2) {
                        buckets.clear();
                        zeroAndCount[0] = zeroAndCount[1] = 0;
                        sum[0] = 0;
                    }
                    int n = 5 + rnd.nextInt(40);
                    for (int k = 0; k < n; k++) {
                        // latencies around 5 ms to 2 s, sometimes exactly 0 (the zero bucket)
                        double v = rnd.nextInt(50) == 0 ? 0 : Math.exp(rnd.nextGaussian() * 1.5 - 4);
                        zeroAndCount[1]++;
                        sum[0] += v;
                        if (v == 0) {
                            zeroAndCount[0]++;
                        } else {
                            int idx = (int) Math.ceil(Math.log(v) / Math.log(2) * (1 << schema));
                            buckets.merge(idx, 1L, Long::sum);
                        }
                    }
                    long ts = start + i * STEP;
                    ProtoWriter h = new ProtoWriter();
                    h.uint(1, zeroAndCount[1]).dbl(3, sum[0]).sint(4, schema).dbl(5, Math.scalb(1.0, -128)).uint(6, zeroAndCount[0]);
                    // spans over runs of consecutive bucket indexes, deltas between consecutive bucket counts
                    List<long[]> spans = new ArrayList<>();
                    List<Long> deltas = new ArrayList<>();
                    Integer prevIdx = null;
                    long prevCount = 0;
                    for (Map.Entry<Integer, Long> e : buckets.entrySet()) {
                        int idx = e.getKey();
                        if (prevIdx == null) spans.add(new long[]{idx, 1});
                        else if (idx == prevIdx + 1) spans.get(spans.size() - 1)[1]++;
                        else spans.add(new long[]{idx - prevIdx - 1, 1});
                        deltas.add(e.getValue() - prevCount);
                        prevCount = e.getValue();
                        prevIdx = idx;
                    }
                    for (long[] sp : spans) h.msg(11, s -> s.sint(1, sp[0]).uint(2, sp[1]));
                    h.msg(12, p -> { for (long d : deltas) p.varint((d << 1) ^ (d >> 63)); });
                    h.uint(15, ts);
                    samples.add(h.toByteArray());
                }
                w.msg(1, s -> {
                    s.msg(1, l -> l.string(1, "__name__").string(2, METRIC));
                    s.msg(1, l -> l.string(1, "instance").string(2, instance));
                    s.msg(1, l -> l.string(1, "job").string(2, job));
                    for (byte[] h : samples) s.msg(4, m -> m.raw(h));
                });
            }
        }
        return w.toByteArray();
    }

    static byte[] snappy(byte[] raw) {
        SnappyCompressor c = new SnappyCompressor();
        byte[] out = new byte[c.maxCompressedLength(raw.length)];
        return Arrays.copyOf(out, c.compress(raw, 0, raw.length, out, 0, out.length));
    }

    static final List<String> QUERIES = List.of(
            METRIC,
            "histogram_count(" + METRIC + ")",
            "histogram_sum(" + METRIC + ")",
            "rate(" + METRIC + "[2m])",
            "increase(" + METRIC + "[5m])",
            "sum by (job) (" + METRIC + ")",
            "sum by (job) (rate(" + METRIC + "[2m]))",
            "histogram_count(rate(" + METRIC + "[2m]))",
            "histogram_sum(increase(" + METRIC + "[5m]))",
            "sum(rate(" + METRIC + "[5m]))");   // schemas 1 and 0 summed: reduced to 0

    @Test void rangeAndInstantQueriesMatchPrometheus() throws Exception {
        List<String> failures = new ArrayList<>();
        int nonEmpty = 0, histogramPoints = 0;
        for (String q : QUERIES) {
            Map<String, String> p = new LinkedHashMap<>();
            p.put("query", q);
            // steps between samples: a range's left edge never falls on a sample (2.42 includes a sample at the left
            // edge of a range, 3.x does not: prometheus#13213)
            p.put("start", GoFloat.timestamp(start + 6 * 60_000 + 7_250));
            p.put("end", GoFloat.timestamp(end));
            p.put("step", GoFloat.timestamp(60_000));
            JsonNode want = PrometheusPair.query(pair.promUrl, "/api/v1/query_range", p);
            JsonNode got = PrometheusPair.query(pair.ourUrl, "/api/v1/query_range", p);
            histogramPoints += compare(q + " (range)", want, got, failures);
            if (want.at("/data/result").size() > 0) nonEmpty++;
            for (long t : new long[]{end - 4_321, start + 17 * 60_000 + 500}) {
                Map<String, String> i = Map.of("query", q, "time", GoFloat.timestamp(t));
                compare(q + " @" + GoFloat.timestamp(t), PrometheusPair.query(pair.promUrl, "/api/v1/query", i),
                        PrometheusPair.query(pair.ourUrl, "/api/v1/query", i), failures);
            }
        }
        if (!failures.isEmpty()) throw new AssertionError(failures.size() + " differences:\n" + String.join("\n", failures));
        System.out.println("NativeHistogramDifferentialTest: " + histogramPoints + " histogram points compared; known difference "
                + "(3.x zero-point clamp of histogram rate after a reset) left out at " + KNOWN.size() + " points: " + KNOWN);
        assertTrue(KNOWN.size() < 20, "the known difference covers too much: " + KNOWN);
        assertTrue(nonEmpty == QUERIES.size(), "Prometheus answered only " + nonEmpty + " of the queries with data");
        assertTrue(histogramPoints > 500, "only " + histogramPoints + " histogram points compared");
    }

    /** Points of the known difference below, left out of the comparison (reported, and must stay few). */
    static final List<String> KNOWN = new ArrayList<>();

    /**
     * The one known difference from 2.42 (the upstream 3.x suite is the authority): a counter's rate/increase is not
     * extrapolated past the series' zero point, and 3.x applies that to histograms too (with the histogram's count),
     * while 2.42's check reads the float value, which a histogram sample does not have, so it extrapolates freely. It
     * matters only when the window starts right after a counter reset, where the first count is small: the windows of
     * the resetting series b/2 (and the sums including it) whose left edge lies within 30 s after its reset.
     */
    static boolean knownDifference(String query, String series, double tsSeconds) {
        if (!query.contains("rate(") && !query.contains("increase(")) return false;
        if (!(series.contains("instance=2, job=b") || series.equals("{job=b}") || series.equals("{}"))) return false;
        long range = query.contains("[5m]") ? 300_000 : 120_000;
        long left = Math.round(tsSeconds * 1000) - range, reset = start + (SAMPLES / 2) * STEP;
        return left >= reset - STEP && left <= reset + 30_000;
    }

    /** Compares two API answers (vector or matrix, float and histogram points); returns the histogram points compared. */
    static int compare(String what, JsonNode want, JsonNode got, List<String> failures) {
        if (!want.path("status").asText().equals(got.path("status").asText())) {
            failures.add(what + ": status prometheus=" + want + " ours=" + got);
            return 0;
        }
        String type = want.at("/data/resultType").asText();
        if (!type.equals(got.at("/data/resultType").asText())) {
            failures.add(what + ": result type " + type + " vs " + got.at("/data/resultType").asText());
            return 0;
        }
        Map<String, JsonNode> a = bySeries(want.at("/data/result")), b = bySeries(got.at("/data/result"));
        if (!a.keySet().equals(b.keySet())) {
            failures.add(what + ": series differ\n  prometheus " + a.keySet() + "\n  ours       " + b.keySet());
            return 0;
        }
        int n = 0;
        for (String k : a.keySet()) {
            JsonNode x = a.get(k), y = b.get(k);
            for (String f : type.equals("matrix") ? new String[]{"values", "histograms"} : new String[]{"value", "histogram"}) {
                JsonNode xs = x.get(f), ys = y.get(f);
                if (xs == null && ys == null) continue;
                if (xs == null || ys == null) {
                    failures.add(what + " " + k + ": field " + f + " prometheus " + xs + " ours " + ys);
                    continue;
                }
                if (type.equals("vector")) {
                    xs = ApiFixture.JSON.createArrayNode().add(xs);
                    ys = ApiFixture.JSON.createArrayNode().add(ys);
                }
                if (xs.size() != ys.size()) {
                    failures.add(what + " " + k + " " + f + ": " + xs.size() + " points vs " + ys.size());
                    continue;
                }
                for (int i = 0; i < xs.size(); i++) {
                    String where = what + " " + k + " @" + xs.get(i).get(0);
                    if (xs.get(i).get(0).asDouble() != ys.get(i).get(0).asDouble()) {
                        failures.add(where + ": timestamp vs " + ys.get(i).get(0));
                        break;
                    }
                    if (knownDifference(what, k, xs.get(i).get(0).asDouble())) {
                        KNOWN.add(where);
                        continue;
                    }
                    if (f.startsWith("histogram")) {
                        n++;
                        if (!sameHistogram(xs.get(i).get(1), ys.get(i).get(1))) {
                            failures.add(where + ":\n  prometheus " + xs.get(i).get(1) + "\n  ours       " + ys.get(i).get(1));
                            break;
                        }
                    } else if (!close(xs.get(i).get(1).asText(), ys.get(i).get(1).asText())) {
                        failures.add(where + ": prometheus " + xs.get(i).get(1) + " ours " + ys.get(i).get(1));
                        break;
                    }
                }
            }
        }
        return n;
    }

    static boolean sameHistogram(JsonNode x, JsonNode y) {
        if (!close(x.get("count").asText(), y.get("count").asText()) || !close(x.get("sum").asText(), y.get("sum").asText())) return false;
        JsonNode xb = x.path("buckets"), yb = y.path("buckets");
        if (xb.size() != yb.size()) return false;
        for (int i = 0; i < xb.size(); i++) {
            JsonNode p = xb.get(i), q = yb.get(i);
            if (p.get(0).asInt() != q.get(0).asInt()) return false;
            for (int j = 1; j <= 3; j++) if (!close(p.get(j).asText(), q.get(j).asText())) return false;
        }
        return true;
    }

    static boolean close(String a, String b) {
        if (a.equals(b)) return true;
        double x = Double.parseDouble(a.replace("Inf", "Infinity")), y = Double.parseDouble(b.replace("Inf", "Infinity"));
        if (Double.isNaN(x) && Double.isNaN(y) || x == y) return true;
        return Math.abs(x - y) <= REL * Math.max(Math.abs(x), Math.abs(y));
    }

    static Map<String, JsonNode> bySeries(JsonNode result) {
        Map<String, JsonNode> m = new TreeMap<>();
        for (Iterator<JsonNode> it = result.elements(); it.hasNext(); ) {
            JsonNode s = it.next();
            m.put(new TreeMap<>(ApiFixture.JSON.convertValue(s.get("metric"), Map.class)).toString(), s);
        }
        return m;
    }
}
