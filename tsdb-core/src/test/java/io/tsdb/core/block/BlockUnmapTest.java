package io.tsdb.core.block;

import io.tsdb.core.Matcher;
import io.tsdb.core.Querier;
import io.tsdb.core.SampleCursor;
import io.tsdb.core.SeriesSet;
import io.tsdb.core.testing.MemStorage;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Block files are unmapped as soon as the last reference is returned (checked in /proc/self/maps), never
 * while a querier still reads them.
 */
class BlockUnmapTest {
    static final long H = Compactor.HOUR_MS;
    static final List<Matcher> ALL = List.of(Matcher.re("__name__", ".+"));
    static final Path MAPS = Path.of("/proc/self/maps");
    @TempDir Path dir;

    @BeforeEach void linuxOnly() {
        assumeTrue(Files.isReadable(MAPS), "needs /proc/self/maps");
    }

    /** Number of mappings of files under {@code blockDir} (deleted files show as "path (deleted)"). */
    static long mappings(Path blockDir) throws Exception {
        String prefix = blockDir.toAbsolutePath().toString() + "/";
        return Files.readAllLines(MAPS).stream().filter(l -> l.contains(prefix)).count();
    }

    private static BlockMeta write(BlockStore store, MemStorage mem, long a, long z) throws Exception {
        try (Querier q = mem.querier(a, z)) {
            return store.write(q.select(List.of()), a, z);
        }
    }

    @Test void retentionUnmapsADeletedBlockWhenItsLastQuerierCloses() throws Exception {
        MemStorage mem = BlockTestData.randomStorage(31, 50, 0, 4 * H - 1);
        try (BlockStore store = BlockStore.open(dir)) {
            write(store, mem, 0, 2 * H - 1);
            write(store, mem, 2 * H, 4 * H - 1);
            Block old = store.blocks().get(0), kept = store.blocks().get(1);
            assertTrue(mappings(old.dir()) >= 2, "index and chunk segment mapped");
            Querier before = store.querier(0, 2 * H - 1);
            SeriesSet half = before.select(ALL);
            assertTrue(half.next());
            assertEquals(1, store.applyRetention(2 * H + 10, 10)); // cutoff 2h: the first block expires

            assertFalse(old.isUnmapped(), "a querier still holds it");
            assertTrue(Files.exists(old.dir()));
            assertTrue(mappings(old.dir()) >= 2);
            // the querier opened before the delete still reads every sample correctly
            try (Querier exp = mem.querier(0, 2 * H - 1)) {
                BlockTestData.assertSameSeries(exp, before, ALL);
            }
            before.close();

            assertTrue(old.isUnmapped());
            assertTrue(old.isDeleted());
            assertFalse(Files.exists(old.dir()));
            assertEquals(0, mappings(old.dir()), "no mapping of the deleted block's files is left");
            assertTrue(mappings(kept.dir()) >= 2, "the other block stays mapped");
            assertThrows(IllegalStateException.class, half::next, "a closed querier refuses to read");
        }
    }

    @Test void compactionUnmapsItsSourcesOnceReadersAreDone() throws Exception {
        MemStorage mem = BlockTestData.randomStorage(32, 40, 0, 6 * H - 1);
        try (BlockStore store = BlockStore.open(dir)) {
            for (int w = 0; w < 3; w++) write(store, mem, w * 2 * H, (w + 1) * 2 * H - 1);
            List<Block> sources = store.blocks();
            Querier reader = store.querier(0, 6 * H);
            SeriesSet s = reader.select(ALL);
            assertTrue(s.next());
            SampleCursor c = s.cursor();
            assertTrue(c.next());
            assertEquals(1, store.compact(new Compactor(2 * H, 6 * H)));
            for (Block b : sources) assertTrue(mappings(b.dir()) >= 2, "still read: " + b.dir());
            while (c.next()) { /* reads the rest of the first series from the replaced blocks */ }
            int series = 1;
            while (s.next()) {
                SampleCursor k = s.cursor();
                while (k.next()) { /* every sample of every series */ }
                series++;
            }
            try (Querier exp = mem.querier(0, 6 * H)) {
                assertEquals(BlockRoundTripTestCount.count(exp, ALL), series);
            }
            reader.close();
            for (Block b : sources) {
                assertEquals(0, mappings(b.dir()), "unmapped: " + b.dir());
                assertFalse(Files.exists(b.dir()));
            }
            Block merged = store.blocks().get(0);
            assertTrue(mappings(merged.dir()) >= 2);
        }
    }

    @Test void closingABlockUnmapsItButKeepsItsFiles() throws Exception {
        MemStorage mem = BlockTestData.randomStorage(33, 20, 0, 2 * H - 1);
        Path blockDir;
        try (BlockStore store = BlockStore.open(dir)) {
            write(store, mem, 0, 2 * H - 1);
            blockDir = store.blocks().get(0).dir();
            assertTrue(mappings(blockDir) >= 2);
        }
        assertEquals(0, mappings(blockDir));
        assertTrue(Files.exists(blockDir.resolve(BlockIndexFormat.FILE)));
        try (BlockStore store = BlockStore.open(dir); Querier exp = mem.querier(0, 2 * H); Querier act = store.querier(0, 2 * H)) {
            BlockTestData.assertSameSeries(exp, act, ALL);
        }
    }

    @Test void aBlockFailingValidationLeavesNoMapping() throws Exception {
        MemStorage mem = BlockTestData.randomStorage(34, 20, 0, 2 * H - 1);
        String ulid;
        try (BlockStore store = BlockStore.open(dir)) { ulid = write(store, mem, 0, 2 * H - 1).ulid(); }
        Path seg = dir.resolve(ulid).resolve(ChunksFileFormat.DIR).resolve(ChunksFileFormat.segmentName(1));
        byte[] b = Files.readAllBytes(seg);
        b[0] ^= 1; // bad magic: the index is mapped and valid, the chunk segment is mapped and rejected
        Files.write(seg, b);
        CorruptBlockException e = assertThrows(CorruptBlockException.class, () -> Block.open(dir.resolve(ulid)));
        assertEquals(seg, e.file());
        assertEquals(0, mappings(dir.resolve(ulid)));
    }

    /**
     * Opening a block verifies the index's checksums by reading the file, not through the mapping: the process
     * keeps only the parsed pages (header, table of contents, symbols, postings table) mapped, not the series
     * entries and postings, so that every open block does not keep its whole index resident.
     */
    @Test void openingABlockDoesNotMakeItsWholeIndexResident() throws Exception {
        assumeTrue(io.tsdb.core.testing.Smaps.available(), "needs /proc/self/smaps");
        MemStorage mem = new MemStorage();
        for (int s = 0; s < 40_000; s++) {
            io.tsdb.core.Labels l = io.tsdb.core.Labels.of("__name__", "m", "a", "a" + s % 40, "b", "b" + s / 40 % 40, "c", "c" + s / 1600);
            for (int i = 0; i < 3; i++) mem.add(l, i * 60_000L, s + i);
        }
        Path blockDir;
        try (BlockStore store = BlockStore.open(dir)) {
            write(store, mem, 0, 2 * H - 1);
            blockDir = store.blocks().get(0).dir();
        }
        Path index = blockDir.resolve(BlockIndexFormat.FILE);
        long fileKb = Files.size(index) / 1024;
        assertTrue(fileKb > 1024, "an index of more than a MiB: " + fileKb + " KiB");
        try (Block b = Block.open(blockDir)) {
            long resident = io.tsdb.core.testing.Smaps.residentKb(index);
            assertTrue(resident < fileKb / 4, "resident after open " + resident + " KiB of a " + fileKb + " KiB index");
            try (Querier exp = mem.querier(0, 2 * H); Querier act = b.querier(0, 2 * H)) {
                BlockTestData.assertSameSeries(exp, act, ALL);   // and it reads everything correctly
            }
        }
    }
}
