package io.tsdb.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The range-query cache answers exactly like the engine, also after writes into cached extents. */
class RangeCacheTest {
    ApiFixture f;
    long now;

    @BeforeEach void data() {
        f = new ApiFixture();
        now = f.now.get();
        for (long t = now - 4 * 3_600_000L; t < now; t += 15_000) {
            f.add(t + 123, (t / 15_000) % 17, "__name__", "x", "i", "a");
            f.add(t + 456, (t / 15_000) % 5, "__name__", "x", "i", "b");
        }
    }

    String range(String q, long start, long end, long step, boolean nocache) throws Exception {
        String url = "/api/v1/query_range?query=" + GrafanaReplayTest.enc(q) + "&start=" + GoFloat.timestamp(start)
                + "&end=" + GoFloat.timestamp(end) + "&step=" + GoFloat.timestamp(step) + (nocache ? "&nocache=1" : "");
        JsonNode n = f.json(FakeRequest.get(url), 200);
        assertEquals("success", n.get("status").asText());
        return n.toString();
    }

    void assertSameWithAndWithoutCache(String q, long start, long end, long step) throws Exception {
        String cached = range(q, start, end, step, false);
        String direct = range(q, start, end, step, true);
        if (!direct.equals(cached)) assertEquals(direct, cached, q); // (only builds the long message on failure)
    }

    @Test void pollingDashboardRecomputesOnlyTheNewestExtent() throws Exception {
        long step = 15_000;
        long start = now - 3 * 3_600_000L, end = now;
        String first = range("sum(x)", start, end, step, false);
        assertEquals(range("sum(x)", start, end, step, true), first);
        double misses = f.feature.cache().missCount();
        assertTrue(f.feature.cache().size() > 0);

        f.engine.rangePoints.set(0);
        assertEquals(first, range("sum(x)", start, end, step, false));
        assertTrue(f.feature.cache().hitCount() > 0);
        // Only extents within the fresh margin of now are recomputed: far fewer than the 721 points.
        assertTrue(f.engine.rangePoints.get() < 300, "points recomputed " + f.engine.rangePoints.get());
        assertEquals(misses + (f.feature.cache().missCount() - misses), f.feature.cache().missCount());

        // The dashboard polls again 30 s later with a moved window (not step-aligned to the first start).
        for (int i = 1; i <= 3; i++) {
            f.now.addAndGet(30_000);
            f.add(f.now.get() - 1000, 99, "__name__", "x", "i", "a");
            f.writeEvents.committed(f.now.get() - 1000, f.now.get() - 1000);
            long s = start + i * 30_000 + 7, e = f.now.get() + 7;
            assertSameWithAndWithoutCache("sum(x)", s, e, step);
            assertSameWithAndWithoutCache("x", s, e, step);
        }
    }

    @Test void outOfOrderWriteIntoCachedExtentIsSeen() throws Exception {
        long step = 60_000;
        long start = now - 3 * 3_600_000L, end = now;
        String before = range("x", start, end, step, false);
        assertEquals(before, range("x", start, end, step, false)); // now served from the cache
        assertTrue(f.feature.cache().hitCount() > 0);

        long t = now - 2 * 3_600_000L - 1; // inside an old, cached extent, the newest sample at evaluation time now-2h
        f.add(t, 12345.5, "__name__", "x", "i", "a");
        f.writeEvents.committed(t, t);
        String after = range("x", start, end, step, false);
        assertTrue(!before.equals(after), "the write must change the answer");
        assertTrue(after.contains("\"12345.5\""));
        assertEquals(range("x", start, end, step, true), after);
        // A new series appearing in the past is seen too.
        f.add(t, 7, "__name__", "x", "i", "c");
        f.writeEvents.committed(t, t);
        assertEquals(range("x", start, end, step, true), range("x", start, end, step, false));
    }

    @Test void writesAreMatchedAgainstTheQueryDataWindowIncludingOffsets() throws Exception {
        long step = 60_000;
        long start = now - 3 * 3_600_000L, end = now;
        String q = "x offset 1h";
        String before = range(q, start, end, step, false);
        assertEquals(before, range(q, start, end, step, false));
        long t = now - 3 * 3_600_000L - 1; // visible one hour later, at evaluation time now-2h
        f.add(t, -3, "__name__", "x", "i", "a");
        f.writeEvents.committed(t, t);
        String after = range(q, start, end, step, false);
        assertTrue(!before.equals(after), "the write must change the answer");
        assertEquals(range(q, start, end, step, true), after);
    }

    @Test void variousAlignmentsAndSteps() throws Exception {
        long[] steps = {1_000, 15_000, 60_000, 3_600_000};
        for (long step : steps) {
            for (long shift : new long[]{0, 1, 7_777}) {
                long start = now - 3 * 3_600_000L + shift;
                for (int round = 0; round < 2; round++) {
                    long end = Math.min(now, start + step * 2000);
                    assertSameWithAndWithoutCache("sum(x)", start, end, step);
                    assertSameWithAndWithoutCache("x", start, end, step);
                }
            }
        }
    }

    /**
     * The cache evaluates whole extents, wider than the request: an error at a step outside the requested window
     * must not fail the request (found by RandomizedDifferentialTest: count_values then label_replace collided at a
     * step before the window).
     */
    @Test void anErrorOutsideTheRequestedWindowDoesNotLeakIn() throws Exception {
        io.tsdb.core.testing.MemStorage st = new io.tsdb.core.testing.MemStorage();
        long t0 = now - 4 * 3_600_000L;
        for (long t = t0; t < now; t += 15_000) {
            st.add(io.tsdb.core.Labels.of("__name__", "y", "i", "a"), t + 100, 1);
            // b exists only in the first 20 minutes: there both collide once the label i is dropped.
            if (t < t0 + 20 * 60_000) st.add(io.tsdb.core.Labels.of("__name__", "y", "i", "b"), t + 200, 2);
        }
        io.tsdb.query.engine.PromqlEngine engine = new io.tsdb.query.engine.PromqlEngine(st);
        RangeCache cache = new RangeCache(engine, () -> now, 5 * 60_000, 30L * 24 * 3_600_000, 1 << 20, java.time.Duration.ofMinutes(10), null);
        String q = "label_replace(y, \"i\", \"\", \"\", \"\")";
        long step = 60_000, start = t0 + 40 * 60_000, end = t0 + 100 * 60_000;
        io.tsdb.query.engine.QueryOptions o = io.tsdb.query.engine.QueryOptions.DEFAULTS;
        // The extent holding the window's start begins within the colliding first 20 minutes.
        long phase = Math.floorMod(start, step), extentStart = phase + Math.floorDiv(start - phase, RangeCache.pointsPerExtent(step) * step)
                * RangeCache.pointsPerExtent(step) * step;
        assertTrue(extentStart < t0 + 20 * 60_000, "test setup: the first extent must reach back into the collision");
        String direct = render(engine.range(q, start, end, step, o).value());
        for (int i = 0; i < 2; i++) assertEquals(direct, render(cache.range(q, start, end, step, o).value()));
        assertTrue(org.junit.jupiter.api.Assertions.assertThrows(io.tsdb.query.engine.QueryException.class,
                () -> engine.range(q, t0, end, step, o)).getMessage().contains("same labelset"));
    }

    /**
     * Annotations belong to the evaluated window: the cache's wider evaluation (whole extents) must not add those of
     * steps outside the requested one, on a miss or from a cached extent that is only partly requested.
     */
    @Test void annotationsComeOnlyFromTheRequestedWindow() throws Exception {
        io.tsdb.core.testing.MemStorage st = new io.tsdb.core.testing.MemStorage();
        long t0 = now - 4 * 3_600_000L;
        for (long t = t0; t < now; t += 15_000) {
            st.add(io.tsdb.core.Labels.of("__name__", "w_total", "i", "a"), t + 100, t / 1000.0);
            // A gauge-named series (rate warns: might not be a counter) only in the first 20 minutes.
            if (t < t0 + 20 * 60_000) st.add(io.tsdb.core.Labels.of("__name__", "z", "i", "b"), t + 200, t / 1000.0);
        }
        io.tsdb.query.engine.PromqlEngine engine = new io.tsdb.query.engine.PromqlEngine(st);
        RangeCache cache = new RangeCache(engine, () -> now, 5 * 60_000, 30L * 24 * 3_600_000, 1 << 20, java.time.Duration.ofMinutes(10), null);
        String q = "rate({__name__=~\"w_total|z\"}[5m])";
        io.tsdb.query.engine.QueryOptions o = io.tsdb.query.engine.QueryOptions.DEFAULTS;
        long step = 60_000;
        long span = RangeCache.pointsPerExtent(step) * step;
        long late = t0 + 40 * 60_000, early = t0 + 10 * 60_000, end = t0 + 150 * 60_000;
        assertTrue(Math.floorDiv(late - Math.floorMod(late, step), span) * span + Math.floorMod(late, step) < t0 + 20 * 60_000,
                "test setup: the extent holding the late start must reach back to z");
        assertTrue(engine.range(q, late - 30 * 60_000, end, step, o).infos().toString().contains("\"z\""), "z's info exists");
        for (long start : new long[]{late, early, late, late + 7 * 60_000, early}) {
            for (int i = 0; i < 2; i++) { // a miss, then (mostly) hits
                io.tsdb.query.engine.QueryResult direct = engine.range(q, start, end, step, o), cached = cache.range(q, start, end, step, o);
                assertEquals(direct.infos(), cached.infos(), "start " + (start - t0) / 60_000 + " min, run " + i);
                assertEquals(direct.warnings(), cached.warnings());
                assertEquals(render(direct.value()), render(cached.value()));
                assertEquals(start == early, direct.infos().toString().contains("\"z\""));
            }
        }
        assertTrue(cache.hitCount() > 0);
    }

    static String render(io.tsdb.query.engine.Value v) {
        StringBuilder b = new StringBuilder();
        for (io.tsdb.query.engine.Series s : ((io.tsdb.query.engine.Value.Matrix) v).series()) {
            b.append(s.labels()).append(java.util.Arrays.toString(java.util.Arrays.copyOf(s.timestamps(), s.count())))
                    .append(java.util.Arrays.toString(java.util.Arrays.copyOf(s.values(), s.count()))).append('\n');
        }
        return b.toString();
    }

    @Test void hitAndMissCountersAreRegistered() throws Exception {
        range("x", now - 3_600_000L * 2, now, 60_000, false);
        range("x", now - 3_600_000L * 2, now, 60_000, false);
        double hits = 0, misses = 0;
        for (MetricSnapshot s : f.registry.scrape()) {
            if (s instanceof CounterSnapshot c) {
                String name = c.getMetadata().getName();
                if (name.equals("tsdb_query_range_cache_hits")) hits = c.getDataPoints().get(0).getValue();
                if (name.equals("tsdb_query_range_cache_misses")) misses = c.getDataPoints().get(0).getValue();
            }
        }
        assertTrue(hits > 0, "hits");
        assertTrue(misses > 0, "misses");
    }
}
