package io.tsdb.core.block;

import io.tsdb.core.Labels;
import io.tsdb.core.Matcher;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Format contract of docs/format/tombstones.md: the documented example byte for byte, a file written by a
 * deletion on a real block parsed with an independent reader following the page, and every validation rule.
 */
class TombstonesFormatContractTest {
    @TempDir Path dir;

    private static byte[] withCrc(String hex) {
        byte[] body = HexFormat.of().parseHex(hex.replaceAll("\\s", ""));
        CRC32C c = new CRC32C();
        c.update(body);
        return ByteBuffer.allocate(body.length + 4).put(body).putInt((int) c.getValue()).array();
    }

    /** The example of the spec page. */
    static final String EXAMPLE = "54534454 01 000000  00000002"
            + " 00000002 00000001 00000000000003e8 00000000000007d0"
            + " 00000007 00000002 0000000000000000 0000000000000063 00000000000001f4 00000000000003e7";

    @Test void theDocumentedExampleIsWhatTheWriterProduces() {
        // added out of order and in overlapping, touching pieces: the writer sorts and merges them
        Tombstones t = new Tombstones.Builder()
                .add(7, 500, 700).add(2, 1000, 1500).add(7, 0, 99).add(2, 1200, 2000).add(7, 701, 999).build();
        assertArrayEquals(withCrc(EXAMPLE), t.encode());
        assertEquals(t, Tombstones.decode(withCrc(EXAMPLE), dir.resolve("x")));
        assertArrayEquals(new long[]{0, 99, 500, 999}, t.intervals(7));
        assertNull(t.intervals(3));
        assertTrue(t.covers(2, 1100, 2000));
        assertFalse(t.covers(7, 50, 600));
    }

    @Test void aDeletionOnABlockWritesTheDocumentedFile() throws Exception {
        List<Labels> ls = List.of(Labels.of("__name__", "up", "job", "a"), Labels.of("__name__", "up", "job", "b"),
                Labels.of("__name__", "x", "zone", "z1"));
        List<long[]> ts = List.of(new long[]{1000, 2000, 3000}, new long[]{1500}, new long[]{100, 200, 300, 400, 500});
        List<double[]> vs = List.of(new double[]{1, 1, 0}, new double[]{7.5}, new double[]{1, 2, 3, 4, 5});
        try (BlockStore store = BlockStore.open(dir)) {
            BlockMeta m = store.write(BlockTestData.seriesSet(ls, ts, vs), 0, 9999);
            store.deleteSeries(List.of(List.of(Matcher.eq("job", "b")), List.of(Matcher.eq("__name__", "x"))), 150, 20_000);
            byte[] a = Files.readAllBytes(dir.resolve(m.ulid()).resolve("tombstones"));
            // independent reading of the page's layout
            ByteBuffer b = ByteBuffer.wrap(a);
            assertEquals(0x54534454, b.getInt());
            assertEquals(1, b.get());
            assertEquals(0, b.get() | b.get() | b.get());
            assertEquals(2, b.getInt(), "series 1 (job=b) and 2 (__name__=x), in label order");
            assertEquals(1, b.getInt());
            assertEquals(1, b.getInt());
            assertEquals(150, b.getLong(), "clamped to the block: start 150 lies inside it");
            assertEquals(9999, b.getLong(), "end clamped to the block's maxTime");
            assertEquals(2, b.getInt());
            assertEquals(1, b.getInt());
            assertEquals(150, b.getLong());
            assertEquals(9999, b.getLong());
            CRC32C c = new CRC32C();
            c.update(a, 0, a.length - 4);
            assertEquals((int) c.getValue(), b.getInt());
            assertFalse(b.hasRemaining());
        }
    }

    private void assertCorrupt(byte[] bytes, String section, String detail) {
        Path f = dir.resolve("tombstones");
        CorruptBlockException e = assertThrows(CorruptBlockException.class, () -> Tombstones.decode(bytes, f));
        assertEquals(section, e.section(), e.getMessage());
        assertEquals(f, e.file());
        assertTrue(e.getMessage().contains(detail), e.getMessage());
    }

    @Test void everyValidationRuleOfThePageIsEnforced() {
        byte[] good = withCrc(EXAMPLE);
        byte[] flipped = good.clone();
        flipped[30] ^= 1;
        assertCorrupt(flipped, "crc", "CRC32C mismatch");
        assertCorrupt(new byte[10], "header", "too short");
        assertCorrupt(withCrc("54534455 01 000000 00000000"), "header", "bad magic");
        assertCorrupt(withCrc("54534454 02 000000 00000000"), "header", "unsupported version 2");
        assertCorrupt(withCrc("54534454 01 000000 00000005"), "entries", "entry count 5");
        assertCorrupt(withCrc("54534454 01 000000 00000001 00000002 00000003 0000000000000000 0000000000000001"),
                "entries", "announces 3 intervals");
        assertCorrupt(withCrc("54534454 01 000000 00000002 00000007 00000001 0000000000000000 0000000000000001"
                + " 00000002 00000001 0000000000000000 0000000000000001"), "entries", "not ascending");
        assertCorrupt(withCrc("54534454 01 000000 00000001 00000007 00000001 0000000000000009 0000000000000001"),
                "entries", "not sorted, non-empty and disjoint");
        assertCorrupt(withCrc("54534454 01 000000 00000001 00000007 00000002 0000000000000000 0000000000000005"
                + " 0000000000000006 0000000000000009"), "entries", "not sorted, non-empty and disjoint");
        assertCorrupt(withCrc("54534454 01 000000 00000000 ff"), "entries", "1 bytes after the last entry");
        assertEquals(Tombstones.EMPTY, Tombstones.decode(withCrc("54534454 01 000000 00000000"), dir));
    }

    @Test void filterRemovesExactlyTheSamplesInsideIntervals() {
        long[] iv = {10, 20, 30, 30, 40, Long.MAX_VALUE};
        long[] t = {5, 10, 15, 20, 21, 29, 30, 31, 39, 40, 1000};
        double[] v = new double[t.length];
        for (int i = 0; i < t.length; i++) v[i] = t[i] * 2;
        int n = Tombstones.filter(iv, t, v, t.length);
        assertArrayEquals(new long[]{5, 21, 29, 31, 39}, java.util.Arrays.copyOf(t, n));
        assertArrayEquals(new double[]{10, 42, 58, 62, 78}, java.util.Arrays.copyOf(v, n));
        assertEquals(3, Tombstones.filter(null, t, v, 3));
    }

    @Test void aCorruptTombstonesFileStopsTheBlockFromOpening() throws Exception {
        List<Labels> ls = List.of(Labels.of("__name__", "up"));
        String ulid;
        try (BlockStore store = BlockStore.open(dir)) {
            ulid = store.write(BlockTestData.seriesSet(ls, List.of(new long[]{1, 2}), List.of(new double[]{1, 2})), 0, 10).ulid();
        }
        Path f = dir.resolve(ulid).resolve("tombstones");
        Files.write(f, new Tombstones.Builder().add(5, 0, 1).build().encode());
        CorruptBlockException e = assertThrows(CorruptBlockException.class, () -> BlockStore.open(dir));
        assertTrue(e.getMessage().contains("series id 5 beyond the index's 1 series"), e.getMessage());
        Files.write(f, new byte[]{1, 2, 3});
        e = assertThrows(CorruptBlockException.class, () -> BlockStore.open(dir));
        assertEquals(f, e.file());
    }
}
