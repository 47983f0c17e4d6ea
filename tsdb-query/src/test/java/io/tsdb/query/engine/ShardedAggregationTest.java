package io.tsdb.query.engine;

import io.tsdb.core.Appender;
import io.tsdb.core.AppendStatus;
import io.tsdb.core.Labels;
import io.tsdb.core.Matcher;
import io.tsdb.core.Querier;
import io.tsdb.core.SeriesSet;
import io.tsdb.core.StaleNaN;
import io.tsdb.core.Storage;
import io.tsdb.core.db.Tsdb;
import io.tsdb.core.db.TsdbOptions;
import io.tsdb.core.testing.MemStorage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Aggregations evaluated in shards ({@link QueryShards}) against the same engine on one thread, on randomized data
 * where the order of a float sum shows in its last bits (values of very different magnitudes, counter resets, NaN,
 * infinities, stale markers, gaps): identical answers to the bit, over the reference storage and over the real one
 * (head, then blocks plus head).
 */
class ShardedAggregationTest {
    static final long T0 = 1_700_000_000_000L;
    static final long STEP = 10_000L;
    static final int POINTS = 720; // 2 h

    @TempDir Path dir;
    Tsdb tsdb;

    @AfterEach
    void tearDown() throws Exception {
        if (tsdb != null) tsdb.close();
    }

    static final List<String> QUERIES = List.of(
            "sum by (region) (rate(req_total[5m]))",
            "sum by (region, code) (increase(req_total[10m]))",
            "sum without (host) (req_total)",
            "avg by (host) (avg_over_time(usage[30m]))",
            "avg by (region) (usage)",
            "max by (region) (max_over_time(usage[1m]))",
            "min by (code) (min_over_time(usage[3m]))",
            "count by (region) (usage)",
            "group by (code) (count_over_time(usage[5m]))",
            "stddev by (region) (usage)",
            "stdvar without (host, code) (delta(usage[15m]))",
            "sum by (region) (quantile_over_time(0.9, usage[10m]))",
            "avg by (region) (rate(req_total[5m] offset 10m))",
            "sum by (__name__) ({__name__=~\"req_total|usage\"})",
            "sum by (region) (usage @ " + (T0 + 3_600_000L) / 1000 + ")",
            "sum(rate(req_total[5m]))");

    /** Evaluations of QUERIES that go through the shards (all but the last, one group): 3 instant, 3 range each. */
    static final long SHARDABLE = (QUERIES.size() - 1) * 6L;

    /** Random series: sums of them depend on their order in the last bits. */
    static void fill(SplittableRandom rnd, int hosts, Appender app, MemStorage mem, int from, int to) {
        for (int i = from; i < to; i++) {
            long t = T0 + i * STEP + (i % 11 == 0 ? 1_700 : 0);
            for (int h = 0; h < hosts; h++) {
                String host = "h" + h, region = "r" + (h * 7 % 5), code = h % 3 == 0 ? "500" : "200";
                if ((h + i) % 53 == 0) continue;
                double scale = Math.pow(10, (h * 13) % 17 - 4);
                double u = scale * (rnd.nextDouble() * 100);
                if ((h * 31 + i) % 997 == 0) u = Double.NaN;
                if ((h * 17 + i) % 1999 == 0) u = Double.POSITIVE_INFINITY;
                if (h == 5 && i == 400) u = StaleNaN.VALUE;
                double c = (i % 250 == 249 && h % 4 == 0) ? rnd.nextDouble() : scale * (i * 3.7 + h) + rnd.nextDouble();
                Labels lu = Labels.of("__name__", "usage", "host", host, "region", region, "code", code);
                Labels lc = Labels.of("__name__", "req_total", "host", host, "region", region, "code", code);
                if (app != null) {
                    assertEquals(AppendStatus.OK, app.append(lu, t, u));
                    assertEquals(AppendStatus.OK, app.append(lc, t, c));
                }
                if (mem != null) {
                    mem.add(lu, t, u);
                    mem.add(lc, t, c);
                }
            }
        }
    }

    /** Every query, instant at a few times and over the range, sequential against sharded: identical text. */
    static void assertAgree(Storage storage, QueryShards shards) {
        PromqlEngine seq = new PromqlEngine(storage, QueryOptions.DEFAULTS, 60_000L, QueryShards.SEQUENTIAL);
        PromqlEngine par = new PromqlEngine(storage, QueryOptions.DEFAULTS, 60_000L, shards);
        long end = T0 + POINTS * STEP;
        int nonEmpty = 0;
        for (String q : QUERIES) {
            for (long t : new long[]{T0 + 1_800_000L, T0 + 3_600_000L + 7_000L, end - 30_000L}) {
                QueryResult a = seq.instant(q, t, QueryOptions.DEFAULTS);
                assertEquals(ExactValues.of(a), ExactValues.of(par.instant(q, t, QueryOptions.DEFAULTS)), q + " @" + t);
                if (!((Value.Vector) a.value()).samples().isEmpty()) nonEmpty++;
            }
            for (long step : new long[]{15_000L, 60_000L, 3_600_000L}) {
                assertEquals(ExactValues.of(seq.range(q, T0, end, step, QueryOptions.DEFAULTS)),
                        ExactValues.of(par.range(q, T0, end, step, QueryOptions.DEFAULTS)), q + " range step " + step);
            }
        }
        assertTrue(nonEmpty > QUERIES.size() * 2, "queries should mostly return data");
    }

    @Test
    void shardedSumsAreBitIdenticalOverTheReferenceStorage() {
        for (long seed : new long[]{1, 2, 3}) {
            MemStorage mem = new MemStorage();
            fill(new SplittableRandom(seed), 40, null, mem, 0, POINTS);
            QueryShards shards = new QueryShards(3, 0);
            assertAgree(mem, shards);
            assertEquals(SHARDABLE, shards.shardedAggregations());
        }
    }

    @Test
    void shardedSumsAreBitIdenticalOverHeadAndBlocks() throws Exception {
        long end = T0 + POINTS * STEP;
        tsdb = Tsdb.open(TsdbOptions.builder(dir).retention(Duration.ofDays(3650)).build(), () -> end);
        SplittableRandom rnd = new SplittableRandom(9);
        Appender app = tsdb.appender();
        fill(rnd, 30, app, null, 0, POINTS / 2);
        app.commit();
        assertAgree(tsdb, new QueryShards(2, 0));   // head only
        tsdb.flush();
        app = tsdb.appender();
        fill(rnd, 30, app, null, POINTS / 2, POINTS);
        app.commit();
        QueryShards shards = new QueryShards(4, 0);
        assertAgree(tsdb, shards);                   // a block and the head
        assertEquals(SHARDABLE, shards.shardedAggregations());
    }

    @Test
    void filteredSelectionIsTheSelectionFiltered() throws Exception {
        long end = T0 + POINTS * STEP;
        tsdb = Tsdb.open(TsdbOptions.builder(dir).retention(Duration.ofDays(3650)).build(), () -> end);
        SplittableRandom rnd = new SplittableRandom(5);
        Appender app = tsdb.appender();
        fill(rnd, 25, app, null, 0, POINTS / 2);
        app.commit();
        tsdb.flush();
        app = tsdb.appender();
        fill(rnd, 25, app, null, POINTS / 2, POINTS);
        app.commit();
        Predicate<Labels> odd = l -> Integer.parseInt(l.get("host").substring(1)) % 2 == 1;
        for (long[] range : new long[][]{{T0, end}, {T0, T0 + 600_000L}, {end - 600_000L, end}}) {
            try (Querier q = tsdb.querier(range[0], range[1])) {
                List<Matcher> ms = List.of(Matcher.re("__name__", "req_total|usage"));
                List<String> all = new ArrayList<>(), filtered = new ArrayList<>();
                SeriesSet s = q.select(ms);
                while (s.next()) if (odd.test(s.labels())) all.add(s.labels() + " " + samples(s));
                s = q.select(ms, odd);
                while (s.next()) filtered.add(s.labels() + " " + samples(s));
                assertTrue(all.size() > 10);
                assertEquals(all, filtered);
            }
        }
    }

    private static String samples(SeriesSet s) {
        io.tsdb.core.SampleCursor c = s.cursor();
        StringBuilder sb = new StringBuilder();
        while (c.next()) sb.append(c.timestamp()).append('=').append(c.value()).append(',');
        return sb.toString();
    }

    @Test
    void shardsShareTheQuerysSampleLimit() {
        MemStorage mem = new MemStorage();
        fill(new SplittableRandom(4), 40, null, mem, 0, POINTS);
        long end = T0 + POINTS * STEP;
        String q = "sum by (host) (rate(req_total[5m]))";
        // 40 groups x 481 steps (3 cells each) do not fit in 60,000 samples, on one thread or in two shards of 20 groups
        // (a shard's cells stay counted until all are done, whatever the order they run in); the cost estimate
        // (30,000) does not refuse it
        QueryOptions small = new QueryOptions(QueryOptions.DEFAULT_LOOKBACK_MS, 60_000, 60_000, 0, false);
        PromqlEngine seq = new PromqlEngine(mem, small, 60_000L, QueryShards.SEQUENTIAL);
        QueryShards shards = new QueryShards(2, 0);
        PromqlEngine par = new PromqlEngine(mem, small, 60_000L, shards);
        QueryException a = assertThrows(QueryException.class, () -> seq.range(q, T0, T0 + 4 * 3_600_000L / 2, 15_000L, small));
        QueryException b = assertThrows(QueryException.class, () -> par.range(q, T0, T0 + 4 * 3_600_000L / 2, 15_000L, small));
        assertEquals(a.getMessage(), b.getMessage());
        assertEquals(1, shards.shardedAggregations());
        // and the same query within the limit answers
        assertEquals(ExactValues.of(seq.range(q, end - 600_000L, end, 60_000L, small)),
                ExactValues.of(par.range(q, end - 600_000L, end, 60_000L, small)));
    }

    @Test
    void smallAggregationsStayOnTheCallersThread() {
        MemStorage mem = new MemStorage();
        fill(new SplittableRandom(4), 10, null, mem, 0, POINTS);
        QueryShards shards = new QueryShards(2, 1_000_000L);
        PromqlEngine par = new PromqlEngine(mem, QueryOptions.DEFAULTS, 60_000L, shards);
        par.range("sum by (region) (rate(req_total[5m]))", T0, T0 + 3_600_000L, 60_000L, QueryOptions.DEFAULTS);
        assertEquals(0, shards.shardedAggregations());
        QueryShards low = new QueryShards(2, 1_000L);
        new PromqlEngine(mem, QueryOptions.DEFAULTS, 60_000L, low)
                .range("sum by (region) (rate(req_total[5m]))", T0, T0 + 3_600_000L, 60_000L, QueryOptions.DEFAULTS);
        assertEquals(1, low.shardedAggregations());
    }
}
