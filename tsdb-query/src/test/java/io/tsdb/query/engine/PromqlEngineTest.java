package io.tsdb.query.engine;

import io.tsdb.core.Labels;
import io.tsdb.core.StaleNaN;
import io.tsdb.core.testing.MemStorage;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Engine behaviour beyond the conformance scripts: limits, cost refusal, timeout, stats, result shapes. */
class PromqlEngineTest {
    private MemStorage storage;
    private PromqlEngine engine;

    @BeforeEach
    void setUp() {
        storage = new MemStorage();
        // 10 series x 61 samples (0..600s every 10s), value = i * t
        for (int s = 0; s < 10; s++) {
            Labels l = Labels.of("__name__", "http_requests_total", "instance", "i" + s, "region", s % 2 == 0 ? "east" : "west");
            for (int k = 0; k <= 60; k++) storage.add(l, k * 10_000L, (double) s * k);
        }
        engine = new PromqlEngine(storage);
    }

    private static QueryOptions opts(long maxSamples, long maxSeries) {
        return new QueryOptions(QueryOptions.DEFAULT_LOOKBACK_MS, 60_000, maxSamples, maxSeries, false);
    }

    @Test
    void instantSumByRegion() {
        QueryResult r = engine.instant("sum by (region) (rate(http_requests_total[1m]))", 600_000, QueryOptions.DEFAULTS);
        Value.Vector v = (Value.Vector) r.value();
        assertEquals(2, v.samples().size());
        double east = 0, west = 0;
        for (Sample s : v.samples()) {
            if (s.labels().get("region").equals("east")) east = s.value(); else west = s.value();
            assertNull(s.labels().metricName());
            assertEquals(600_000, s.timestampMs());
        }
        // rate of series s is s/10 per second; east = 0+2+4+6+8, west = 1+3+5+7+9
        assertEquals(2.0, east, 1e-9);
        assertEquals(2.5, west, 1e-9);
    }

    @Test
    void rangeQueryIsMatrixSortedByLabels() {
        QueryResult r = engine.range("http_requests_total{instance=~\"i[12]\"} * 2", 0, 600_000, 60_000, QueryOptions.DEFAULTS);
        Value.Matrix m = (Value.Matrix) r.value();
        assertEquals(2, m.series().size());
        assertEquals("i1", m.series().get(0).labels().get("instance"));
        Series s = m.series().get(1);
        assertEquals(11, s.count());
        assertEquals(2.0 * 2 * 30, s.values()[5], 1e-9); // instance i2 at t=300s: 2 * 30 * 2
    }

    @Test
    void seriesLimitRefusesBeforeExecutionNamingSelector() {
        QueryException e = assertThrows(QueryException.class, () ->
                engine.instant("sum(http_requests_total{region=~\".+\"})", 600_000, opts(0, 5)));
        assertEquals(QueryException.Kind.EXECUTION, e.kind());
        assertTrue(e.getMessage().contains("10 series"), e.getMessage());
        assertTrue(e.getMessage().contains("http_requests_total{region=~\".+\"}"), e.getMessage());
        // under the limit it runs
        assertNotNull(engine.instant("sum(http_requests_total{instance=\"i1\"})", 600_000, opts(0, 5)).value());
    }

    @Test
    void sampleLimitRefusesBeforeExecution() {
        QueryException e = assertThrows(QueryException.class, () ->
                engine.range("rate(http_requests_total[5m])", 0, 600_000, 10_000, opts(100, 0)));
        assertEquals(QueryException.Kind.EXECUTION, e.kind());
        assertTrue(e.getMessage().contains("samples"), e.getMessage());
        assertTrue(e.getMessage().contains("http_requests_total"), e.getMessage());
    }

    @Test
    void sampleLimitIsEnforcedDuringExecution() {
        // The selector reads few samples, but the subquery materialises 600 points per series in memory.
        QueryOptions o = opts(2_000, 0);
        assertDoesNotThrow(() -> engine.instant("http_requests_total", 600_000, o));
        QueryException e = assertThrows(QueryException.class, () ->
                engine.instant("sum_over_time(http_requests_total[10m:1s])", 600_000, o));
        assertEquals(QueryException.Kind.EXECUTION, e.kind());
        assertTrue(e.getMessage().contains("too many samples"), e.getMessage());
    }

    @Test
    void timeoutCancelsARunningQuery() {
        MemStorage big = new MemStorage();
        for (int s = 0; s < 200; s++) {
            Labels l = Labels.of("__name__", "x", "i", Integer.toString(s));
            for (int k = 0; k < 3600; k++) big.add(l, k * 1000L, k);
        }
        PromqlEngine e = new PromqlEngine(big);
        QueryOptions o = new QueryOptions(QueryOptions.DEFAULT_LOOKBACK_MS, 1, 0, 0, false);
        QueryException ex = assertThrows(QueryException.class, () ->
                e.range("sum(rate(x[5m:1s]))", 0, 3_600_000, 1_000, o));
        assertEquals(QueryException.Kind.TIMEOUT, ex.kind());
    }

    @Test
    void statsCountSeriesAndSamplesTouched() {
        QueryOptions o = QueryOptions.DEFAULTS.withStats(true);
        QueryResult r = engine.instant("max_over_time(http_requests_total[1m])", 600_000, o);
        assertEquals(10, r.stats().seriesTouched());
        // window (540s, 600s] holds 6 samples per series
        assertEquals(60, r.stats().samplesTouched());
        assertTrue(r.stats().evalNanos() > 0);
        assertEquals(QueryStats.EMPTY, engine.instant("max(http_requests_total)", 600_000, QueryOptions.DEFAULTS).stats());
    }

    @Test
    void staleMarkerEndsSeriesAndLookbackIsConfigurable() {
        Labels l = Labels.of("__name__", "g");
        storage.add(l, 0, 1);
        storage.add(l, 60_000, StaleNaN.VALUE);
        assertTrue(((Value.Vector) engine.instant("g", 30_000, QueryOptions.DEFAULTS).value()).samples().size() == 1);
        assertTrue(((Value.Vector) engine.instant("g", 61_000, QueryOptions.DEFAULTS).value()).samples().isEmpty());
        storage.add(Labels.of("__name__", "h"), 0, 1);
        assertEquals(1, ((Value.Vector) engine.instant("h", 200_000, QueryOptions.DEFAULTS).value()).samples().size());
        assertTrue(((Value.Vector) engine.instant("h", 200_000, QueryOptions.DEFAULTS.withLookback(100_000)).value()).samples().isEmpty());
    }

    @Test
    void rateOnNonCounterNameGivesInfoAnnotation() {
        storage.add(Labels.of("__name__", "temperature"), 10_000, 1);
        storage.add(Labels.of("__name__", "temperature"), 40_000, 2);
        QueryResult r = engine.instant("rate(temperature[1m])", 60_000, QueryOptions.DEFAULTS);
        assertEquals(List.of("PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: \"temperature\" (1:6)"), r.infos());
        assertTrue(engine.instant("rate(http_requests_total[1m])", 600_000, QueryOptions.DEFAULTS).infos().isEmpty());
    }

    @Test
    void manyToManyMatchingIsAnError() {
        QueryException e = assertThrows(QueryException.class, () ->
                engine.instant("http_requests_total + on(region) http_requests_total", 600_000, QueryOptions.DEFAULTS));
        assertEquals(QueryException.Kind.EXECUTION, e.kind());
        assertTrue(e.getMessage().contains("many-to-many matching not allowed"), e.getMessage());
    }

    @Test
    void parseErrorsAreBadData() {
        QueryException e = assertThrows(QueryException.class, () -> engine.instant("sum(", 0, QueryOptions.DEFAULTS));
        assertEquals(QueryException.Kind.BAD_DATA, e.kind());
        QueryException e2 = assertThrows(QueryException.class, () -> engine.range("x[5m]", 0, 10, 1, QueryOptions.DEFAULTS));
        assertEquals(QueryException.Kind.BAD_DATA, e2.kind());
    }

    @Test
    void scalarRangeResultIsOneSeries() {
        Value.Matrix m = (Value.Matrix) engine.range("time()", 0, 120_000, 60_000, QueryOptions.DEFAULTS).value();
        assertEquals(1, m.series().size());
        assertArrayEquals(new double[]{0, 60, 120}, m.series().get(0).values(), 0);
    }

    /** Repeated queries reuse the parsed expression per text, step and range; errors are reported every time. */
    @Test
    void parsedQueriesAreReusedPerTextStepAndRange() {
        var r = new io.tsdb.query.parser.QueryParser.QueryRange(60_000, 3_600_000);
        var a = engine.parse("sum by (job) (rate(http_requests_total[5m]))", r);
        assertSame(a, engine.parse("sum by (job) (rate(http_requests_total[5m]))", r));
        assertNotSame(a, engine.parse("sum by (job) (rate(http_requests_total[5m]))", new io.tsdb.query.parser.QueryParser.QueryRange(30_000, 3_600_000)));
        assertEquals(a, engine.parse("sum by (job) (rate(http_requests_total[5m]))", new io.tsdb.query.parser.QueryParser.QueryRange(30_000, 3_600_000)));
        // a duration expression depending on the step parses to a different tree for another step
        assertNotEquals(engine.parse("rate(x[step()])", new io.tsdb.query.parser.QueryParser.QueryRange(60_000, 0)),
                engine.parse("rate(x[step()])", new io.tsdb.query.parser.QueryParser.QueryRange(30_000, 0)));
        for (int i = 0; i < 2; i++) {
            QueryException e = assertThrows(QueryException.class, () -> engine.parse("sum(", r));
            assertEquals(QueryException.Kind.BAD_DATA, e.kind());
        }
    }
}
