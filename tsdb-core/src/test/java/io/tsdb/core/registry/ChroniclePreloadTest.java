package io.tsdb.core.registry;

import io.tsdb.core.Labels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** The Chronicle preload names classes that exist, and a registry opened while it runs waits for it and works. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ChroniclePreloadTest {
    @TempDir Path dir;

    @Test
    void everyPreloadedClassExists() throws Exception {
        // the task drops errors (the open reports real problems), so a class renamed by a Chronicle upgrade shows here
        for (String c : ChroniclePreload.CLASSES) assertNotNull(Class.forName(c, false, getClass().getClassLoader()), c);
    }

    @Test
    void aRegistryUsedDuringThePreloadWaitsForItAndWorks() throws Exception {
        Runnable task = ChroniclePreload.start();   // null if another test of this JVM started it already
        Thread t = null;
        if (task != null) {
            t = new Thread(task, "test-preload");
            t.start();
        }
        try (SeriesRegistry r = SeriesRegistry.open(dir, 1024)) {
            // a new registry's open does not wait (its first tier is created in the background, after the preload)
            Labels l = Labels.of("__name__", "up", "job", "a");
            assertEquals(-1, r.get(l));
            r.put(l, 0);   // the put waits for the tier, so for the preload
            assertTrue(ChroniclePreload.done(), "a put returned before the preload finished");
            assertEquals(0, r.get(l));
        }
        if (t != null) t.join();
        try (SeriesRegistry r = SeriesRegistry.open(dir, 1024)) {   // an existing registry's open waits for the preload
            assertTrue(ChroniclePreload.done());
            assertEquals(1, r.size());
        }
    }

    /** Main preloads Chronicle at once for a restart only: a data directory with a registry (tiers or a version 1 file). */
    @Test
    void registryExistsOnlyWithTierOrLegacyFiles() throws Exception {
        Path data = dir.resolve("data");
        assertFalse(ChroniclePreload.registryExists(data), "no data directory");
        java.nio.file.Files.createDirectories(data.resolve("registry"));
        assertFalse(ChroniclePreload.registryExists(data), "an empty registry directory");
        java.nio.file.Files.writeString(data.resolve("registry").resolve(RegistryFormat.CLEAN_MARKER), "");
        java.nio.file.Files.writeString(data.resolve("registry").resolve(RegistryFormat.tierFileName(0) + RegistryFormat.TMP_SUFFIX), "");
        assertFalse(ChroniclePreload.registryExists(data), "a marker and a temporary only");
        java.nio.file.Files.writeString(data.resolve("registry").resolve(RegistryFormat.tierFileName(0)), "");
        assertTrue(ChroniclePreload.registryExists(data), "a tier");
        Path legacy = dir.resolve("legacy");
        java.nio.file.Files.createDirectories(legacy.resolve("registry"));
        java.nio.file.Files.writeString(legacy.resolve("registry").resolve(RegistryFormat.LEGACY_FILE_NAME), "");
        assertTrue(ChroniclePreload.registryExists(legacy), "a version 1 registry");
    }
}
