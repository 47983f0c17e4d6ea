package io.tsdb.core.registry;

import io.tsdb.core.Labels;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ChronicleMapBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class SeriesRegistryTest {
    @TempDir Path dir;

    static Labels series(int i) {
        return Labels.of("__name__", "cpu_usage_user", "hostname", "host_" + i, "region", "r" + (i % 7), "rack", String.valueOf(i % 100));
    }

    static Map<Labels, Integer> contents(SeriesRegistry r) {
        Map<Labels, Integer> m = new HashMap<>();
        r.forEach((l, id) -> assertNull(m.put(l, id), "label set listed twice: " + l));
        return m;
    }

    /** Compares without printing thousands of entries on failure. */
    static void assertContents(Map<Labels, Integer> expected, SeriesRegistry r) {
        Map<Labels, Integer> actual = contents(r);
        if (expected.equals(actual)) return;
        Map<Labels, Integer> missing = new HashMap<>(expected);
        missing.entrySet().removeAll(actual.entrySet());
        Map<Labels, Integer> extra = new HashMap<>(actual);
        extra.entrySet().removeAll(expected.entrySet());
        fail("expected " + expected.size() + " series, found " + actual.size() + "; missing/different " + missing.size()
                + " e.g. " + missing.entrySet().stream().limit(3).toList() + "; unexpected " + extra.size()
                + " e.g. " + extra.entrySet().stream().limit(3).toList());
    }

    static Map<Labels, Integer> fill(SeriesRegistry r, int from, int to) throws java.io.IOException {
        Map<Labels, Integer> m = new HashMap<>();
        for (int i = from; i < to; i++) {
            r.put(series(i), i);
            m.put(series(i), i);
        }
        return m;
    }

    /**
     * A clean close fsyncs every tier file (what went through the mappings) before it writes the clean marker; when
     * that fsync fails there is no marker and the next open runs the recovery.
     */
    @Test
    void closeMakesTheTiersDurableBeforeTheCleanMarker() throws Exception {
        io.tsdb.core.fs.FaultInjectingFileLayer fs = new io.tsdb.core.fs.FaultInjectingFileLayer();
        SeriesRegistry r = SeriesRegistry.open(fs, dir, 1024);
        for (int i = 0; i < 100; i++) r.put(series(i), i);
        var tierFsyncs = fs.on(io.tsdb.core.fs.FaultInjectingFileLayer.Op.FSYNC, "series-00\\.registry$").skip(Integer.MAX_VALUE);
        r.close();
        assertEquals(1, tierFsyncs.seen(), "the tier was fsynced at close");
        assertTrue(Files.exists(dir.resolve(RegistryFormat.CLEAN_MARKER)));

        r = SeriesRegistry.open(fs, dir, 1024);
        r.put(series(100), 100);
        fs.on(io.tsdb.core.fs.FaultInjectingFileLayer.Op.FSYNC, "series-00\\.registry$");
        IOException e = assertThrows(IOException.class, r::close);
        assertTrue(e.getMessage().contains("Input/output error"), e.getMessage());
        assertFalse(Files.exists(dir.resolve(RegistryFormat.CLEAN_MARKER)), "no clean marker over a tier not known to be on disk");
        fs.clear();
        try (SeriesRegistry again = SeriesRegistry.open(fs, dir, 1024)) {   // recovers (not closed cleanly)
            for (int i = 0; i <= 100; i++) assertEquals(i, again.get(series(i)));
        }
    }

    @Test
    void growsByTiersAQuarterLargerAndKeepsEverySeries() throws IOException {
        Map<Labels, Integer> expected;
        try (SeriesRegistry r = SeriesRegistry.open(dir, 1024)) {
            expected = fill(r, 0, 5000);
            // 1024 + 1280 + 1600 < 5000 <= 1024 + 1280 + 1600 + 2048
            assertEquals(4, r.tierCount());
            assertEquals(1, r.openTierCount(), "full tiers are sealed (closed, unmapped)");
            assertEquals(5000, r.size());
            assertContents(expected, r);
            assertEquals(4321, r.get(series(4321)));
            assertEquals(17, r.get(series(17)));
            assertEquals(-1, r.get(series(99_999)));
        }
        for (int k = 0; k < 4; k++) assertTrue(Files.exists(dir.resolve(RegistryFormat.tierFileName(k))), "tier " + k);
        assertFalse(Files.exists(dir.resolve(RegistryFormat.tierFileName(4))));
        assertTrue(Files.exists(dir.resolve(RegistryFormat.CLEAN_MARKER)));
    }

    @Test
    void exactlyFullTierDoesNotStartANewOne() throws IOException {
        try (SeriesRegistry r = SeriesRegistry.open(dir, 1024)) {
            fill(r, 0, 1024);
            assertEquals(1, r.tierCount());
            r.put(series(1024), 1024);
            assertEquals(2, r.tierCount());
        }
    }

    @Test
    void tierWithoutRoomForLongKeysIsFollowedByTheNext() throws IOException {
        Map<Labels, Integer> expected = new HashMap<>();
        String pad = "x".repeat(3000); // far above the key size hint: the first tier runs out of room early
        try (SeriesRegistry r = SeriesRegistry.open(dir, 1024)) {
            for (int i = 0; i < 1024; i++) {
                Labels l = Labels.of("__name__", "m", "big", pad + i);
                r.put(l, i);
                expected.put(l, i);
            }
            assertTrue(r.tierCount() > 1, "tiers: " + r.tierCount());
            assertEquals(1024, r.size());
            assertContents(expected, r);
        }
        try (SeriesRegistry r = SeriesRegistry.open(dir, 1024)) {
            assertContents(expected, r);
        }
    }

    /**
     * Keys far longer than the first tier's size hint (400 bytes, Kubernetes-like label sets): the first tier's map
     * grows beyond the blocks allocated at its creation before it holds its capacity; it then takes no more series
     * (a write into the appended, unallocated blocks on a full disk would be a SIGBUS), and the tiers created after
     * it are sized for the keys seen, so none of them grows. Every series stays registered across a reopen.
     */
    @Test
    void aTierThatOutgrowsItsAllocationIsSealedAndLaterTiersAreSizedForTheKeys() throws IOException {
        Map<Labels, Integer> expected = new HashMap<>();
        String pad = "v".repeat(400);
        int n = 6000;
        try (SeriesRegistry r = SeriesRegistry.open(dir, 1024)) {
            for (int i = 0; i < n; i++) {
                Labels l = Labels.of("__name__", "kube_pod_info", "pod", pad + i);
                r.put(l, i);
                expected.put(l, i);
            }
            assertContents(expected, r);
        }
        int tiers = 0;
        long held = 0;
        for (int k = 0; Files.exists(dir.resolve(RegistryFormat.tierFileName(k))); k++, tiers++) {
            try (ChronicleMap<byte[], Integer> m = RegistryTier.openMap(dir.resolve(RegistryFormat.tierFileName(k)), k, 1024,
                    RegistryFormat.AVERAGE_KEY_BYTES, false)) {
                long series = m.keySet().stream().filter(key -> !RegistryTier.reserved(key)).count();
                held += series;
                if (k == 0) {
                    assertTrue(RegistryTier.grown(m), "tier 0, sized for 160-byte keys, outgrows its allocation");
                    assertTrue(series < RegistryFormat.tierCapacity(1024, 0), "tier 0 sealed early, at " + series);
                } else {
                    assertFalse(RegistryTier.grown(m), "tier " + k + " sized for the keys seen does not grow (" + series + " series)");
                }
            }
        }
        assertEquals(n, held);
        assertTrue(tiers >= 3, "tiers: " + tiers);
        try (SeriesRegistry r = SeriesRegistry.open(dir, 1024)) {
            assertContents(expected, r);
            Labels next = Labels.of("__name__", "kube_pod_info", "pod", pad + n);
            r.put(next, n);
            assertEquals(n, r.get(next));
        }
    }

    @Test
    void reopenAfterCleanCloseContinuesInTheNewestTier() throws IOException {
        Map<Labels, Integer> expected;
        try (SeriesRegistry r = SeriesRegistry.open(dir, 1024)) {
            expected = fill(r, 0, 2000);
        }
        try (SeriesRegistry r = SeriesRegistry.open(dir, 1024)) {
            assertFalse(Files.exists(dir.resolve(RegistryFormat.CLEAN_MARKER)), "marker removed while open");
            assertEquals(2, r.tierCount());
            assertEquals(1, r.openTierCount());
            assertContents(expected, r);
            expected.putAll(fill(r, 2000, 3500));
            assertEquals(3, r.tierCount());
            assertEquals(1, r.openTierCount());
            assertEquals(5, r.get(series(5)), "a sealed tier is opened for a lookup");
            assertContents(expected, r);
        }
        try (SeriesRegistry r = SeriesRegistry.open(dir, 1024)) {
            assertContents(expected, r);
            assertEquals(3500, r.size());
        }
    }

    @Test
    void changedFirstCapacityKeepsExistingTiers() throws IOException {
        Map<Labels, Integer> expected;
        try (SeriesRegistry r = SeriesRegistry.open(dir, 1024)) {
            expected = fill(r, 0, 1500);
        }
        try (SeriesRegistry r = SeriesRegistry.open(dir, 65536)) {
            assertContents(expected, r);
        }
    }

    @Test
    void uncleanCloseIsRecovered() throws IOException {
        SeriesRegistry r = SeriesRegistry.open(dir, 1024);
        Map<Labels, Integer> expected = fill(r, 0, 3000);
        r.abandon();
        assertFalse(Files.exists(dir.resolve(RegistryFormat.CLEAN_MARKER)));
        try (SeriesRegistry again = SeriesRegistry.open(dir, 1024)) {
            assertContents(expected, again);
            assertEquals(3000, again.size());
        }
    }

    @Test
    void missingMiddleTierIsAnErrorNamingTheFile() throws IOException {
        try (SeriesRegistry r = SeriesRegistry.open(dir, 1024)) {
            fill(r, 0, 4000);
        }
        Files.delete(dir.resolve(RegistryFormat.tierFileName(1)));
        IOException e = assertThrows(IOException.class, () -> SeriesRegistry.open(dir, 1024));
        assertTrue(e.getMessage().contains(RegistryFormat.tierFileName(1)), e.getMessage());
    }

    /**
     * Tiers written by the previous version (doubling from 8,192, Chronicle's default 64-byte chunks) open with their
     * own configuration, after a clean close and after a crash alike; new series go to a tier of the new schedule.
     * (They hold version 3 keys: the first open rewrites them with version 4 keys, the newest at its new capacity.)
     */
    @Test
    void tiersOfThePreviousScheduleAndChunkSizeStayReadable() throws IOException {
        Map<Labels, Integer> expected = new HashMap<>();
        for (int k = 0; k < 2; k++) {
            try (ChronicleMap<byte[], Integer> m = ChronicleMapBuilder.of(byte[].class, Integer.class).name("old-" + k)
                    .entries(8192L << k).averageKeySize(RegistryFormat.AVERAGE_KEY_BYTES).maxBloatFactor(1.0).sparseFile(true)
                    .createPersistedTo(dir.resolve(RegistryFormat.tierFileName(k)).toFile())) {
                m.put(RegistryFormat.VERSION_KEY, 3);   // label names inline: migrated at open
                int from = k == 0 ? 0 : 8192, to = k == 0 ? 8192 : 9000;
                for (int i = from; i < to; i++) {
                    m.put(LabelsCodec.encode(series(i)), i);
                    expected.put(series(i), i);
                }
                if (k == 1) m.put(RegistryFormat.NEXT_ID_KEY, 9000);
            }
        }
        Files.writeString(dir.resolve(RegistryFormat.CLEAN_MARKER), "clean\n");
        try (SeriesRegistry r = SeriesRegistry.open(dir, 1024)) {
            assertContents(expected, r);
            assertEquals(9000, r.nextId());
            // the old newest tier (16,384 entries, 808 held) takes series up to the new schedule's 1,280 for tier 1
            expected.putAll(fill(r, 9000, 9472));
            assertEquals(2, r.tierCount());
            expected.putAll(fill(r, 9472, 9500));
            assertEquals(3, r.tierCount(), "then a tier of the new schedule");
            assertContents(expected, r);
        }
        try (SeriesRegistry r = SeriesRegistry.open(dir, 1024)) {
            assertContents(expected, r);
            expected.putAll(fill(r, 9500, 9600));
            r.abandon();   // a crash: the next open recovers every tier, old and new
        }
        try (SeriesRegistry r = SeriesRegistry.open(dir, 1024)) {
            assertContents(expected, r);
            assertEquals(9600, r.nextId());
        }
    }

    @Test
    void wrongVersionIsRefused() throws IOException {
        try (ChronicleMap<byte[], Integer> m = ChronicleMapBuilder.of(byte[].class, Integer.class).entries(1024)
                .averageKeySize(RegistryFormat.AVERAGE_KEY_BYTES).createPersistedTo(dir.resolve(RegistryFormat.tierFileName(0)).toFile())) {
            m.put(RegistryFormat.VERSION_KEY, 99);
        }
        Files.writeString(dir.resolve(RegistryFormat.CLEAN_MARKER), "clean\n");
        IOException e = assertThrows(IOException.class, () -> SeriesRegistry.open(dir, 1024));
        assertTrue(e.getMessage().contains("version 99"), e.getMessage());
    }

    @Test
    void versionOneRegistryIsMigratedIntoTiers() throws IOException {
        Map<Labels, Integer> expected = new HashMap<>();
        try (ChronicleMap<byte[], Integer> m = ChronicleMapBuilder.of(byte[].class, Integer.class).entries(1 << 20)
                .averageKeySize(RegistryFormat.AVERAGE_KEY_BYTES).maxBloatFactor(8.0).sparseFile(true)
                .createPersistedTo(dir.resolve(RegistryFormat.LEGACY_FILE_NAME).toFile())) {
            m.put(RegistryFormat.VERSION_KEY, RegistryFormat.LEGACY_VERSION);
            for (int i = 0; i < 1500; i++) {
                m.put(LabelsCodec.encode(series(i)), i * 3);
                expected.put(series(i), i * 3);
            }
        }
        // not cleanly closed: migration runs recovery on the old map
        try (SeriesRegistry r = SeriesRegistry.open(dir, 1024)) {
            assertContents(expected, r);
            assertEquals(2, r.tierCount());
        }
        assertFalse(Files.exists(dir.resolve(RegistryFormat.LEGACY_FILE_NAME)));
        try (SeriesRegistry r = SeriesRegistry.open(dir, 1024)) {
            assertContents(expected, r);
        }
    }

    @Test
    void tierFileNames() {
        assertEquals("series-00.registry", RegistryFormat.tierFileName(0));
        assertEquals("series-12.registry", RegistryFormat.tierFileName(12));
        assertEquals(12, RegistryFormat.tierIndex("series-12.registry"));
        assertEquals(-1, RegistryFormat.tierIndex("series.registry"));
        assertEquals(-1, RegistryFormat.tierIndex("series-1.registry"));
        // 1.25^k times the first, rounded up to a multiple of 64
        assertEquals(1024, RegistryFormat.tierCapacity(1024, 0));
        assertEquals(1280, RegistryFormat.tierCapacity(1024, 1));
        assertEquals(1600, RegistryFormat.tierCapacity(1024, 2));
        assertEquals(2048, RegistryFormat.tierCapacity(1024, 3));   // 2000
        assertEquals(16000, RegistryFormat.tierCapacity(8192, 3));
        long sum = 0;
        for (int k = 0; k < RegistryFormat.MAX_TIERS; k++) sum += RegistryFormat.tierCapacity(1024, k);
        assertTrue(sum > (1L << 31), "the tiers hold every possible series id: " + sum);
    }

    /**
     * The newest tier is reopened every {@link SeriesRegistry#REMAP_AFTER_PUTS} new series (at the latest every
     * {@link SeriesRegistry#BURST_REMAP_AFTER_PUTS}, as here, where they come fast), so the pages earlier puts touched
     * leave the process' resident set; every series stays registered, across a reopen too.
     */
    @Test
    void theNewestTiersResidentPagesAreLetGoAsItFills() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(io.tsdb.core.testing.Smaps.available(), "needs /proc/self/smaps");
        int n = 2 * SeriesRegistry.BURST_REMAP_AFTER_PUTS + 100;
        Map<Labels, Integer> expected;
        Path tier = dir.resolve(RegistryFormat.tierFileName(0));
        try (SeriesRegistry r = SeriesRegistry.open(dir, 65_536)) {
            expected = fill(r, 0, n);
            assertEquals(1, r.tierCount());
            long resident = io.tsdb.core.testing.Smaps.residentKb(tier), file = Files.size(tier) / 1024;
            // what the last 100 puts touched (and the segment headers), not what all of them did (about all of the
            // file's used part, half of it here)
            assertTrue(resident < file / 4, "resident " + resident + " KiB of a " + file + " KiB tier");
            for (int i = 0; i < n; i += 97) assertEquals(i, r.get(series(i)));
            assertContents(expected, r);
        }
        try (SeriesRegistry r = SeriesRegistry.open(dir, 65_536)) {
            assertContents(expected, r);
            assertEquals(n, r.nextId());
        }
    }

    /**
     * When the server goes quiet the newest tier is reopened at once ({@link SeriesRegistry#releaseResidentPages}),
     * not only after {@link SeriesRegistry#REMAP_AFTER_PUTS} puts: the pages a burst of new series touched leave the
     * resident set, and every series stays registered and new ones still go in.
     */
    @Test
    void quietTimeReleasesTheNewestTiersTouchedPages() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(io.tsdb.core.testing.Smaps.available(), "needs /proc/self/smaps");
        int n = SeriesRegistry.REMAP_AFTER_PUTS - 48;   // below the put count that reopens the tier anyway
        Path tier = dir.resolve(RegistryFormat.tierFileName(0));
        Map<Labels, Integer> expected;
        try (SeriesRegistry r = SeriesRegistry.open(dir, 65_536)) {
            assertFalse(r.releaseResidentPages(), "no put yet: nothing to release");
            expected = fill(r, 0, n);
            long before = io.tsdb.core.testing.Smaps.residentKb(tier);
            assertTrue(r.releaseResidentPages());
            long after = io.tsdb.core.testing.Smaps.residentKb(tier);
            assertTrue(after < before / 4, "resident " + before + " KiB before, " + after + " KiB after");
            assertFalse(r.releaseResidentPages(), "no put since: nothing more to release");
            for (int i = 0; i < n; i += 31) assertEquals(i, r.get(series(i)));
            expected.putAll(fill(r, n, n + 100));
            assertTrue(r.releaseResidentPages(), "new puts: released again");
            assertContents(expected, r);
        }
        try (SeriesRegistry r = SeriesRegistry.open(dir, 65_536)) {
            assertContents(expected, r);
            assertEquals(n + 100, r.nextId());
        }
    }

    /** Older tiers opened for lookups are closed by the same call, and opened again by the next lookup that needs them. */
    @Test
    void quietTimeClosesOlderTiersOpenedForLookups() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(io.tsdb.core.testing.Smaps.available(), "needs /proc/self/smaps");
        Path first = dir.resolve(RegistryFormat.tierFileName(0));
        try (SeriesRegistry r = SeriesRegistry.open(dir, 1024)) {
            Map<Labels, Integer> expected = fill(r, 0, 3000);
            assertTrue(r.tierCount() > 1);
            assertTrue(r.releaseResidentPages());
            assertEquals(0, io.tsdb.core.testing.Smaps.residentKb(first), "the sealed first tier is not mapped");
            assertEquals(5, r.get(series(5)));   // confirmed in the first tier: opened for it
            assertTrue(io.tsdb.core.testing.Smaps.residentKb(first) > 0, "opened for the lookup");
            assertTrue(r.releaseResidentPages(), "an older tier was open");
            assertEquals(0, io.tsdb.core.testing.Smaps.residentKb(first));
            assertEquals(7, r.get(series(7)), "opened again when needed");
            assertContents(expected, r);
        }
    }
}
