package io.tsdb.query.engine;

import io.tsdb.core.Appender;
import io.tsdb.core.AppendStatus;
import io.tsdb.core.Labels;
import io.tsdb.core.StaleNaN;
import io.tsdb.core.Storage;
import io.tsdb.core.db.Tsdb;
import io.tsdb.core.db.TsdbOptions;
import io.tsdb.core.testing.MemStorage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Differential test of the engine over tsdb-core's real storage ({@link Tsdb}: head, then flushed blocks)
 * against the reference {@link MemStorage}: identical data, identical query results.
 */
class EngineOverTsdbTest {
    static final long T0 = 1_700_000_000_000L;
    static final long STEP = 15_000L;
    static final int POINTS = 480; // 2 h

    @TempDir Path dir;
    Tsdb tsdb;
    MemStorage mem;

    @BeforeEach
    void setUp() throws Exception {
        long end = T0 + POINTS * STEP;
        tsdb = Tsdb.open(TsdbOptions.builder(dir).retention(Duration.ofDays(3650)).build(), () -> end);
        mem = new MemStorage();
        SplittableRandom rnd = new SplittableRandom(7);
        int nSeries = 60;
        Labels[] labels = new Labels[nSeries];
        double[] counter = new double[nSeries], gauge = new double[nSeries];
        for (int s = 0; s < nSeries; s++) {
            String name = s % 3 == 0 ? "cpu_usage" : "http_requests_total";
            labels[s] = Labels.of("__name__", name, "host", "h" + s, "region", "r" + (s % 4), "code", s % 5 == 0 ? "500" : "200");
        }
        for (int i = 0; i < POINTS; i++) {
            long t = T0 + i * STEP + (i % 7 == 0 ? 1_234 : 0); // some jitter off whole seconds
            Appender app = tsdb.appender();
            for (int s = 0; s < nSeries; s++) {
                if ((s + i) % 97 == 0) continue; // gaps
                double v;
                if (labels[s].metricName().equals("cpu_usage")) {
                    gauge[s] += rnd.nextInt(21) - 10;
                    v = gauge[s] / 3.0;
                    if (s == 3 && i == 300) v = StaleNaN.VALUE;
                } else {
                    counter[s] += rnd.nextInt(50);
                    if (rnd.nextInt(200) == 0) counter[s] = 0;
                    v = counter[s];
                }
                assertEquals(AppendStatus.OK, app.append(labels[s], t, v));
                mem.add(labels[s], t, v);
            }
            app.commit();
        }
    }

    @AfterEach
    void tearDown() throws Exception {
        tsdb.close();
    }

    static final List<String> QUERIES = List.of(
            "http_requests_total{code=\"500\"}",
            "sum by (region) (rate(http_requests_total[5m]))",
            "avg without (host) (cpu_usage)",
            "max_over_time(cpu_usage[10m]) - min_over_time(cpu_usage[10m] offset 5m)",
            "histogram_quantile(0.9, sum by (le) (label_replace(rate(http_requests_total[5m]), \"le\", \"$1\", \"host\", \"h(1|2|4|8)\")))",
            "topk(3, increase(http_requests_total[30m]))",
            "count by (code) (http_requests_total > 1000)",
            "rate(http_requests_total[5m:1m])",
            "cpu_usage @ " + (T0 + 3_600_000L) / 1000 + " * on (host) group_left (region) (cpu_usage > bool 0)",
            "deriv(cpu_usage[15m])",
            "resets(http_requests_total[1h]) + changes(cpu_usage[1h])",
            "absent(nonexistent{job=\"x\"})",
            "quantile_over_time(0.5, cpu_usage[20m])");

    private static boolean close(double a, double b) {
        return Double.compare(a, b) == 0 || (Double.isNaN(a) && Double.isNaN(b)) || Math.abs(a - b) <= 1e-9 * Math.abs(a);
    }

    private static void assertSameValue(String q, Value a, Value b) {
        if (a instanceof Value.Vector va) {
            Value.Vector vb = (Value.Vector) b;
            assertEquals(va.samples().size(), vb.samples().size(), q);
            java.util.Map<Labels, Double> m = new java.util.HashMap<>();
            for (Sample s : vb.samples()) m.put(s.labels(), s.value());
            for (Sample s : va.samples()) {
                assertTrue(m.containsKey(s.labels()), q + " missing " + s.labels());
                double x = m.get(s.labels());
                assertTrue(close(x, s.value()), q + " " + s.labels() + ": " + s.value() + " vs " + x);
            }
        } else if (a instanceof Value.Matrix ma) {
            Value.Matrix mb = (Value.Matrix) b;
            assertEquals(ma.series().size(), mb.series().size(), q);
            for (int i = 0; i < ma.series().size(); i++) {
                Series x = ma.series().get(i), y = mb.series().get(i);
                assertEquals(x.labels(), y.labels(), q);
                assertEquals(x.count(), y.count(), q + " " + x.labels());
                for (int k = 0; k < x.count(); k++) {
                    assertEquals(x.timestamps()[k], y.timestamps()[k], q);
                    assertTrue(close(x.values()[k], y.values()[k]), q + " " + x.labels() + " t=" + x.timestamps()[k]
                            + ": " + x.values()[k] + " vs " + y.values()[k]);
                }
            }
        } else {
            assertEquals(a, b, q);
        }
    }

    private void compareAll(Storage real) {
        PromqlEngine ref = new PromqlEngine(mem), eng = new PromqlEngine(real);
        long end = T0 + POINTS * STEP;
        int nonEmpty = 0;
        for (String q : QUERIES) {
            for (long t : new long[]{T0 + 1_800_000L, T0 + 3_600_000L + 7_000L, end - 30_000L}) {
                Value a = ref.instant(q, t, QueryOptions.DEFAULTS).value();
                assertSameValue(q + " @" + t, a, eng.instant(q, t, QueryOptions.DEFAULTS).value());
                if (a instanceof Value.Vector v && !v.samples().isEmpty()) nonEmpty++;
            }
            Value a = ref.range(q, T0, end, 60_000L, QueryOptions.DEFAULTS).value();
            assertSameValue(q + " range", a, eng.range(q, T0, end, 60_000L, QueryOptions.DEFAULTS).value());
        }
        assertTrue(nonEmpty > QUERIES.size(), "queries should mostly return data");
    }

    /** The storage with a count of the queriers opened and of those closed. */
    static final class CountingStorage implements Storage {
        final Storage s;
        int opened, closed;

        CountingStorage(Storage s) { this.s = s; }

        @Override public Appender appender() { return s.appender(); }
        @Override public io.tsdb.core.StorageStats stats() { return s.stats(); }
        @Override public void flush() throws java.io.IOException { s.flush(); }
        @Override public void close() throws java.io.IOException { s.close(); }

        @Override public io.tsdb.core.Querier querier(long mint, long maxt) {
            io.tsdb.core.Querier q = s.querier(mint, maxt);
            opened++;
            return new io.tsdb.core.Querier() {
                @Override public io.tsdb.core.SeriesSet select(List<io.tsdb.core.Matcher> m) { return q.select(m); }
                @Override public long seriesCount(List<io.tsdb.core.Matcher> m) { return q.seriesCount(m); }
                @Override public long sampleEstimate(List<io.tsdb.core.Matcher> m) { return q.sampleEstimate(m); }
                @Override public List<String> labelNames(List<io.tsdb.core.Matcher> m) { return q.labelNames(m); }
                @Override public List<String> labelValues(String n, List<io.tsdb.core.Matcher> m) { return q.labelValues(n, m); }
                @Override public void close() { closed++; q.close(); }
            };
        }
    }

    /**
     * The cost estimate's querier is handed on to the evaluation of the same selector (the series are selected once):
     * one querier per selector and range, and every one closed when the query ends, answered, refused or failed.
     */
    @Test
    void theEstimatesQuerierServesTheEvaluationAndIsClosed() throws Exception {
        tsdb.flush();
        CountingStorage counting = new CountingStorage(tsdb);
        PromqlEngine eng = new PromqlEngine(counting), ref = new PromqlEngine(mem);
        long end = T0 + POINTS * STEP;
        String q = "max(max_over_time(cpu_usage{host=~\"h3|h6|h9\"}[1m]))";
        Value got = eng.range(q, end - 3_600_000L, end, 60_000L, QueryOptions.DEFAULTS).value();
        assertSameValue(q, ref.range(q, end - 3_600_000L, end, 60_000L, QueryOptions.DEFAULTS).value(), got);
        assertEquals(1, counting.opened, "one querier for the estimate and the evaluation");
        assertEquals(counting.opened, counting.closed);

        // without limits there is no estimate: the evaluation opens and closes its own
        eng.range(q, end - 3_600_000L, end, 60_000L, new QueryOptions(QueryOptions.DEFAULT_LOOKBACK_MS, 60_000, 0, 0, false));
        assertEquals(2, counting.opened);
        assertEquals(counting.opened, counting.closed);

        // refused by the estimate: closed all the same
        QueryOptions tiny = new QueryOptions(QueryOptions.DEFAULT_LOOKBACK_MS, 60_000, 10, 0, false);
        QueryException e = assertThrows(QueryException.class, () -> eng.range("rate(http_requests_total[5m]) / cpu_usage",
                T0, end, 60_000L, tiny));
        assertTrue(e.getMessage().contains("query would load about"), e.getMessage());
        assertEquals(counting.opened, counting.closed);

        // failing in the evaluation (two series with one label set): closed all the same
        assertThrows(QueryException.class, () -> eng.range("label_replace(cpu_usage, \"host\", \"x\", \"\", \"\")",
                T0, end, 60_000L, QueryOptions.DEFAULTS));
        assertEquals(counting.opened, counting.closed);

        for (String each : QUERIES) {
            assertSameValue(each, ref.range(each, T0, end, 60_000L, QueryOptions.DEFAULTS).value(),
                    eng.range(each, T0, end, 60_000L, QueryOptions.DEFAULTS).value());
            assertEquals(counting.opened, counting.closed, each);
        }
    }

    @Test
    void headMatchesReference() {
        compareAll(tsdb);
    }

    @Test
    void flushedBlocksMatchReference() throws Exception {
        tsdb.flush();
        compareAll(tsdb);
    }
}
