package io.tsdb.core.block;

import io.tsdb.core.Matcher;
import io.tsdb.core.Querier;
import io.tsdb.core.testing.MemStorage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Opening, adding, querying and closing the block directory (compaction/retention: CompactionTest). */
class BlockStoreTest {
    static final long H = Compactor.HOUR_MS;
    static final List<Matcher> ALL = List.of(Matcher.re("__name__", ".+"));
    @TempDir Path dir;

    private static BlockMeta write(BlockStore store, MemStorage mem, long a, long z) throws Exception {
        try (Querier q = mem.querier(a, z)) {
            return store.write(q.select(List.of()), a, z);
        }
    }

    @Test void openRemovesTmpDirsAndLeavesForeignEntriesAlone() throws Exception {
        MemStorage mem = BlockTestData.randomStorage(3, 20, 0, 2 * H - 1);
        String ulid;
        try (BlockStore store = BlockStore.open(dir)) {
            ulid = write(store, mem, 0, 2 * H - 1).ulid();
        }
        Path tmp = dir.resolve(Ulid.next() + BlockWriter.TMP_SUFFIX);
        Files.createDirectories(tmp.resolve("chunks"));
        Files.writeString(tmp.resolve("index"), "half written");
        Files.createDirectories(dir.resolve("lost+found"));
        Files.writeString(dir.resolve("README"), "not a block");
        try (BlockStore store = BlockStore.open(dir)) {
            assertEquals(1, store.blocks().size());
            assertEquals(ulid, store.blocks().get(0).meta().ulid());
            assertFalse(Files.exists(tmp), "half-written block removed");
            assertTrue(Files.isDirectory(dir.resolve("lost+found")));
            assertTrue(Files.exists(dir.resolve("README")));
            try (Querier exp = mem.querier(0, 2 * H); Querier act = store.querier(0, 2 * H)) {
                BlockTestData.assertSameSeries(exp, act, ALL);
            }
        }
    }

    @Test void openRejectsACorruptMetaJsonNamingTheFile() throws Exception {
        MemStorage mem = BlockTestData.randomStorage(4, 10, 0, 4 * H - 1);
        String second;
        try (BlockStore store = BlockStore.open(dir)) {
            write(store, mem, 0, 2 * H - 1);
            second = write(store, mem, 2 * H, 4 * H - 1).ulid();
        }
        Path meta = dir.resolve(second).resolve(BlockMeta.FILE);
        String json = Files.readString(meta);
        Files.writeString(meta, json.replace("\"minTime\"", "\"minTime_\""));
        CorruptBlockException e = assertThrows(CorruptBlockException.class, () -> BlockStore.open(dir));
        assertEquals(meta, e.file());
        Files.writeString(meta, json.substring(0, json.length() / 2));
        e = assertThrows(CorruptBlockException.class, () -> BlockStore.open(dir));
        assertEquals(meta, e.file());
        assertTrue(e.getMessage().contains(meta.toString()), e.getMessage());
        Files.writeString(meta, json);
        try (BlockStore store = BlockStore.open(dir)) { assertEquals(2, store.blocks().size()); }
    }

    @Test void openRejectsACorruptIndexNamingTheFile() throws Exception {
        MemStorage mem = BlockTestData.randomStorage(5, 10, 0, 2 * H - 1);
        String ulid;
        try (BlockStore store = BlockStore.open(dir)) { ulid = write(store, mem, 0, 2 * H - 1).ulid(); }
        Path index = dir.resolve(ulid).resolve(BlockIndexFormat.FILE);
        byte[] b = Files.readAllBytes(index);
        b[0] ^= 1;
        Files.write(index, b);
        CorruptBlockException e = assertThrows(CorruptBlockException.class, () -> BlockStore.open(dir));
        assertEquals(index, e.file());
        assertEquals(BlockIndexFormat.HEADER, e.section());
    }

    @Test void addedBlocksAreSortedByTimeAndCounted() throws Exception {
        MemStorage mem = BlockTestData.randomStorage(6, 30, 0, 6 * H - 1);
        try (BlockStore store = BlockStore.open(dir)) {
            assertEquals(List.of(), store.blocks());
            write(store, mem, 4 * H, 6 * H - 1);
            write(store, mem, 0, 2 * H - 1);
            String mid;
            try (Querier q = mem.querier(2 * H, 4 * H - 1)) {
                mid = new BlockWriter(dir).write(q.select(List.of()), 2 * H, 4 * H - 1).ulid();
            }
            assertEquals(2, store.blocks().size(), "written but not added yet");
            assertEquals(mid, store.add(mid).meta().ulid());
            List<Block> bs = store.blocks();
            assertEquals(List.of(0L, 2 * H, 4 * H), bs.stream().map(b -> b.meta().minTime()).toList());
            long samples = 0, bytes = 0;
            for (Block b : bs) { samples += b.meta().numSamples(); bytes += BlockFiles.sizeRecursively(b.dir()); }
            assertEquals(samples, store.numSamples());
            assertEquals(bytes, store.sizeBytes());
            assertEquals(bs.stream().map(Block::meta).toList(), store.metas());
            // only the blocks overlapping the range are read
            assertEquals(1, store.queriers(2 * H, 3 * H).size());
            List<Querier> two = store.queriers(H, 2 * H);
            assertEquals(2, two.size());
            for (Querier q : two) q.close();
            try (Querier exp = mem.querier(H, 5 * H); Querier act = store.querier(H, 5 * H)) {
                BlockTestData.assertSameSeries(exp, act, ALL);
            }
        }
    }

    @Test void closeRefusesNewQueriersButOpenOnesKeepReading() throws Exception {
        MemStorage mem = BlockTestData.randomStorage(7, 40, 0, 4 * H - 1);
        BlockStore store = BlockStore.open(dir);
        write(store, mem, 0, 2 * H - 1);
        write(store, mem, 2 * H, 4 * H - 1);
        List<Block> blocks = store.blocks();
        Querier open = store.querier(0, 4 * H);
        store.close();
        store.close(); // idempotent
        assertEquals(List.of(), store.blocks());
        assertThrows(IllegalStateException.class, () -> store.add(blocks.get(0).meta().ulid()));
        for (Block b : blocks) assertEquals(1, b.refCount(), "only the open querier holds it");
        try (Querier exp = mem.querier(0, 4 * H)) {
            BlockTestData.assertSameSeries(exp, open, ALL);
        }
        open.close();
        for (Block b : blocks) {
            assertEquals(0, b.refCount());
            assertFalse(b.isDeleted(), "close keeps the files");
            assertTrue(Files.exists(b.dir()));
        }
        try (BlockStore again = BlockStore.open(dir)) { assertEquals(2, again.blocks().size()); }
    }
}
