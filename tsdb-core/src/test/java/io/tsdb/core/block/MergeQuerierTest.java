package io.tsdb.core.block;

import io.tsdb.core.Labels;
import io.tsdb.core.Matcher;
import io.tsdb.core.Querier;
import io.tsdb.core.SampleCursor;
import io.tsdb.core.SeriesSet;
import io.tsdb.core.testing.MemStorage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.*;

class MergeQuerierTest {
    @TempDir Path dir;

    static final Labels A = Labels.of("__name__", "m", "i", "a");
    static final Labels B = Labels.of("__name__", "m", "i", "b");
    static final Labels C = Labels.of("__name__", "m", "i", "c");
    static final List<Matcher> ALL = List.of(Matcher.eq("__name__", "m"));

    @Test void mergesEqualSeriesAndPrefersLaterSourceOnEqualTimestamps() {
        MemStorage s1 = new MemStorage(), s2 = new MemStorage(), s3 = new MemStorage();
        s1.add(A, 10, 1); s1.add(A, 20, 2); s1.add(A, 30, 3);
        s2.add(A, 20, 20); s2.add(A, 25, 25);
        s3.add(A, 30, 300); s3.add(A, 40, 400);
        s1.add(C, 5, 5);
        s2.add(B, 7, 7);
        try (Querier q = new MergeQuerier(List.of(s1.querier(0, 100), s2.querier(0, 100), s3.querier(0, 100)))) {
            SeriesSet ss = q.select(ALL);
            assertTrue(ss.next());
            assertEquals(A, ss.labels());
            assertSamples(ss.cursor(), new long[]{10, 20, 25, 30, 40}, new double[]{1, 20, 25, 300, 400});
            assertTrue(ss.next());
            assertEquals(B, ss.labels());
            assertSamples(ss.cursor(), new long[]{7}, new double[]{7});
            assertTrue(ss.next());
            assertEquals(C, ss.labels());
            assertSamples(ss.cursor(), new long[]{5}, new double[]{5});
            assertFalse(ss.next());
            assertEquals(3, q.seriesCount(ALL));
            assertEquals(1, q.seriesCount(List.of(Matcher.eq("i", "a"))));
            assertEquals(List.of("__name__", "i"), q.labelNames(List.of()));
            assertEquals(List.of("a", "b", "c"), q.labelValues("i", List.of()));
            assertEquals(List.of("b"), q.labelValues("i", List.of(Matcher.re("i", "[b-z]"), Matcher.neq("i", "c"))));
        }
    }

    @Test void seekAcrossSources() {
        MemStorage s1 = new MemStorage(), s2 = new MemStorage();
        for (int t = 0; t < 100; t += 2) s1.add(A, t, t);
        for (int t = 1; t < 100; t += 3) s2.add(A, t, -t);
        try (Querier q = new MergeQuerier(List.of(s1.querier(0, 1000), s2.querier(0, 1000)))) {
            SeriesSet ss = q.select(ALL);
            assertTrue(ss.next());
            SampleCursor c = ss.cursor();
            assertTrue(c.seek(50));
            assertEquals(50, c.timestamp());
            assertTrue(c.seek(50)); // stays
            assertEquals(50, c.timestamp());
            assertTrue(c.next());
            assertEquals(52, c.timestamp()); // 51 is not in s2 (1,4,...,49,52): 52 in both -> s2 wins
            assertEquals(-52.0, c.value());
            assertTrue(c.seek(97));
            assertEquals(97, c.timestamp());
            assertTrue(c.next());
            assertEquals(98, c.timestamp());
            assertFalse(c.seek(200));
        }
    }

    /** Randomized: blocks (oldest first) + an in-memory "head" merged equal a reference map with later-wins semantics. */
    @Test void randomizedBlocksAndHeadMatchReference() throws Exception { randomizedAgainstReference(false); }

    /** Bulk reads (SampleCursor.readFloats, random run sizes and bounds, per-sample reads between) see the same samples. */
    @Test void randomizedBulkReadsMatchReference() throws Exception { randomizedAgainstReference(true); }

    private void randomizedAgainstReference(boolean bulk) throws Exception {
        Random r = new Random(5);
        int nSources = 4;
        List<MemStorage> parts = new ArrayList<>();
        TreeMap<Labels, TreeMap<Long, Double>> ref = new TreeMap<>();
        for (int s = 0; s < nSources; s++) {
            MemStorage m = new MemStorage();
            for (int k = 0; k < 40; k++) {
                Labels l = Labels.of("__name__", "m", "i", "s" + r.nextInt(30));
                for (int j = 0; j < 20; j++) {
                    long t = s * 500L + r.nextInt(800);
                    double v = r.nextInt(1000);
                    m.add(l, t, v);
                }
            }
            parts.add(m);
        }
        // reference: later source overwrites
        for (MemStorage m : parts) {
            try (Querier q = m.querier(Long.MIN_VALUE, Long.MAX_VALUE)) {
                SeriesSet ss = q.select(ALL);
                while (ss.next()) {
                    SampleCursor c = ss.cursor();
                    TreeMap<Long, Double> tm = ref.computeIfAbsent(ss.labels(), k -> new TreeMap<>());
                    while (c.next()) tm.put(c.timestamp(), c.value());
                }
            }
        }
        List<Block> blocks = new ArrayList<>();
        for (int s = 0; s < nSources - 1; s++) {
            try (Querier q = parts.get(s).querier(0, 10_000)) {
                blocks.add(Block.open(dir.resolve(new BlockWriter(dir).maxSamplesPerChunk(7).write(q.select(ALL), 0, 10_000).ulid())));
            }
        }
        long a = 300, z = 1700;
        List<Querier> qs = new ArrayList<>();
        for (Block b : blocks) qs.add(b.querier(a, z));
        qs.add(parts.get(nSources - 1).querier(a, z));
        try (Querier q = new MergeQuerier(qs)) {
            SeriesSet ss = q.select(ALL);
            long series = 0;
            for (Map.Entry<Labels, TreeMap<Long, Double>> e : ref.entrySet()) {
                var sub = e.getValue().subMap(a, true, z, true);
                if (sub.isEmpty()) continue;
                series++;
                assertTrue(ss.next());
                assertEquals(e.getKey(), ss.labels());
                SampleCursor c = ss.cursor();
                if (bulk) {
                    long bound = a + r.nextInt((int) (z - a + 1));
                    var expect = e.getValue().subMap(a, true, bound, true);
                    long[] t = new long[expect.size() + 1];
                    double[] v = new double[expect.size() + 1];
                    int n = 0;
                    while (c.next() && c.timestamp() <= bound) {
                        int k = r.nextInt(4) == 0 ? 0 : c.readFloats(bound, t, v, n, 1 + r.nextInt(8));
                        if (k == 0) { t[n] = c.timestamp(); v[n] = c.value(); k = 1; }
                        n += k;
                    }
                    assertEquals(expect.size(), n, e.getKey() + " up to " + bound);
                    int i = 0;
                    for (var se : expect.entrySet()) {
                        assertEquals(se.getKey(), t[i]);
                        assertEquals(se.getValue(), v[i], "at " + se.getKey());
                        i++;
                    }
                    continue;
                }
                for (var se : sub.entrySet()) {
                    assertTrue(c.next());
                    assertEquals(se.getKey(), c.timestamp());
                    assertEquals(se.getValue(), c.value(), "at " + se.getKey());
                }
                assertFalse(c.next());
            }
            assertFalse(ss.next());
            assertEquals(series, q.seriesCount(ALL));
            for (Block b : blocks) assertEquals(2, b.refCount());
        }
        for (Block b : blocks) { assertEquals(1, b.refCount()); b.close(); }
    }

    static void assertSamples(SampleCursor c, long[] ts, double[] vs) {
        for (int i = 0; i < ts.length; i++) {
            assertTrue(c.next());
            assertEquals(ts[i], c.timestamp());
            assertEquals(vs[i], c.value());
        }
        assertFalse(c.next());
    }
}
