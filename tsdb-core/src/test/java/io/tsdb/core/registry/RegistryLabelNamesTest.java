package io.tsdb.core.registry;

import io.tsdb.core.Labels;
import io.tsdb.core.fs.FaultInjectingFileLayer;
import io.tsdb.core.fs.FileLayer;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ChronicleMapBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static io.tsdb.core.registry.SeriesRegistryTest.assertContents;
import static org.junit.jupiter.api.Assertions.*;

/** Registry version 4: label names by code ({@link LabelNameTable}) and the migration of version 3 tiers. */
class RegistryLabelNamesTest {
    @TempDir Path dir;

    /** TSBS-like label sets: long names, short values. */
    static Labels series(int i) {
        return Labels.of("__name__", "cpu_usage_user", "hostname", "host_" + i, "region", "eu-west-" + (i % 3),
                "datacenter", "eu-west-1" + (char) ('a' + i % 3), "service_environment", i % 2 == 0 ? "production" : "staging",
                "service_version", String.valueOf(i % 2));
    }

    static boolean contains(Path file, String s) throws IOException {
        return new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1).contains(s);
    }

    @Test
    void tiersHoldNoLabelNamesAndKeysAreShorterThanTheLabelBytes() throws IOException {
        Map<Labels, Integer> expected = new HashMap<>();
        try (SeriesRegistry r = SeriesRegistry.open(dir, 1024)) {
            for (int i = 0; i < 3000; i++) {
                r.put(series(i), i);
                expected.put(series(i), i);
            }
            assertTrue(r.tierCount() > 1);
            RegistryKey k = r.keyOf(series(7));
            assertTrue(k.known());
            // 6 names of 66 bytes in all: 6 one-byte codes instead
            assertEquals(LabelsCodec.encode(series(7)).length - 66 - 6 + 6, k.key.length);
            assertArrayEquals(k.key, r.keyOf(series(7)).key, "a label set always has the same key");
            assertFalse(r.keyOf(Labels.of("__name__", "x", "pod", "p")).known(), "a name without a code: no key");
            assertEquals(-1, r.get(Labels.of("__name__", "x", "pod", "p")));
        }
        for (int k = 0; k < 3; k++) {
            Path tier = dir.resolve(RegistryFormat.tierFileName(k));
            assertTrue(contains(tier, "host_2"), "values stay in the keys");
            assertFalse(contains(tier, "service_environment"), "names are not in tier " + k);
        }
        assertTrue(contains(LabelNameTable.path(dir), "service_environment"));
        try (SeriesRegistry r = SeriesRegistry.open(dir, 1024)) {
            assertContents(expected, r);
            for (int i = 0; i < 3000; i += 101) assertEquals(i, r.get(series(i)));
            // a new name gets the next code; the old codes stay
            r.put(Labels.of("__name__", "up", "zone", "a"), 3000);
            assertEquals(3000, r.get(Labels.of("__name__", "up", "zone", "a")));
        }
        try (SeriesRegistry r = SeriesRegistry.open(dir, 1024)) {
            expected.put(Labels.of("__name__", "up", "zone", "a"), 3000);
            assertContents(expected, r);
        }
    }

    @Test
    void aTornNameRecordIsCutOffAndAGoodOneIsKept() throws IOException {
        try (LabelNameTable t = LabelNameTable.open(FileLayer.SYSTEM, dir)) {
            t.codesAdding(Labels.of("a", "1", "bb", "2"));
            assertEquals(2, t.size());
        }
        Path f = LabelNameTable.path(dir);
        long whole = Files.size(f);
        Files.write(f, new byte[]{5, 'c', 'c'}, java.nio.file.StandardOpenOption.APPEND);   // an append cut short
        try (LabelNameTable t = LabelNameTable.open(FileLayer.SYSTEM, dir)) {
            assertEquals(2, t.size());
            assertEquals(whole, Files.size(f));
            assertNotNull(t.key(Labels.of("a", "x", "bb", "y")));
            t.codesAdding(Labels.of("cc", "3"));
            assertEquals(Labels.of("a", "x", "cc", "z"), t.decode(t.key(Labels.of("a", "x", "cc", "z"))));
        }
        byte[] b = Files.readAllBytes(f);
        b[LabelNameTable.HEADER_BYTES + 1] ^= 1;   // a bit of the first name: its CRC fails, everything after is cut
        Files.write(f, b);
        try (LabelNameTable t = LabelNameTable.open(FileLayer.SYSTEM, dir)) {
            assertEquals(0, t.size());
        }
        Files.write(f, new byte[]{1, 2, 3, 4, 5, 6, 7, 8});
        IOException e = assertThrows(IOException.class, () -> LabelNameTable.open(FileLayer.SYSTEM, dir));
        assertTrue(e.getMessage().contains("no valid header"), e.getMessage());
    }

    /** A names file shorter than its header (its creation cut short by a crash) holds no name: it is written anew. */
    @Test
    void aNamesFileCutShortAtItsCreationIsWrittenAnew() throws IOException {
        Files.write(LabelNameTable.path(dir), new byte[]{0x54, 0x53});
        try (SeriesRegistry r = SeriesRegistry.open(dir, 1024)) {
            r.put(series(1), 1);
        }
        try (SeriesRegistry r = SeriesRegistry.open(dir, 1024)) {
            assertEquals(Map.of(series(1), 1), SeriesRegistryTest.contents(r));
        }
    }

    /**
     * The migration's names file could not be written (left empty): the marker, written before it, makes the next open
     * migrate; without it the names file would say that the version 3 tier was at version 4.
     */
    @Test
    void aMigrationCutShortAtItsNamesFileIsResumed() throws IOException {
        Map<Labels, Integer> expected = versionThreeTier(0, 1024, 0, 700, 700);
        FaultInjectingFileLayer fs = new FaultInjectingFileLayer();
        fs.on(FaultInjectingFileLayer.Op.WRITE, "series\\.registry\\.names$");
        assertThrows(IOException.class, () -> SeriesRegistry.open(fs, dir, 1024));
        assertEquals(0, Files.size(LabelNameTable.path(dir)));
        assertTrue(Files.exists(dir.resolve(RegistryFormat.MIGRATING_MARKER)));
        try (SeriesRegistry r = SeriesRegistry.open(dir, 1024)) {
            assertContents(expected, r);
            assertEquals(700, r.nextId());
        }
        assertFalse(Files.exists(dir.resolve(RegistryFormat.MIGRATING_MARKER)));
    }

    /** A name that cannot be appended (full disk) refuses the series, registers nothing, and the next try succeeds. */
    @Test
    void aNameThatCannotBeWrittenRefusesTheSeries() throws IOException {
        FaultInjectingFileLayer fs = new FaultInjectingFileLayer();
        try (SeriesRegistry r = SeriesRegistry.open(fs, dir, 1024)) {
            r.put(series(0), 0);
            fs.on(FaultInjectingFileLayer.Op.WRITE, "series\\.registry\\.names$");
            Labels l = Labels.of("__name__", "up", "zone", "a");
            IOException e = assertThrows(IOException.class, () -> r.getOrRegister(l, 1));
            assertTrue(e.getMessage().contains("No space left on device"), e.getMessage());
            assertEquals(-1, r.get(l));
            assertEquals(1, r.size());
            assertEquals(1, r.getOrRegister(l, 1));
            assertEquals(1, r.get(l));
        }
        try (SeriesRegistry r = SeriesRegistry.open(dir, 1024)) {
            assertEquals(Map.of(series(0), 0, Labels.of("__name__", "up", "zone", "a"), 1), SeriesRegistryTest.contents(r));
        }
    }

    /** Writes a version 3 tier (label names inline) as the previous build did. */
    private Map<Labels, Integer> versionThreeTier(int k, long entries, int from, int to, Integer nextId) {
        Map<Labels, Integer> m = new HashMap<>();
        try (ChronicleMap<byte[], Integer> map = ChronicleMapBuilder.of(byte[].class, Integer.class).name("v3-" + k)
                .entries(entries).averageKeySize(160).actualChunkSize(16).maxBloatFactor(1.0).sparseFile(true)
                .createPersistedTo(dir.resolve(RegistryFormat.tierFileName(k)).toFile())) {
            map.put(RegistryFormat.VERSION_KEY, 3);
            for (int i = from; i < to; i++) {
                map.put(LabelsCodec.encode(series(i)), i);
                m.put(series(i), i);
            }
            if (nextId != null) map.put(RegistryFormat.NEXT_ID_KEY, nextId);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return m;
    }

    @Test
    void versionThreeTiersAreRewrittenOnceWithTheSameIds() throws IOException {
        Map<Labels, Integer> expected = new HashMap<>(versionThreeTier(0, 1024, 0, 1024, null));
        expected.putAll(versionThreeTier(1, 1280, 1024, 1500, 1600));   // ids up to 1599 were given out before
        Files.writeString(dir.resolve(RegistryFormat.CLEAN_MARKER), "clean\n");
        long before = Files.size(dir.resolve(RegistryFormat.tierFileName(0)));
        try (SeriesRegistry r = SeriesRegistry.open(dir, 1024)) {
            assertContents(expected, r);
            assertEquals(1600, r.nextId());
            assertEquals(2, r.tierCount());
            // the newest tier goes on taking series up to its capacity (1,280)
            for (int i = 1600; i < 1600 + 1280 - 476; i++) {
                r.put(series(i), i);
                expected.put(series(i), i);
            }
            assertEquals(2, r.tierCount());
            r.put(series(5000), 5000);
            expected.put(series(5000), 5000);
            assertEquals(3, r.tierCount());
        }
        assertFalse(Files.exists(dir.resolve(RegistryFormat.MIGRATING_MARKER)));
        assertFalse(contains(dir.resolve(RegistryFormat.tierFileName(0)), "service_environment"));
        assertTrue(Files.size(dir.resolve(RegistryFormat.tierFileName(0))) < before, "a rewritten tier is smaller");
        try (SeriesRegistry r = SeriesRegistry.open(dir, 1024)) {
            assertContents(expected, r);
            assertEquals(5001, r.nextId());
        }
    }

    /** A crash during the migration: the next open rewrites the tiers still at version 3, and nothing is lost. */
    @Test
    void aMigrationStoppedMidwayIsFinishedAtTheNextOpen() throws IOException {
        Map<Labels, Integer> expected = new HashMap<>(versionThreeTier(0, 1024, 0, 1024, null));
        expected.putAll(versionThreeTier(1, 1280, 1024, 1300, 1300));
        FaultInjectingFileLayer fs = new FaultInjectingFileLayer();
        fs.on(FaultInjectingFileLayer.Op.RENAME, "series-01\\.registry\\.tmp$");   // tier 0 done, tier 1 not
        assertThrows(IOException.class, () -> SeriesRegistry.open(fs, dir, 1024));
        assertTrue(Files.exists(dir.resolve(RegistryFormat.MIGRATING_MARKER)));
        assertFalse(contains(dir.resolve(RegistryFormat.tierFileName(0)), "service_environment"), "tier 0 was rewritten");
        assertTrue(contains(dir.resolve(RegistryFormat.tierFileName(1)), "service_environment"), "tier 1 was not");
        IOException e = assertThrows(IOException.class,
                () -> RegistryTier.openMap(dir.resolve(RegistryFormat.tierFileName(1)), 1, 1280, 160, false));
        assertTrue(e.getMessage().contains("version 3"), e.getMessage());
        try (SeriesRegistry r = SeriesRegistry.open(dir, 1024)) {   // not clean: recovery, then the rest of the migration
            assertContents(expected, r);
            assertEquals(1300, r.nextId());
        }
        assertFalse(Files.exists(dir.resolve(RegistryFormat.MIGRATING_MARKER)));
        assertFalse(contains(dir.resolve(RegistryFormat.tierFileName(1)), "service_environment"));
    }
}
