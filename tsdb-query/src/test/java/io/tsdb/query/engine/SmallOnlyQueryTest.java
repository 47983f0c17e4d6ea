package io.tsdb.query.engine;

import io.tsdb.core.Labels;
import io.tsdb.core.testing.MemStorage;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link QueryOptions#smallOnly}: a small query evaluates exactly as without the bound, on the caller's thread (no
 * shards even where the engine would shard it); a query over the series bound, over the work bound or with a
 * subquery is refused with {@link QueryDeferred} before evaluation, and the same engine then runs it unbounded.
 */
class SmallOnlyQueryTest {
    static final long T0 = 1_700_000_000_000L;
    static final int POINTS = 360; // 1 h at 10 s
    MemStorage mem;

    @BeforeEach
    void fill() {
        mem = new MemStorage();
        for (int i = 0; i < POINTS; i++) {
            long t = T0 + i * 10_000L;
            for (int h = 0; h < 4; h++) {
                mem.add(Labels.of("__name__", "small", "host", "h" + h, "region", "r" + h % 2), t, h * 1000 + i);
            }
            if (i % 60 == 0) {
                // more series than the bound, 6 samples each
                for (int s = 0; s < QueryOptions.SMALL_MAX_SERIES + 10; s++) {
                    mem.add(Labels.of("__name__", "wide", "pod", "p" + s), t, s);
                }
            }
        }
    }

    private static QueryOptions small(long work) { return QueryOptions.DEFAULTS.withSmallOnly(work); }

    @Test
    void smallQueryAnswersAsWithoutTheBoundAndRunsUnsharded() {
        // shards for every aggregation (min work 0): the bounded query must not use them
        QueryShards shards = new QueryShards(2, 0);
        PromqlEngine engine = new PromqlEngine(mem, QueryOptions.DEFAULTS, 60_000L, shards);
        String q = "sum by (region) (rate(small[5m]))";
        long end = T0 + (POINTS - 1) * 10_000L;
        QueryResult free = engine.range(q, T0 + 600_000, end, 60_000, QueryOptions.DEFAULTS);
        long shardedBefore = shards.shardedAggregations();
        assertTrue(shardedBefore > 0, "the unbounded query is sharded");
        QueryResult bounded = engine.range(q, T0 + 600_000, end, 60_000, small(500_000));
        assertEquals(ExactValues.of(free), ExactValues.of(bounded));
        assertEquals(shardedBefore, shards.shardedAggregations(), "the bounded query ran on the caller's thread alone");

        QueryResult instant = engine.instant("max(small)", end, small(500_000));
        assertEquals(ExactValues.of(engine.instant("max(small)", end, QueryOptions.DEFAULTS)), ExactValues.of(instant));
    }

    @Test
    void tooManySeriesIsDeferredBeforeEvaluation() {
        PromqlEngine engine = new PromqlEngine(mem);
        long end = T0 + (POINTS - 1) * 10_000L;
        QueryDeferred d = assertThrows(QueryDeferred.class,
                () -> engine.range("count(wide)", T0, end, 60_000, small(Long.MAX_VALUE)));
        assertTrue(d.reason().contains("series"), d.reason());
        // one series fewer than the bound with another selector in the same query: counted together
        assertThrows(QueryDeferred.class,
                () -> engine.instant("count(wide{pod!=\"p0\"}) + count(small)", end, small(Long.MAX_VALUE)));
        // the same engine answers it without the bound
        Value v = engine.range("count(wide)", T0, end, 60_000, QueryOptions.DEFAULTS).value();
        assertTrue(v instanceof Value.Matrix m && !m.series().isEmpty());
    }

    @Test
    void tooMuchWorkIsDeferred() {
        PromqlEngine engine = new PromqlEngine(mem);
        long end = T0 + (POINTS - 1) * 10_000L;
        // 4 series x 61 steps = 244 before any sample is counted
        QueryDeferred bySteps = assertThrows(QueryDeferred.class,
                () -> engine.range("small", T0, end, 60_000, small(200)));
        assertTrue(bySteps.reason().contains("steps"), bySteps.reason());
        // 4 series x 1 step, then about 4 x 360 samples over the hour
        QueryDeferred bySamples = assertThrows(QueryDeferred.class,
                () -> engine.instant("max_over_time(small[1h])", end, small(1_000)));
        assertTrue(bySamples.reason().contains("samples"), bySamples.reason());
        // within a bound that holds it
        QueryResult r = engine.instant("max_over_time(small[1h])", end, small(10_000));
        assertEquals(ExactValues.of(engine.instant("max_over_time(small[1h])", end, QueryOptions.DEFAULTS)), ExactValues.of(r));
    }

    @Test
    void aSmallQueryIsStillHeldToTheSampleAndSeriesLimits() {
        PromqlEngine engine = new PromqlEngine(mem);
        long end = T0 + (POINTS - 1) * 10_000L;
        String q = "max_over_time(small[1h])"; // small: 4 series, about 4 x 360 samples
        QueryOptions samplesLimited = new QueryOptions(QueryOptions.DEFAULT_LOOKBACK_MS, 120_000L, 1_000, 0, false)
                .withSmallOnly(500_000);
        QueryException bySamples = assertThrows(QueryException.class, () -> engine.instant(q, end, samplesLimited));
        assertTrue(bySamples.getMessage().contains("query.max-samples"), bySamples.getMessage());
        QueryOptions seriesLimited = new QueryOptions(QueryOptions.DEFAULT_LOOKBACK_MS, 120_000L, 50_000_000L, 3, false)
                .withSmallOnly(500_000);
        QueryException bySeries = assertThrows(QueryException.class, () -> engine.instant(q, end, seriesLimited));
        assertTrue(bySeries.getMessage().contains("query.max-series"), bySeries.getMessage());
        // limits that hold it: answered as without them
        QueryOptions roomy = new QueryOptions(QueryOptions.DEFAULT_LOOKBACK_MS, 120_000L, 2_000, 4, false)
                .withSmallOnly(500_000);
        assertEquals(ExactValues.of(engine.instant(q, end, QueryOptions.DEFAULTS)), ExactValues.of(engine.instant(q, end, roomy)));
    }

    @Test
    void subqueryIsDeferred() {
        PromqlEngine engine = new PromqlEngine(mem);
        long end = T0 + (POINTS - 1) * 10_000L;
        assertThrows(QueryDeferred.class,
                () -> engine.instant("max_over_time(rate(small{host=\"h1\"}[5m])[30m:1s])", end, small(Long.MAX_VALUE)));
        assertThrows(QueryDeferred.class,
                () -> engine.instant("1 + max_over_time(sum(small)[30m:])", end, small(Long.MAX_VALUE)));
    }

    @Test
    void noSelectorIsSmall() {
        PromqlEngine engine = new PromqlEngine(mem);
        QueryResult r = engine.range("time() * 2", T0, T0 + 3_600_000, 1_000, small(1));
        assertTrue(r.value() instanceof Value.Matrix m && m.series().size() == 1);
    }
}
