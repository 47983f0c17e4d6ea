package io.tsdb.core.db;

import io.tsdb.core.AppendStatus;
import io.tsdb.core.Appender;
import io.tsdb.core.Labels;
import io.tsdb.core.Matcher;
import io.tsdb.core.testing.Tmpfs;
import io.tsdb.core.wal.FsyncPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

import static io.tsdb.core.db.TsdbTestSupport.S;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The storage on a real full disk (a tmpfs the test mounts; root only, skipped with a notice otherwise): a head
 * flush, a compaction and the creation of a series registry tier each meet ENOSPC. Nothing is lost, queries are
 * answered throughout, the maintenance retries by itself and completes once space returns, and the registry
 * refuses the new series with an error instead of crashing the JVM (a write to an unallocated page of a mapped file
 * on a full disk is SIGBUS).
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class RealDiskFullTest {
    static final long H = 3_600_000L;
    /** Start of a 6 h compaction window; the clock sits 7 h after it. */
    static final long W = 1_700_000_000_000L / (6 * H) * (6 * H);
    static final long NOW = W + 7 * H;
    @TempDir Path tmp;

    Tsdb open(Path dir, long registryCapacity) throws IOException {
        return Tsdb.open(TsdbOptions.builder(dir).walFsync(FsyncPolicy.ALWAYS).registryCapacity(registryCapacity)
                .retention(Duration.ofDays(30)).build(), () -> NOW);
    }

    static Labels series(int s) { return Labels.of("__name__", "disk_full_test", "s", Integer.toString(s), "pad", "x".repeat(40)); }
    /** Values that do not compress much (a block of them is about 8 bytes per sample). */
    static double value(int s, long t) {
        long h = (t * 0x9E3779B97F4A7C15L) ^ (s * 0xC2B2AE3D27D4EB4FL);
        return (h >>> 11) / 1024.0;
    }

    /** One sample per series every 10 s in [from, to). */
    static void ingest(Tsdb db, int series, long from, long to) throws IOException {
        Appender a = db.appender();
        for (long t = from; t < to; t += 10_000) {
            for (int s = 0; s < series; s++) assertEquals(AppendStatus.OK, a.append(series(s), t, value(s, t)));
            a.commit();
        }
    }

    static void verify(Tsdb db, int series, long from, long to) {
        Map<Labels, List<S>> all = TsdbTestSupport.read(db, Long.MIN_VALUE, Long.MAX_VALUE, Matcher.eq("__name__", "disk_full_test"));
        assertEquals(series, all.size(), "series");
        for (int s = 0; s < series; s++) {
            List<S> got = all.get(series(s));
            assertNotNull(got, "series " + s);
            assertEquals((to - from) / 10_000, got.size(), "samples of series " + s);
            for (S x : got) assertEquals(value(s, x.t()), x.v(), "series " + s + " at " + x.t());
        }
    }

    static void await(String what, BooleanSupplier cond, Tsdb db) throws InterruptedException {
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (!cond.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting for " + what);
            db.maintain();
            Thread.sleep(50);
        }
    }

    static List<String> entries(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test void headFlushOnAFullDiskKeepsEverythingAndCompletesOnceSpaceReturns() throws Exception {
        try (Tmpfs fs = Tmpfs.mount(tmp.resolve("mnt"), "24m", "RealDiskFullTest")) {
            Path dir = fs.dir.resolve("data");
            Tsdb db = open(dir, 8192);
            ingest(db, 200, W, W + 2 * H - 10_000);   // 143,800 samples, the head spans just under the block duration
            assertEquals(0, db.blockCount());
            fs.fillLeaving(96 * 1024);        // room for a commit, the WAL cut and the checkpoint, not for the block
            ingest(db, 200, W + 2 * H - 10_000, W + 2 * H + 10_000);   // the head spans the block duration: the commit asks for a flush
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (db.flushFailures() == 0) {   // the maintenance thread's flush fails
                assertTrue(System.nanoTime() < deadline, "no failed flush attempt; blocks: " + db.blockCount());
                Thread.sleep(20);
            }
            assertEquals(0, db.blockCount());
            assertFalse(entries(dir.resolve("blocks")).stream().anyMatch(e -> e.endsWith(".tmp")), "no half-written block");
            verify(db, 200, W, W + 2 * H + 10_000);    // queries answer everything, the frozen samples included
            Files.delete(fs.dir.resolve("filler"));
            await("the flush to complete", () -> db.blockCount() == 1 && db.flushFailures() == 0, db);
            verify(db, 200, W, W + 2 * H + 10_000);
            db.close();
            try (Tsdb again = open(dir, 8192)) {
                verify(again, 200, W, W + 2 * H + 10_000);
                assertEquals(0, again.walReplaySamples(), "everything is in the block");
            }
        }
    }

    @Test void compactionOnAFullDiskKeepsItsSourcesAndCompletesOnceSpaceReturns() throws Exception {
        try (Tmpfs fs = Tmpfs.mount(tmp.resolve("mnt"), "24m", "RealDiskFullTest")) {
            Path dir = fs.dir.resolve("data");
            Tsdb db = open(dir, 8192);
            for (int i = 0; i < 4; i++) {
                // each block spans just under the block duration; the fourth completes the first 6 h window
                ingest(db, 100, W + i * 2 * H, W + i * 2 * H + (i < 3 ? 2 * H : H / 2));
                db.flush();
            }
            assertEquals(4, db.blockCount());
            List<String> sources = entries(dir.resolve("blocks"));
            fs.fill("filler");
            db.maintain();   // (the scheduled maintenance runs first after 30 s)
            assertEquals(1, db.compactionFailures(), "the compaction failed");
            assertEquals(4, db.blockCount());
            assertEquals(sources, entries(dir.resolve("blocks")), "the sources are untouched, nothing half-written is left");
            verifyCompactionData(db);
            Files.delete(fs.dir.resolve("filler"));
            await("the compaction to complete", () -> db.blockCount() == 2 && db.compactionFailures() == 0, db);
            verifyCompactionData(db);
            db.close();
            try (Tsdb again = open(dir, 8192)) {
                assertEquals(2, again.blockCount());
                verifyCompactionData(again);
            }
        }
    }

    /**
     * The registry's first tier is full and the disk too: the next new series needs a new tier, whose creation fails
     * with an IOException; the series is refused (STORAGE_ERROR, the commit fails), the JVM goes on, existing series
     * keep ingesting after space returns, and the new series is accepted then.
     */
    @Test void fullDiskWhileARegistryTierIsCreatedRefusesTheNewSeriesCleanly() throws Exception {
        try (Tmpfs fs = Tmpfs.mount(tmp.resolve("mnt"), "16m", "RealDiskFullTest")) {
            Path dir = fs.dir.resolve("data");
            Tsdb db = open(dir, 1024);
            Appender a = db.appender();
            for (int s = 0; s < 1024; s++) assertEquals(AppendStatus.OK, a.append(series(s), NOW - 1000, value(s, NOW - 1000)));
            a.commit();
            assertEquals(1, tierFiles(dir));
            fs.fill("filler");
            AppendStatus st = a.append(series(5000), NOW - 1000, 1);
            assertEquals(AppendStatus.STORAGE_ERROR, st, "the new series is refused");
            assertTrue(a.lastError().contains("cannot create series registry tier 1") && a.lastError().contains("no space left"), a.lastError());
            IOException e = assertThrows(IOException.class, a::commit);
            assertTrue(e.getMessage().contains("cannot register new series"), e.getMessage());
            assertEquals(1, tierFiles(dir), "no tier file left behind");
            assertFalse(entries(dir.resolve("registry")).stream().anyMatch(n -> n.endsWith(".tmp")), entries(dir.resolve("registry")).toString());
            Files.delete(fs.dir.resolve("filler"));
            assertEquals(AppendStatus.OK, a.append(series(5000), NOW - 1000, 1));
            for (int s = 0; s < 1024; s++) assertEquals(AppendStatus.OK, a.append(series(s), NOW - 500, value(s, NOW - 500)));
            a.commit();
            assertEquals(2, tierFiles(dir));
            assertEquals(1025, db.activeSeries());
            db.crashForTesting();
            try (Tsdb again = open(dir, 1024)) {
                Map<Labels, List<S>> all = TsdbTestSupport.read(again, Long.MIN_VALUE, Long.MAX_VALUE, Matcher.eq("__name__", "disk_full_test"));
                assertEquals(1025, all.size());
                assertEquals(List.of(new S(NOW - 1000, 1)), all.get(series(5000)));
                assertEquals(2, all.get(series(7)).size());
            }
        }
    }

    static void verifyCompactionData(Tsdb db) {
        Map<Labels, List<S>> all = TsdbTestSupport.read(db, Long.MIN_VALUE, Long.MAX_VALUE, Matcher.eq("__name__", "disk_full_test"));
        assertEquals(100, all.size());
        long expected = (6 * H + H / 2) / 10_000;
        for (int s = 0; s < 100; s++) {
            List<S> got = all.get(series(s));
            assertEquals(expected, got.size(), "samples of series " + s);
            for (S x : got) assertEquals(value(s, x.t()), x.v());
        }
    }

    static long tierFiles(Path dir) throws IOException {
        return entries(dir.resolve("registry")).stream().filter(n -> n.matches("series-\\d{2}\\.registry")).count();
    }
}
