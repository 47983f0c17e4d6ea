package io.tsdb.core.registry;

import io.tsdb.core.Labels;
import net.openhft.chronicle.map.ChronicleMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Map;

import static io.tsdb.core.registry.SeriesRegistryTest.assertContents;
import static io.tsdb.core.registry.SeriesRegistryTest.fill;
import static io.tsdb.core.registry.SeriesRegistryTest.series;
import static org.junit.jupiter.api.Assertions.*;

/** The lookup file a clean close leaves, so that the next open does not read every tier's entries. */
class RegistryLookupFileTest {
    @TempDir Path dir;

    Path lookup() { return dir.resolve(RegistryLookupFile.FILE_NAME); }

    /** 3,000 series in 3 tiers (1,024, 1,280, the rest in the newest), closed cleanly. */
    Map<Labels, Integer> threeTiersClosedCleanly() throws Exception {
        Map<Labels, Integer> m;
        try (SeriesRegistry r = SeriesRegistry.open(dir, 1024)) {
            m = fill(r, 0, 3000);
        }
        assertTrue(Files.exists(lookup()), "a clean close writes the lookup file");
        assertTrue(Files.exists(dir.resolve(RegistryFormat.tierFileName(2))));
        return m;
    }

    /** Every series is found with its id, a new one gets the next id, and the ids of the tiers are where they were. */
    static void assertWhole(SeriesRegistry r, Map<Labels, Integer> m) throws Exception {
        for (var e : m.entrySet()) assertEquals(e.getValue(), r.get(e.getKey()), e.getKey().toString());
        assertEquals(-1, r.get(series(3000)));
        assertEquals(3000, r.getOrRegister(series(3000), 3000));
        assertEquals(3000, r.get(series(3000)));
        m.put(series(3000), 3000);
        assertContents(m, r);
    }

    /** The next open reads the tiers (not the lookup file) and finds {@code m} and series {@code id}, registered since. */
    void assertOpenReadsTheTiersAndFinds(Map<Labels, Integer> m, int id) throws Exception {
        try (SeriesRegistry r = SeriesRegistry.open(dir, 1024)) {
            assertFalse(r.openedFromLookup());
            assertEquals(id, r.get(series(id)));
            assertEquals(id + 1, r.nextId());
            for (var e : m.entrySet()) assertEquals(e.getValue(), r.get(e.getKey()));
        }
    }

    @Test
    void theOpenAfterACleanCloseTakesTheLookupFileAndDeletesIt() throws Exception {
        Map<Labels, Integer> m = threeTiersClosedCleanly();
        try (SeriesRegistry r = SeriesRegistry.open(dir, 1024)) {
            assertTrue(r.openedFromLookup());
            assertFalse(Files.exists(lookup()), "deleted at open: the tiers change from now on");
            assertEquals(1, r.openTierCount(), "the sealed tiers were not opened");
            assertEquals(3000, r.nextId());
            assertWhole(r, m);
        }
        // and again: the second clean close wrote it anew, with the series added since
        try (SeriesRegistry r = SeriesRegistry.open(dir, 1024)) {
            assertTrue(r.openedFromLookup());
            assertEquals(3001, r.nextId());
            for (var e : m.entrySet()) assertEquals(e.getValue(), r.get(e.getKey()));
        }
    }

    @Test
    void aCrashLeavesNoLookupFileAndTheOpenReadsTheTiers() throws Exception {
        Map<Labels, Integer> m = threeTiersClosedCleanly();
        SeriesRegistry r = SeriesRegistry.open(dir, 1024);
        assertTrue(r.openedFromLookup());
        r.put(series(5000), 5000);   // written after the lookup file was: only the tiers know it
        r.abandon();                  // crash: no clean marker, no lookup file
        assertFalse(Files.exists(lookup()));
        assertOpenReadsTheTiersAndFinds(m, 5000);
    }

    @Test
    void aLookupFileWithoutTheCleanMarkerIsNotUsed() throws Exception {
        threeTiersClosedCleanly();
        byte[] saved = Files.readAllBytes(lookup());
        SeriesRegistry.open(dir, 1024).abandon();
        Files.write(lookup(), saved);   // a stale file left beside tiers that were opened (and could have changed) since
        try (SeriesRegistry r = SeriesRegistry.open(dir, 1024)) {
            assertFalse(r.openedFromLookup());
            assertFalse(Files.exists(lookup()));
        }
    }

    @Test
    void aSealedTierChangedSinceTheLookupFileIsRead() throws Exception {
        Map<Labels, Integer> m = threeTiersClosedCleanly();
        Path tier0 = dir.resolve(RegistryFormat.tierFileName(0));
        Files.setLastModifiedTime(tier0, FileTime.fromMillis(Files.getLastModifiedTime(tier0).toMillis() - 60_000));
        try (SeriesRegistry r = SeriesRegistry.open(dir, 1024)) {
            assertFalse(r.openedFromLookup());
            assertWhole(r, m);
        }
    }

    /**
     * An earlier build, which knows nothing of the lookup file, opened the registry, added a series to the newest tier
     * and closed it cleanly: the file no longer matches that tier's entries (here even with its modification time
     * put back), so the tiers are read and the series is found.
     */
    @Test
    void theNewestTierWithEntriesTheLookupFileDoesNotKnowIsRead() throws Exception {
        Map<Labels, Integer> m = threeTiersClosedCleanly();
        Path newest = dir.resolve(RegistryFormat.tierFileName(2));
        FileTime mtime = Files.getLastModifiedTime(newest);
        try (ChronicleMap<byte[], Integer> map = RegistryTier.openMap(newest, 2, RegistryFormat.tierCapacity(1024, 2), RegistryFormat.AVERAGE_KEY_BYTES, false)) {
            try (LabelNameTable names = LabelNameTable.open(io.tsdb.core.fs.FileLayer.SYSTEM, dir)) {
                map.put(names.key(series(7000)), 7000);
            }
        }
        Files.setLastModifiedTime(newest, mtime);
        assertOpenReadsTheTiersAndFinds(m, 7000);
    }

    @Test
    void aDamagedLookupFileIsNotUsed() throws Exception {
        Map<Labels, Integer> m = threeTiersClosedCleanly();
        byte[] b = Files.readAllBytes(lookup());
        b[RegistryLookupFile.HEADER_BYTES + 3 * RegistryLookupFile.TIER_BYTES + 100] ^= 1;   // one bit of a pair
        Files.write(lookup(), b);
        try (SeriesRegistry r = SeriesRegistry.open(dir, 1024)) {
            assertFalse(r.openedFromLookup());
            assertWhole(r, m);
        }
        assertThrows(java.io.IOException.class, () -> {
            Files.write(lookup(), new byte[]{1, 2, 3});
            RegistryLookupFile.read(dir);
        });
    }

    @Test
    void theFileRoundTrips() throws Exception {
        long[] pairs = {Fingerprints.pair(-5, 3), Fingerprints.pair(-5, 9), Fingerprints.pair(0, 1), Fingerprints.pair(77, 2)};
        var tiers = java.util.List.of(new RegistryLookupFile.Tier(2, 0, 1, 4096, 12345, -1),
                new RegistryLookupFile.Tier(2, 2, 9, 8192, 23456, 4));
        RegistryLookupFile.write(io.tsdb.core.fs.FileLayer.SYSTEM, dir, 10, tiers, pairs, pairs.length);
        assertEquals(RegistryLookupFile.HEADER_BYTES + 2 * RegistryLookupFile.TIER_BYTES + 4 * 8 + 4, Files.size(lookup()));
        RegistryLookupFile.Content c = RegistryLookupFile.read(dir);
        assertEquals(10, c.nextId());
        assertEquals(tiers, c.tiers());
        assertArrayEquals(pairs, c.pairs());
    }
}
