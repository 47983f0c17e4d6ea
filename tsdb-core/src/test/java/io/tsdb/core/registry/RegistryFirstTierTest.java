package io.tsdb.core.registry;

import io.tsdb.core.Labels;
import io.tsdb.core.fs.GatedFileLayer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A new registry's first tier is created on a thread of its own ({@code tsdb-registry-create}): {@link SeriesRegistry#open}
 * returns before it exists, lookups answer "not registered" without it, and puts wait for it; nothing registered
 * while it was being created is lost.
 */
class RegistryFirstTierTest {
    @TempDir Path dir;

    @Test
    void putsWhileTheFirstTierIsCreatedWaitAndAreKept() throws Exception {
        GatedFileLayer fs = new GatedFileLayer("series-00");
        SeriesRegistry r = SeriesRegistry.open(fs, dir, 1024);
        assertTrue(fs.reached.await(60, TimeUnit.SECONDS), "the first tier's creation never started");
        // open returned while the tier is held back: no tier file yet, lookups answer from memory
        assertFalse(Files.exists(dir.resolve(RegistryFormat.tierFileName(0))));
        assertEquals(-1, r.get(SeriesRegistryTest.series(1)));
        assertEquals(0, r.size());
        assertEquals(1, r.tierCount());
        assertEquals(0, r.nextId());

        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Integer>> puts = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                int n = i;
                puts.add(pool.submit(() -> r.getOrRegister(SeriesRegistryTest.series(n), n)));
            }
            // none can have finished: the tier they go to does not exist yet
            for (Future<Integer> f : puts) assertFalse(f.isDone(), "a put finished before the first tier existed");
            fs.release();
            for (int i = 0; i < 40; i++) assertEquals(i, puts.get(i).get(60, TimeUnit.SECONDS));
        } finally {
            pool.shutdownNow();
        }
        assertTrue(Files.exists(dir.resolve(RegistryFormat.tierFileName(0))));
        assertTrue(Files.exists(RegistryTier.allocatedMarker(dir.resolve(RegistryFormat.tierFileName(0)))));
        for (int i = 0; i < 40; i++) assertEquals(i, r.get(SeriesRegistryTest.series(i)));
        r.close();

        try (SeriesRegistry again = SeriesRegistry.open(dir, 1024)) {
            assertEquals(40, again.size());
            assertEquals(40, again.nextId());
            for (int i = 0; i < 40; i++) assertEquals(i, again.get(SeriesRegistryTest.series(i)));
        }
    }

    /** Closed before its first tier exists: the close waits for it, and the next open finds a clean, empty registry. */
    @Test
    void closeWaitsForTheFirstTier() throws Exception {
        GatedFileLayer fs = new GatedFileLayer("series-00");
        SeriesRegistry r = SeriesRegistry.open(fs, dir, 1024);
        assertTrue(fs.reached.await(60, TimeUnit.SECONDS));
        Thread closer = closeInBackground(r);
        fs.release();
        closer.join(60_000);
        assertFalse(closer.isAlive());
        assertTrue(Files.exists(dir.resolve(RegistryFormat.CLEAN_MARKER)));
        try (SeriesRegistry again = SeriesRegistry.open(dir, 1024)) {
            assertEquals(0, again.size());
            assertEquals(1, again.tierCount());
            again.put(Labels.of("__name__", "up"), 0);
            assertEquals(0, again.get(Labels.of("__name__", "up")));
        }
    }

    /** A snapshot of a new registry (copyTo) holds its first tier, also when taken while that is being created. */
    @Test
    void copyWaitsForTheFirstTier() throws Exception {
        GatedFileLayer fs = new GatedFileLayer("series-00");
        try (SeriesRegistry r = SeriesRegistry.open(fs, dir.resolve("reg"), 1024)) {
            assertTrue(fs.reached.await(60, TimeUnit.SECONDS));
            Thread releaser = new Thread(fs::release);
            releaser.start();
            r.copyTo(dir.resolve("copy"));
            releaser.join();
            assertTrue(Files.exists(dir.resolve("copy").resolve(RegistryFormat.tierFileName(0))));
        }
    }

    /**
     * Closed before its first tier's creation has begun (the server's start failed after the storage opened while its
     * preload of Chronicle waits for the start's end): the close does not wait for it, the creation is dropped, and the
     * next open starts a new registry.
     */
    @Test
    void closeBeforeTheCreationBeginsCancelsIt() throws Exception {
        CountDownLatch atHook = new CountDownLatch(1), release = new CountDownLatch(1);
        SeriesRegistry.firstTierHookForTesting = () -> {
            atHook.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        SeriesRegistry r;
        try {
            r = SeriesRegistry.open(dir, 1024);
            assertTrue(atHook.await(60, TimeUnit.SECONDS));
            Thread closer = closeInBackground(r);
            closer.join(60_000);
            assertFalse(closer.isAlive(), "the close waited for a creation that had not begun");
        } finally {
            SeriesRegistry.firstTierHookForTesting = null;
            release.countDown();
        }
        assertThrows(IllegalStateException.class, () -> r.put(Labels.of("__name__", "up"), 0));
        assertFalse(Files.exists(dir.resolve(RegistryFormat.tierFileName(0))), "the cancelled creation wrote a tier");
        try (SeriesRegistry again = SeriesRegistry.open(dir, 1024)) {
            again.put(Labels.of("__name__", "up"), 0);
            assertEquals(0, again.get(Labels.of("__name__", "up")));
        }
    }

    /** Closes {@code r} on a thread of its own, started. */
    private static Thread closeInBackground(SeriesRegistry r) {
        Thread t = new Thread(() -> {
            try {
                r.close();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        t.start();
        return t;
    }
}
