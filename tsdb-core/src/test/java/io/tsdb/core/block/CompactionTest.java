package io.tsdb.core.block;

import io.tsdb.core.Labels;
import io.tsdb.core.Matcher;
import io.tsdb.core.Querier;
import io.tsdb.core.SampleCursor;
import io.tsdb.core.SeriesSet;
import io.tsdb.core.testing.MemStorage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class CompactionTest {
    static final long H = Compactor.HOUR_MS;
    static final List<Matcher> ALL = List.of(Matcher.re("__name__", ".+"));

    @TempDir Path dir;

    static BlockMeta meta(long minH, long maxHExclusive, int level) {
        String id = Ulid.next();
        return new BlockMeta(id, minH * H, maxHExclusive * H - 1, 1, 1, 1, level, List.of(id), List.of(), 1);
    }

    @Test void planMergesCompleteWindowsAndOverlaps() {
        Compactor c = new Compactor(2 * H, 6 * H, 24 * H);
        BlockMeta a = meta(0, 2, 1), b = meta(2, 4, 1), d = meta(4, 6, 1), e = meta(6, 8, 1);
        assertEquals(List.of(), c.plan(List.of(a)));
        // window [0,6h) not complete yet: nothing due
        assertEquals(List.of(), c.plan(List.of(a, b)));
        // window filled
        assertEquals(List.of(a, b, d), c.plan(List.of(d, b, a)));
        // window incomplete but a newer block exists past it: due
        assertEquals(List.of(a, b), c.plan(List.of(a, b, e)));
        // unaligned head cuts: a block belongs to the window of its minTime
        BlockMeta cross = meta(5, 7, 1);
        assertEquals(List.of(a, cross), c.plan(List.of(a, cross)));
        assertEquals(List.of(), c.plan(List.of(meta(0, 6, 2), meta(6, 12, 2))), "blocks as long as the range wait for the next level");
        assertEquals(List.of(), c.plan(List.of(meta(0, 7, 2), meta(7, 8, 1))), "alone in its window");
        // overlapping blocks are merged first
        BlockMeta ov = meta(1, 3, 1);
        assertEquals(List.of(a, ov, b), c.plan(List.of(a, b, ov, e)));
        // 24h window out of 6h blocks
        List<BlockMeta> day = List.of(meta(0, 6, 2), meta(6, 12, 2), meta(12, 18, 2), meta(18, 24, 2));
        assertEquals(day, c.plan(day));
        assertEquals(List.of(), c.plan(List.of(meta(0, 24, 3), meta(24, 30, 2))));
        assertArrayEquals(new long[]{2 * H, 6 * H, 18 * H}, Compactor.exponentialRanges(2 * H, 3, 3));
    }

    /**
     * Early head cuts (series churn): 6-minute blocks, each overlapping the one before by a second (a commit of the
     * same second landed just after the cut). They are not merged one after another as they come (each merge would
     * rewrite everything merged so far), but all at once into their 2h window once it is complete.
     */
    @Test void earlyHeadCutsMergeOncePerWindowNotAtEachCut() {
        Compactor c = new Compactor(2 * H, 6 * H, 24 * H);
        long six = 6 * 60_000L;
        List<BlockMeta> cuts = new java.util.ArrayList<>();
        for (int i = 0; i < 20; i++) {
            long min = i == 0 ? 0 : i * six - 1000, max = (i + 1) * six - 1;
            String id = Ulid.next();
            cuts.add(new BlockMeta(id, min, max, 1, 1, 1, 1, List.of(id), List.of(), 1));
            if (i < 19) assertEquals(List.of(), c.plan(cuts), "window [0, 2h) not complete after cut " + i);
        }
        assertEquals(cuts, c.plan(cuts), "the window's 20 cuts in one merge");
        // an overlap longer than the slack (a sender minutes late, a backfill) is still merged at once
        BlockMeta late = new BlockMeta(Ulid.next(), six, six + Compactor.OVERLAP_SLACK_MS + 60_000, 1, 1, 1, 1, List.of("x"), List.of(), 1);
        List<BlockMeta> two = List.of(cuts.get(1), late);
        assertEquals(List.of(cuts.get(1), late).stream().sorted(java.util.Comparator.comparingLong(BlockMeta::minTime)
                .thenComparing(BlockMeta::ulid)).toList(), c.plan(two));
    }

    /** Writes one 2h block per window from {@code mem}, in time order. */
    private BlockStore writeBlocks(MemStorage mem, int windows, long t0) throws Exception {
        try (BlockStore store = BlockStore.open(dir)) {
            for (int w = 0; w < windows; w++) {
                long a = t0 + w * 2 * H, z = a + 2 * H - 1;
                try (Querier q = mem.querier(a, z)) {
                    store.write(q.select(List.of()), a, z);
                }
            }
        }
        return BlockStore.open(dir);
    }

    @Test void compactionPreservesEverySampleAndDeletesSources() throws Exception {
        long t0 = 0;
        int windows = 12; // 24h
        MemStorage mem = BlockTestData.randomStorage(8, 300, t0, windows * 2 * H - 1);
        try (BlockStore store = writeBlocks(mem, windows, t0)) {
            assertEquals(windows, store.blocks().size());
            List<Path> level1 = new ArrayList<>();
            for (Block b : store.blocks()) level1.add(b.dir());
            long samples = store.numSamples();
            int written = store.compact(new Compactor(2 * H, 6 * H, 24 * H));
            assertEquals(5, written, "4 x 6h blocks then one 24h block");
            assertEquals(1, store.blocks().size());
            BlockMeta m = store.blocks().get(0).meta();
            assertEquals(3, m.level());
            assertEquals(t0, m.minTime());
            assertEquals(t0 + 24 * H - 1, m.maxTime());
            assertEquals(windows, m.sources().size());
            assertEquals(samples, m.numSamples());
            for (Path p : level1) assertFalse(Files.exists(p), "source deleted: " + p);
            try (var list = Files.list(dir)) { assertEquals(1, list.count()); }
            try (Querier exp = mem.querier(t0, t0 + 24 * H); Querier act = store.querier(t0, t0 + 24 * H)) {
                assertEquals(samples, BlockTestData.assertSameSeries(exp, act, ALL));
            }
        }
        // reopens cleanly
        try (BlockStore store = BlockStore.open(dir)) {
            assertEquals(1, store.blocks().size());
        }
    }

    @Test void overlappingBlocksMergeWithNewestWinning() throws Exception {
        Labels l = Labels.of("__name__", "x");
        MemStorage first = new MemStorage(), second = new MemStorage();
        for (int t = 0; t < 100; t++) first.add(l, t * 1000L, t);
        for (int t = 50; t < 150; t += 2) second.add(l, t * 1000L, -t);
        try (BlockStore store = BlockStore.open(dir)) {
            try (Querier q = first.querier(0, 2 * H - 1)) { store.write(q.select(List.of()), 0, 2 * H - 1); }
            Thread.sleep(2); // the second block gets a later ulid
            try (Querier q = second.querier(0, 2 * H - 1)) { store.write(q.select(List.of()), 0, 2 * H - 1); }
            assertEquals(1, store.compact(new Compactor(2 * H, 6 * H)));
            try (Querier q = store.querier(0, 2 * H)) {
                SeriesSet s = q.select(ALL);
                assertTrue(s.next());
                SampleCursor c = s.cursor();
                int n = 0;
                for (int t = 0; t < 150; t++) {
                    boolean inFirst = t < 100, inSecond = t >= 50 && t % 2 == 0;
                    if (!inFirst && !inSecond) continue;
                    assertTrue(c.next());
                    assertEquals(t * 1000L, c.timestamp());
                    assertEquals(inSecond ? -t : t, c.value(), "t=" + t);
                    n++;
                }
                assertFalse(c.next());
                assertEquals(100 + 25, n);
            }
        }
    }

    @Test void sourcesStayUntilLastQuerierCloses() throws Exception {
        MemStorage mem = BlockTestData.randomStorage(4, 50, 0, 6 * H - 1);
        try (BlockStore store = writeBlocks(mem, 3, 0)) {
            List<Block> before = store.blocks();
            Querier old = store.querier(0, 6 * H);
            SeriesSet s = old.select(ALL);
            assertTrue(s.next());
            assertEquals(1, store.compact(new Compactor(2 * H, 6 * H)));
            for (Block b : before) assertTrue(Files.exists(b.dir()), "still in use: " + b.dir());
            // the old querier still reads consistent data
            try (Querier exp = mem.querier(0, 6 * H)) {
                SeriesSet e = exp.select(ALL);
                assertTrue(e.next());
                assertEquals(e.labels(), s.labels());
            }
            old.close();
            for (Block b : before) {
                assertFalse(Files.exists(b.dir()), "deleted after last querier closed: " + b.dir());
                assertTrue(b.isDeleted());
            }
        }
    }

    @Test void crashLeftoversAreCleanedOnOpen() throws Exception {
        MemStorage mem = BlockTestData.randomStorage(5, 40, 0, 6 * H - 1);
        List<Block> sources;
        try (BlockStore store = writeBlocks(mem, 3, 0)) {
            sources = store.blocks();
            // simulate a crash after the compacted block became durable but before the sources were deleted
            new Compactor(2 * H, 6 * H).compact(dir, sources);
        }
        Files.createDirectories(dir.resolve(Ulid.next() + BlockWriter.TMP_SUFFIX).resolve("chunks"));
        try (var list = Files.list(dir)) { assertEquals(5, list.count()); }
        try (BlockStore store = BlockStore.open(dir)) {
            assertEquals(1, store.blocks().size());
            assertEquals(2, store.blocks().get(0).meta().level());
            try (var list = Files.list(dir)) { assertEquals(1, list.count()); }
            try (Querier exp = mem.querier(0, 6 * H); Querier act = store.querier(0, 6 * H)) {
                BlockTestData.assertSameSeries(exp, act, ALL);
            }
        }
    }

    @Test void retentionDeletesOnlyBlocksEntirelyOlderThanTheCutoff() throws Exception {
        MemStorage mem = BlockTestData.randomStorage(6, 30, 0, 8 * H - 1);
        try (BlockStore store = writeBlocks(mem, 4, 0)) {
            List<Block> blocks = store.blocks();
            long now = 10 * H, retention = 6 * H; // cutoff 4h: blocks [0,2h) and [2h,4h) expire, [4h,6h) ends at 6h-1 >= cutoff
            assertEquals(0, store.applyRetention(now, 9 * H));
            assertEquals(2, store.applyRetention(now, retention));
            assertFalse(Files.exists(blocks.get(0).dir()));
            assertFalse(Files.exists(blocks.get(1).dir()));
            assertTrue(Files.exists(blocks.get(2).dir()));
            assertTrue(Files.exists(blocks.get(3).dir()));
            assertEquals(List.of(blocks.get(2), blocks.get(3)), store.blocks());
            assertEquals(0, store.applyRetention(now, retention));
            // a block is exactly at the boundary: maxTime == cutoff - 1 expires, maxTime == cutoff stays
            assertEquals(0, store.applyRetention(6 * H - 1 + retention, retention));
            assertEquals(1, store.applyRetention(6 * H + retention, retention));
            try (Querier exp = mem.querier(6 * H, 8 * H); Querier act = store.querier(6 * H, 8 * H)) {
                BlockTestData.assertSameSeries(exp, act, ALL);
            }
        }
    }
}
