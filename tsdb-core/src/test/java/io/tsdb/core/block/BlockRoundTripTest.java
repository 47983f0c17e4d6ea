package io.tsdb.core.block;

import io.tsdb.core.Labels;
import io.tsdb.core.Matcher;
import io.tsdb.core.Querier;
import io.tsdb.core.SampleCursor;
import io.tsdb.core.SeriesSet;
import io.tsdb.core.StaleNaN;
import io.tsdb.core.testing.MemStorage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class BlockRoundTripTest {
    static final long T0 = 1_700_000_000_000L;
    static final long SPAN = 6 * 3600_000L;

    @TempDir Path dir;

    @Test void roundTripManySeriesFullAndPartialRanges() throws Exception {
        MemStorage mem = BlockTestData.randomStorage(42, 800, T0, SPAN);
        BlockMeta meta;
        try (Querier src = mem.querier(T0, T0 + SPAN)) {
            meta = new BlockWriter(dir).maxSamplesPerChunk(97).write(src.select(List.of()), T0, T0 + SPAN);
        }
        assertEquals(mem.stats().headSamples(), meta.numSamples());
        assertEquals(mem.stats().activeSeries(), meta.numSeries());
        assertTrue(meta.numChunks() > meta.numSeries(), "several chunks per series expected");
        assertFalse(Files.exists(dir.resolve(meta.ulid() + BlockWriter.TMP_SUFFIX)));
        try (Block b = Block.open(dir.resolve(meta.ulid()))) {
            assertEquals(meta, b.meta());
            try (Querier exp = mem.querier(T0, T0 + SPAN); Querier act = b.querier(T0, T0 + SPAN)) {
                assertEquals(meta.numSamples(), BlockTestData.assertSameSeries(exp, act, List.of()));
                assertEquals(meta.numSamples(), act.sampleEstimate(List.of()));
                assertEquals(meta.numSeries(), act.seriesCount(List.of()));
            }
            Random r = new Random(7);
            for (int i = 0; i < 40; i++) {
                long a = T0 - 1000 + (long) (r.nextDouble() * (SPAN + 2000));
                long z = a + (long) (r.nextDouble() * SPAN / (1 + r.nextInt(20)));
                if (i == 0) { a = T0 + 5; z = T0 + 6; }
                try (Querier exp = mem.querier(a, z); Querier act = b.querier(a, z)) {
                    BlockTestData.assertSameSeries(exp, act, List.of(Matcher.re("__name__", ".+")));
                    java.util.TreeSet<String> names = new java.util.TreeSet<>(), instances = new java.util.TreeSet<>();
                    SeriesSet es = exp.select(List.of(Matcher.re("__name__", ".+")));
                    while (es.next()) {
                        for (int k = 0; k < es.labels().size(); k++) names.add(es.labels().name(k));
                        instances.add(es.labels().get("instance"));
                    }
                    assertEquals(List.copyOf(names), act.labelNames(List.of()));
                    assertEquals(List.copyOf(instances), act.labelValues("instance", List.of()));
                    assertEquals(countSeries(exp), act.seriesCount(List.of()));
                }
            }
            try (Querier act = b.querier(T0 + SPAN + 1, T0 + 2 * SPAN)) {
                assertFalse(act.select(List.of(Matcher.re("__name__", ".+"))).next());
                assertEquals(0, act.seriesCount(List.of()));
                assertEquals(List.of(), act.labelNames(List.of()));
            }
        }
    }

    /**
     * An index larger than the writer's buffers (series records spill to its scratch file in several writes and are
     * read back through several refills; sections stream in several writes, one symbol longer than a buffer): every
     * series, its labels and its postings come back, and nothing but the block's files is left in its directory.
     */
    @Test void indexLargerThanTheWriterBuffersRoundTripsAndLeavesNoScratchFile() throws Exception {
        int n = 30_000;
        String huge = "v".repeat(70_000);
        List<Labels> labels = new java.util.ArrayList<>();
        List<long[]> ts = new java.util.ArrayList<>();
        List<double[]> vs = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) {
            String pod = String.format("pod-%06d-%s", i, Integer.toHexString(i * 7919));
            labels.add(i == 17 ? Labels.of("__name__", "up", "pod", pod, "zone", "z" + i % 3, "zz", huge)
                               : Labels.of("__name__", "up", "pod", pod, "zone", "z" + i % 3));
            ts.add(new long[]{T0 + i});
            vs.add(new double[]{i});
        }
        BlockMeta meta = new BlockWriter(dir).write(BlockTestData.seriesSet(labels, ts, vs), T0, T0 + SPAN);
        assertEquals(n, meta.numSeries());
        Path blockDir = dir.resolve(meta.ulid());
        try (var files = Files.list(blockDir)) {
            assertEquals(java.util.Set.of("chunks", "index", "meta.json"),
                    files.map(f -> f.getFileName().toString()).collect(java.util.stream.Collectors.toSet()));
        }
        try (Block b = Block.open(blockDir); Querier q = b.querier(T0, T0 + SPAN)) {
            SeriesSet s = q.select(List.of(Matcher.eq("__name__", "up")));
            for (int i = 0; i < n; i++) {
                assertTrue(s.next(), "series " + i);
                assertEquals(labels.get(i), s.labels());
                SampleCursor c = s.cursor();
                assertTrue(c.next());
                assertEquals(T0 + i, c.timestamp());
                assertEquals(i, c.value());
            }
            assertFalse(s.next());
            assertEquals(n, q.labelValues("pod", List.of()).size());
            assertEquals(n / 3, q.seriesCount(List.of(Matcher.eq("zone", "z1"))));
            assertEquals(1, q.seriesCount(List.of(Matcher.eq("zz", huge))));
            Random r = new Random(5);
            for (int k = 0; k < 200; k++) {
                int i = r.nextInt(n);
                SeriesSet one = q.select(List.of(Matcher.eq("pod", labels.get(i).get("pod"))));
                assertTrue(one.next());
                assertEquals(labels.get(i), one.labels());
                assertFalse(one.next());
            }
        }
    }

    static long countSeries(Querier q) {
        SeriesSet s = q.select(List.of(Matcher.re("__name__", ".+")));
        long n = 0;
        while (s.next()) n++;
        return n;
    }

    @Test void seekMatchesReference() throws Exception {
        MemStorage mem = BlockTestData.randomStorage(3, 200, T0, SPAN);
        BlockMeta meta;
        try (Querier src = mem.querier(T0, T0 + SPAN)) {
            meta = new BlockWriter(dir).maxSamplesPerChunk(50).write(src.select(List.of()), T0, T0 + SPAN);
        }
        Random r = new Random(11);
        try (Block b = Block.open(dir.resolve(meta.ulid()))) {
            long a = T0 + SPAN / 5, z = T0 + SPAN * 3 / 4;
            try (Querier exp = mem.querier(a, z); Querier act = b.querier(a, z)) {
                SeriesSet es = exp.select(List.of()), as = act.select(List.of());
                while (es.next()) {
                    assertTrue(as.next());
                    SampleCursor ec = es.cursor(), ac = as.cursor();
                    long x = a - 10;
                    while (true) {
                        x += r.nextInt(4) == 0 ? 0 : (long) (r.nextDouble() * SPAN / 30);
                        boolean e1, a1;
                        // drive both cursors with the same operation
                        if (r.nextBoolean()) { a1 = ac.seek(x); e1 = ec.seek(x); } else { a1 = ac.next(); e1 = ec.next(); }
                        assertEquals(e1, a1);
                        if (!e1) break;
                        assertEquals(ec.timestamp(), ac.timestamp());
                        assertEquals(Double.doubleToRawLongBits(ec.value()), Double.doubleToRawLongBits(ac.value()));
                    }
                }
                assertFalse(as.next());
            }
        }
    }

    /**
     * Small selections read labels through the block's bounded cache of recent symbols (shared by its queriers): with
     * far more symbols than the cache's slots, every series read alone through a fresh querier still has its own labels,
     * and a series read again by another querier gets the same strings.
     */
    @Test void smallSelectionsReadLabelsThroughTheRecentSymbols() throws Exception {
        int n = 3 * IndexReader.RECENT_SYMBOLS;
        java.util.List<Labels> ls = new java.util.ArrayList<>();
        java.util.List<long[]> ts = new java.util.ArrayList<>();
        java.util.List<double[]> vs = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) {
            ls.add(Labels.of("__name__", "m", "host", "host-" + i, "rack", "r" + (i % 7), "zone", "z" + (i * 31 % 1000)));
            ts.add(new long[]{1000 + i});
            vs.add(new double[]{i});
        }
        ls.sort(null);
        BlockMeta meta = new BlockWriter(dir).write(BlockTestData.seriesSet(ls, ts, vs), 1000, 1000 + n + 1);
        try (Block blk = Block.open(dir.resolve(meta.ulid()))) {
            for (int round = 0; round < 2; round++) {
                for (int i = round; i < n; i += 3) {
                    Labels want = ls.get(i);
                    try (Querier q = blk.querier(0, 10_000)) {
                        SeriesSet s = q.select(List.of(Matcher.eq("host", want.get("host"))));
                        assertTrue(s.next());
                        assertEquals(want, s.labels());
                        assertFalse(s.next());
                    }
                }
            }
        }
        // a block with fewer symbols than slots keeps each of them: a series read again by another querier has the
        // strings the first read decoded
        Path small = Files.createDirectories(dir.resolve("small"));
        List<Labels> few = List.of(Labels.of("__name__", "m", "host", "a"), Labels.of("__name__", "m", "host", "b"));
        BlockMeta sm = new BlockWriter(small).write(BlockTestData.seriesSet(few, List.of(new long[]{1000}, new long[]{1001}),
                List.of(new double[]{1}, new double[]{2})), 1000, 1002);
        try (Block blk = Block.open(small.resolve(sm.ulid()))) {
            Labels first, second;
            try (Querier q = blk.querier(0, 10_000)) {
                SeriesSet s = q.select(List.of(Matcher.eq("host", "b")));
                assertTrue(s.next());
                first = s.labels();
            }
            try (Querier q = blk.querier(0, 10_000)) {
                SeriesSet s = q.select(List.of(Matcher.eq("host", "b")));
                assertTrue(s.next());
                second = s.labels();
            }
            assertEquals(few.get(1), second);
            assertSame(first.get("host"), second.get("host"));
            assertSame(first.get("__name__"), second.get("__name__"));
        }
    }

    @Test void specialValuesEqualTimestampsAndEmptySeries() throws Exception {
        Labels a = Labels.of("__name__", "a"), b = Labels.of("__name__", "b"), c = Labels.of("__name__", "c");
        double[] special = {StaleNaN.VALUE, Double.NaN, -0.0, 0.0, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY,
                Double.MIN_VALUE, -Double.MAX_VALUE, 1.5, 9007199254740993.0};
        long[] ts = new long[special.length];
        for (int i = 0; i < ts.length; i++) ts[i] = 1000 + i * 10;
        // equal timestamps in the input: the later sample wins
        long[] tsB = {1000, 1000, 1010, 1010, 1010, 1020};
        double[] vsB = {1, 2, 3, 4, 5, 6};
        long[] tsC = {5}; // outside the block range: series is skipped
        SeriesSet in = BlockTestData.seriesSet(List.of(a, b, c), List.of(ts, tsB, tsC), List.of(special, vsB, new double[]{1}));
        BlockMeta meta = new BlockWriter(dir).write(in, 1000, 2000);
        assertEquals(2, meta.numSeries());
        assertEquals(special.length + 3, meta.numSamples());
        try (Block blk = Block.open(dir.resolve(meta.ulid())); Querier q = blk.querier(0, 5000)) {
            SeriesSet s = q.select(List.of(Matcher.re("__name__", ".+")));
            assertTrue(s.next());
            assertEquals(a, s.labels());
            SampleCursor cur = s.cursor();
            for (int i = 0; i < special.length; i++) {
                assertTrue(cur.next());
                assertEquals(ts[i], cur.timestamp());
                assertEquals(Double.doubleToRawLongBits(special[i]), Double.doubleToRawLongBits(cur.value()), "value " + i);
            }
            assertFalse(cur.next());
            assertTrue(StaleNaN.is(special[0]));
            assertTrue(s.next());
            assertEquals(b, s.labels());
            cur = s.cursor();
            long[] expT = {1000, 1010, 1020};
            double[] expV = {2, 5, 6};
            for (int i = 0; i < 3; i++) {
                assertTrue(cur.next());
                assertEquals(expT[i], cur.timestamp());
                assertEquals(expV[i], cur.value());
            }
            assertFalse(cur.next());
            assertFalse(s.next());
        }
    }

    @Test void decreasingTimestampsAreRejectedAndLeaveNoDirectory() throws Exception {
        SeriesSet in = BlockTestData.seriesSet(List.of(Labels.of("__name__", "a")), List.of(new long[]{10, 5}), List.of(new double[]{1, 2}));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new BlockWriter(dir).write(in, 0, 100));
        assertTrue(e.getMessage().contains("decrease"), e.getMessage());
        try (var list = Files.list(dir)) { assertEquals(0, list.count()); }
        SeriesSet unsorted = BlockTestData.seriesSet(List.of(Labels.of("__name__", "b"), Labels.of("__name__", "a")),
                List.of(new long[]{1}, new long[]{1}), List.of(new double[]{1}, new double[]{1}));
        assertThrows(IllegalArgumentException.class, () -> new BlockWriter(dir).write(unsorted, 0, 100));
        try (var list = Files.list(dir)) { assertEquals(0, list.count()); }
    }

    @Test void emptyBlockIsValid() throws Exception {
        BlockMeta meta = new BlockWriter(dir).write(BlockTestData.seriesSet(List.of(), List.of(), List.of()), 0, 100);
        try (Block b = Block.open(dir.resolve(meta.ulid())); Querier q = b.querier(0, 100)) {
            assertEquals(0, meta.numSeries());
            assertFalse(q.select(List.of(Matcher.eq("__name__", "x"))).next());
            assertEquals(List.of(), q.labelNames(List.of()));
        }
    }
}
