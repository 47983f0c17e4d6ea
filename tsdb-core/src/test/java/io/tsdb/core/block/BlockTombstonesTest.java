package io.tsdb.core.block;

import io.tsdb.core.Labels;
import io.tsdb.core.Matcher;
import io.tsdb.core.Querier;
import io.tsdb.core.RetentionRule;
import io.tsdb.core.SampleCursor;
import io.tsdb.core.SeriesSet;
import io.tsdb.core.testing.MemStorage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.BiPredicate;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** delete_series on blocks (tombstones), clean_tombstones (rewrites), retention rules, hard-linked copies. */
class BlockTombstonesTest {
    static final long H = Compactor.HOUR_MS;
    static final List<Matcher> ALL = List.of(Matcher.re("__name__", ".+"));
    @TempDir Path dir;

    private static BlockMeta write(BlockStore store, MemStorage mem, long a, long z) throws Exception {
        try (Querier q = mem.querier(a, z)) {
            return store.write(q.select(List.of()), a, z);
        }
    }

    /** A copy of {@code mem} without the samples {@code deleted} accepts. */
    private static MemStorage without(MemStorage mem, BiPredicate<Labels, Long> deleted) {
        MemStorage out = new MemStorage();
        try (Querier q = mem.querier(Long.MIN_VALUE, Long.MAX_VALUE)) {
            SeriesSet ss = q.select(ALL);
            while (ss.next()) {
                SampleCursor c = ss.cursor();
                while (c.next()) if (!deleted.test(ss.labels(), c.timestamp())) out.add(ss.labels(), c.timestamp(), c.value());
            }
        }
        return out;
    }

    /** Same series and samples over several ranges and selectors, and the same label values over everything. */
    private static void assertSame(MemStorage expected, BlockStore store) {
        long[][] ranges = {{0, 4 * H - 1}, {H / 2, H + 17}, {2 * H, 2 * H}, {3 * H + 5, 5 * H}, {-H, 0}};
        List<List<Matcher>> sels = List.of(ALL, List.of(Matcher.eq("job", "api")), List.of(Matcher.eq("__name__", "up")),
                List.of(Matcher.re("zone", "eu-.*"), Matcher.neq("job", "db")));
        for (long[] r : ranges) {
            for (List<Matcher> sel : sels) {
                try (Querier e = expected.querier(r[0], r[1]); Querier a = store.querier(r[0], r[1])) {
                    BlockTestData.assertSameSeries(e, a, sel);
                }
                try (Querier e = expected.querier(r[0], r[1]); Querier a = store.querier(r[0], r[1])) {
                    SeriesSet ss = e.select(sel);
                    long n = 0;
                    while (ss.next()) n++;
                    assertEquals(n, a.seriesCount(sel), "seriesCount " + sel + " in " + r[0] + ".." + r[1]);
                }
            }
        }
        try (Querier e = expected.querier(0, 4 * H - 1); Querier a = store.querier(0, 4 * H - 1)) {
            for (String name : List.of("__name__", "job", "zone", "instance")) {
                assertEquals(e.labelValues(name, List.of()), a.labelValues(name, List.of()), "values of " + name);
            }
            assertEquals(e.labelNames(List.of()), a.labelNames(List.of()));
        }
    }

    @Test void deletedDataDisappearsAtOnceSurvivesReopenAndIsDroppedByCleanTombstones() throws Exception {
        MemStorage mem = BlockTestData.randomStorage(11, 60, 0, 4 * H - 1);
        BiPredicate<Labels, Long> deleted = (l, t) -> "api".equals(l.get("job")) && t >= H && t <= 3 * H
                || "up".equals(l.get("__name__"));
        MemStorage expected = without(mem, deleted);
        String first, second;
        try (BlockStore store = BlockStore.open(dir)) {
            first = write(store, mem, 0, 2 * H - 1).ulid();
            second = write(store, mem, 2 * H, 4 * H - 1).ulid();
            Querier before = store.querier(0, 4 * H);      // opened before the deletion: keeps its view
            long n = store.deleteSeries(List.of(List.of(Matcher.eq("job", "api")), List.of(Matcher.eq("__name__", "up"))), H, 3 * H);
            n += store.deleteSeries(List.of(List.of(Matcher.eq("__name__", "up"))), Long.MIN_VALUE, Long.MAX_VALUE);
            assertTrue(n > 0);
            assertTrue(store.hasTombstones());
            assertSame(expected, store);
            try (Querier e = mem.querier(0, 4 * H)) {
                BlockTestData.assertSameSeries(e, before, ALL);
            }
            before.close();
            // deleting again what is already deleted adds nothing
            assertEquals(0, store.deleteSeries(List.of(List.of(Matcher.eq("__name__", "up"))), Long.MIN_VALUE, Long.MAX_VALUE));
        }
        assertTrue(Files.exists(dir.resolve(first).resolve(TombstonesFormat.FILE)));
        try (BlockStore store = BlockStore.open(dir)) {
            assertSame(expected, store);
            long samplesBefore = store.numSamples();
            assertEquals(2, store.cleanTombstones());
            assertFalse(store.hasTombstones());
            assertEquals(0, store.cleanTombstones(), "nothing left to clean");
            assertSame(expected, store);
            assertTrue(store.numSamples() < samplesBefore);
            assertFalse(Files.exists(dir.resolve(first)), "old block deleted");
            assertFalse(Files.exists(dir.resolve(second)));
            for (Block b : store.blocks()) {
                assertEquals(1, b.meta().parents().size());
                assertFalse(Files.exists(b.dir().resolve(TombstonesFormat.FILE)));
            }
            try (Querier e = expected.querier(0, 4 * H); Querier a = store.querier(0, 4 * H)) {
                long expectedSamples = BlockTestData.assertSameSeries(e, a, ALL);
                assertEquals(expectedSamples, store.numSamples(), "the rewritten blocks hold exactly the kept samples");
            }
        }
        try (BlockStore store = BlockStore.open(dir)) {
            assertEquals(2, store.blocks().size());
            assertSame(expected, store);
        }
    }

    @Test void compactionDropsDeletedData() throws Exception {
        MemStorage mem = BlockTestData.randomStorage(16, 50, 0, 4 * H - 1);
        MemStorage expected = without(mem, (l, t) -> "web".equals(l.get("job")) && t >= H / 2 && t <= 3 * H);
        try (BlockStore store = BlockStore.open(dir)) {
            write(store, mem, 0, 2 * H - 1);
            try (Querier q = mem.querier(H, 4 * H - 1)) {
                store.write(q.select(List.of()), H, 4 * H - 1);   // overlaps the first: compacted first
            }
            store.deleteSeries(List.of(List.of(Matcher.eq("job", "web"))), H / 2, 3 * H);
            assertEquals(1, store.compact(new Compactor(2 * H, 6 * H)));
            assertEquals(1, store.blocks().size());
            assertFalse(store.hasTombstones());
            assertSame(expected, store);
            try (Querier e = expected.querier(0, 4 * H); Querier a = store.querier(0, 4 * H)) {
                assertEquals(BlockTestData.assertSameSeries(e, a, ALL), store.numSamples(), "the merged block holds no deleted sample");
            }
        }
    }

    @Test void aBlockWhoseDataIsAllDeletedGoesAway() throws Exception {
        MemStorage mem = BlockTestData.randomStorage(12, 20, 0, 2 * H - 1);
        try (BlockStore store = BlockStore.open(dir)) {
            String ulid = write(store, mem, 0, 2 * H - 1).ulid();
            store.deleteSeries(List.of(ALL), Long.MIN_VALUE, Long.MAX_VALUE);
            try (Querier q = store.querier(0, 2 * H)) {
                assertFalse(q.select(ALL).next());
                assertEquals(0, q.seriesCount(ALL));
                assertEquals(List.of(), q.labelNames(List.of()));
            }
            assertEquals(1, store.cleanTombstones());
            assertEquals(0, store.blocks().size());
            assertFalse(Files.exists(dir.resolve(ulid)));
            try (Stream<Path> s = Files.list(dir)) {
                assertEquals(0, s.count(), "no block directory left behind");
            }
        }
    }

    /** The states a crash during clean_tombstones can leave on disk: the next open finds either old or new data. */
    @Test void interruptedRewritesResolveToOneCopy() throws Exception {
        MemStorage mem = BlockTestData.randomStorage(13, 40, 0, 2 * H - 1);
        BiPredicate<Labels, Long> deleted = (l, t) -> "db".equals(l.get("job"));
        MemStorage expected = without(mem, deleted);
        String old;
        try (BlockStore store = BlockStore.open(dir)) {
            old = write(store, mem, 0, 2 * H - 1).ulid();
            store.deleteSeries(List.of(List.of(Matcher.eq("job", "db"))), Long.MIN_VALUE, Long.MAX_VALUE);
            // 1. crash after the new block was renamed into place, before the old one was deleted
            BlockMeta copy = new BlockRewriter(dir).rewrite(store.blocks().get(0), Tombstones.EMPTY);
            assertTrue(Files.isDirectory(dir.resolve(copy.ulid())));
        }
        try (BlockStore store = BlockStore.open(dir)) {
            assertEquals(1, store.blocks().size());
            assertNotEquals(old, store.blocks().get(0).meta().ulid(), "the old block named as parent is removed");
            assertFalse(Files.exists(dir.resolve(old)));
            assertSame(expected, store);
        }
        // 2. crash while the old block was being deleted (renamed aside, partly removed)
        Path cur;
        try (BlockStore store = BlockStore.open(dir)) {
            cur = store.blocks().get(0).dir();
        }
        Path aside = dir.resolve(Ulid.next() + Block.DELETING_SUFFIX);
        Files.createDirectories(aside.resolve("chunks"));
        Files.copy(cur.resolve(BlockMeta.FILE), aside.resolve(BlockMeta.FILE));
        // 3. crash while writing the tombstones file
        Files.writeString(cur.resolve(TombstonesFormat.TMP_FILE), "half");
        try (BlockStore store = BlockStore.open(dir)) {
            assertEquals(1, store.blocks().size());
            assertFalse(Files.exists(aside));
            assertFalse(Files.exists(cur.resolve(TombstonesFormat.TMP_FILE)));
            assertSame(expected, store);
        }
    }

    @Test void retentionRulesRemoveMatchingSeriesFromBlocksOlderThanTheirRetention() throws Exception {
        MemStorage mem = BlockTestData.randomStorage(14, 80, 0, 4 * H - 1);
        RetentionRule api = new RetentionRule("{job=\"api\"}:3h", List.of(Matcher.eq("job", "api")), Duration.ofHours(3));
        RetentionRule web = new RetentionRule("{job=~\"web|api\"}:1h", List.of(Matcher.re("job", "web|api")), Duration.ofHours(1));
        try (BlockStore store = BlockStore.open(dir)) {
            write(store, mem, 0, 2 * H - 1);
            write(store, mem, 2 * H, 4 * H - 1);
            // now = 4h: the first block ends 2h+1ms ago (older than 1h, not than 3h), the second 1 ms ago
            assertEquals(1, store.applyRetentionRules(List.of(api, web), 4 * H));
            assertSame(without(mem, (l, t) -> t < 2 * H && l.get("job") != null && l.get("job").matches("web|api")), store);
            assertEquals(0, store.applyRetentionRules(List.of(api, web), 4 * H), "nothing more to expire at the same time");
            // now = 5h + 1: the first block is older than 3h too; the second older than 1h (web and api, the shorter rule)
            assertEquals(1, store.applyRetentionRules(List.of(api, web), 5 * H + 1));
            assertSame(without(mem, (l, t) -> l.get("job") != null && l.get("job").matches("web|api")), store);
        }
    }

    @Test void linkToMakesAHardLinkedCopyThatOpensAsItsOwnStore() throws Exception {
        MemStorage mem = BlockTestData.randomStorage(15, 30, 0, 2 * H - 1);
        Path copy = dir.resolveSibling(dir.getFileName() + "-copy");
        try (BlockStore store = BlockStore.open(dir)) {
            String ulid = write(store, mem, 0, 2 * H - 1).ulid();
            store.deleteSeries(List.of(List.of(Matcher.eq("job", "api"))), 0, H);
            assertEquals(List.of(ulid), store.linkTo(copy));
            assertTrue(Files.isSameFile(dir.resolve(ulid).resolve("index"), copy.resolve(ulid).resolve("index")));
            // a later deletion replaces the live tombstones file; the copy keeps the version it linked
            store.deleteSeries(List.of(List.of(Matcher.eq("job", "db"))), Long.MIN_VALUE, Long.MAX_VALUE);
        }
        try (BlockStore c = BlockStore.open(copy)) {
            assertSame(without(mem, (l, t) -> "api".equals(l.get("job")) && t <= H), c);
        }
    }
}
