package io.tsdb.core.db;

import io.tsdb.core.Appender;
import io.tsdb.core.AppendStatus;
import io.tsdb.core.Labels;
import io.tsdb.core.Matcher;
import io.tsdb.core.block.BlockMeta;
import io.tsdb.core.block.BlockStore;
import io.tsdb.core.fs.FaultInjectingFileLayer;
import io.tsdb.core.wal.FsyncPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;

import static io.tsdb.core.db.TsdbTestSupport.S;
import static org.junit.jupiter.api.Assertions.*;

/** Background maintenance compacts flushed blocks into larger ones without losing a sample. */
class TsdbCompactionTest {
    static final long H = Duration.ofHours(1).toMillis();
    static final long T0 = 1_700_006_400_000L - 1_700_006_400_000L % (18 * H); // aligned to the 18h level
    @TempDir Path dir;
    final AtomicLong clock = new AtomicLong(T0);

    Tsdb open() throws Exception {
        return Tsdb.open(TsdbOptions.builder(dir).walFsync(FsyncPolicy.NEVER).blockDuration(Duration.ofHours(2))
                .retention(Duration.ofDays(30)).build(), clock::get);
    }

    @Test void flushedBlocksAreCompactedAndKeepEverySample() throws Exception {
        Labels a = Labels.of("__name__", "m", "k", "a"), b = Labels.of("__name__", "m", "k", "b");
        Map<Labels, List<S>> before;
        try (Tsdb db = open()) {
            Appender app = db.appender();
            for (int w = 0; w < 4; w++) {         // four 2h windows, one flush each
                for (int i = 0; i < 120; i++) {
                    long t = T0 + w * 2 * H + i * 60_000L;
                    clock.set(t);
                    assertEquals(AppendStatus.OK, app.append(a, t, w * 1000 + i));
                    if (i % 3 == 0) assertEquals(AppendStatus.OK, app.append(b, t, -i));
                }
                app.commit();
                db.flush();
            }
            assertEquals(4, db.blockCount());
            before = TsdbTestSupport.read(db, Long.MIN_VALUE, Long.MAX_VALUE, Matcher.eq("__name__", "m"));
            assertEquals(480, before.get(a).size());
            db.maintain();
            // windows [0,6h) complete (a block reaches past it): the first three blocks merge into one
            assertEquals(2, db.blockCount());
            assertEquals(before, TsdbTestSupport.read(db, Long.MIN_VALUE, Long.MAX_VALUE, Matcher.eq("__name__", "m")));
        }
        try (var s = Files.list(dir.resolve("blocks"))) {
            assertEquals(2, s.count(), "sources deleted");
        }
        try (Tsdb db = open()) {
            assertEquals(2, db.blockCount());
            assertEquals(before, TsdbTestSupport.read(db, Long.MIN_VALUE, Long.MAX_VALUE, Matcher.eq("__name__", "m")));
        }
    }

    /**
     * A compaction that takes long does not hold up a cut of the head: the head's maintenance has its own thread
     * and lock. Here the compaction is held at the rename of its new block while a commit makes the head span the
     * block duration; the head is flushed meanwhile, and everything reads back once the compaction completes.
     */
    @Test void aLongCompactionDoesNotDelayACutOfTheHead() throws Exception {
        Labels a = Labels.of("__name__", "m", "k", "a");
        FaultInjectingFileLayer fs = new FaultInjectingFileLayer();
        try (Tsdb db = Tsdb.open(TsdbOptions.builder(dir).walFsync(FsyncPolicy.NEVER).blockDuration(Duration.ofHours(2))
                .retention(Duration.ofDays(30)).fileLayer(fs).build(), clock::get)) {
            Appender app = db.appender();
            for (int w = 0; w < 4; w++) {         // four 2h windows, one flush each: the first three are due to merge
                for (int i = 0; i < 120; i++) {
                    long t = T0 + w * 2 * H + i * 60_000L;
                    clock.set(t);
                    assertEquals(AppendStatus.OK, app.append(a, t, w * 1000 + i));
                }
                app.commit();
                db.flush();
            }
            CountDownLatch reached = new CountDownLatch(1), release = new CountDownLatch(1);
            AtomicReference<Throwable> failed = new AtomicReference<>();
            Thread compaction = new Thread(() -> {
                try {
                    db.maintain();
                } catch (Throwable e) {
                    failed.set(e);
                }
            }, "compaction-under-test");
            fs.pause(FaultInjectingFileLayer.Op.RENAME, Pattern.quote(dir.resolve("blocks").toAbsolutePath().normalize().toString()),
                    compaction, reached, release);
            compaction.start();
            boolean r = reached.await(60, TimeUnit.SECONDS);
            assertTrue(r, "the compaction reached the rename of its block");
            long flushes = db.flushes();
            // a fifth window in one commit: the head spans the block duration, the commit asks for a cut
            clock.set(T0 + 10 * H);
            for (int i = 0; i <= 120; i++) assertEquals(AppendStatus.OK, app.append(a, T0 + 8 * H + i * 60_000L, 4000 + i));
            app.commit();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (db.flushes() == flushes && System.nanoTime() < deadline) Thread.sleep(10);
            assertEquals(flushes + 1, db.flushes(), "the head was cut while the compaction ran");
            assertTrue(compaction.isAlive(), "the compaction was still held");
            release.countDown();
            compaction.join(60_000);
            assertNull(failed.get());
            List<S> got = TsdbTestSupport.read(db, Long.MIN_VALUE, Long.MAX_VALUE, Matcher.eq("__name__", "m")).get(a);
            assertEquals(4 * 120 + 121, got.size());
            assertEquals(3, db.blockCount(), "the three merged, the fourth and the cut's");
        }
    }

    /** The admin flush (flushAndMaintain) compacts before it returns: the disk is settled when it answers. */
    @Test void flushAndMaintainCompactsTheNewBlockBeforeReturning() throws Exception {
        Labels a = Labels.of("__name__", "m", "k", "a");
        try (Tsdb db = open()) {
            Appender app = db.appender();
            for (int w = 0; w < 4; w++) {         // four 2h windows; the last flush completes the first 6h window
                for (int i = 0; i < 120; i++) {
                    long t = T0 + w * 2 * H + i * 60_000L;
                    clock.set(t);
                    assertEquals(AppendStatus.OK, app.append(a, t, w * 1000 + i));
                }
                app.commit();
                if (w < 3) db.flush();
            }
            assertEquals(3, db.blockCount(), "a plain flush leaves compaction to maintenance");
            Map<Labels, List<S>> before = TsdbTestSupport.read(db, Long.MIN_VALUE, Long.MAX_VALUE, Matcher.eq("__name__", "m"));
            db.flushAndMaintain();
            assertEquals(2, db.blockCount(), "the first three blocks were merged before it returned");
            assertEquals(before, TsdbTestSupport.read(db, Long.MIN_VALUE, Long.MAX_VALUE, Matcher.eq("__name__", "m")));
            assertEquals(480, before.get(a).size());
        }
    }

    @Test void compactionLevelsStayBelowATenthOfRetention() throws Exception {
        try (Tsdb db = open()) { // 30d retention: 2h, 6h, 18h, 54h all <= 72h
            assertArrayEquals(new long[]{2 * H, 6 * H, 18 * H, 54 * H}, db.compactor().ranges());
        }
        try (Tsdb db = Tsdb.open(TsdbOptions.builder(dir).walFsync(FsyncPolicy.NEVER).retention(Duration.ofDays(2)).build(), clock::get)) {
            assertArrayEquals(new long[]{2 * H}, db.compactor().ranges()); // 4.8h cap: overlapping blocks only
        }
    }

    @Test void interruptedCompactionIsCleanedUpOnOpen() throws Exception {
        Labels a = Labels.of("__name__", "m");
        Map<Labels, List<S>> before;
        try (Tsdb db = open()) {
            Appender app = db.appender();
            for (int w = 0; w < 3; w++) {
                long t = T0 + w * 2 * H;
                clock.set(t);
                app.append(a, t, w);
                app.commit();
                db.flush();
            }
            before = TsdbTestSupport.read(db, Long.MIN_VALUE, Long.MAX_VALUE, Matcher.eq("__name__", "m"));
        }
        // a compaction that made its block durable and then crashed before deleting the sources
        try (BlockStore set = BlockStore.open(dir.resolve("blocks"))) {
            BlockMeta merged = new io.tsdb.core.block.Compactor(2 * H, 6 * H).compact(set.dir(), set.blocks());
            assertEquals(2, merged.level());
        }
        try (var s = Files.list(dir.resolve("blocks"))) { assertEquals(4, s.count()); }
        try (Tsdb db = open()) {
            assertEquals(1, db.blockCount());
            assertEquals(before, TsdbTestSupport.read(db, Long.MIN_VALUE, Long.MAX_VALUE, Matcher.eq("__name__", "m")));
        }
        try (var s = Files.list(dir.resolve("blocks"))) { assertEquals(1, s.count()); }
    }

    @Test void aCorruptBlockStopsTheOpenNamingTheFileAndReleasesTheLock() throws Exception {
        Labels a = Labels.of("__name__", "m");
        String ulid;
        try (Tsdb db = open()) {
            Appender app = db.appender();
            app.append(a, T0, 1);
            app.commit();
            db.flush();
            try (BlockStore set = BlockStore.open(dir.resolve("blocks"))) { ulid = set.blocks().get(0).meta().ulid(); }
        }
        Path meta = dir.resolve("blocks").resolve(ulid).resolve(BlockMeta.FILE);
        String json = Files.readString(meta);
        Files.writeString(meta, "{");
        io.tsdb.core.block.CorruptBlockException e = assertThrows(io.tsdb.core.block.CorruptBlockException.class, this::open);
        assertEquals(meta, e.file());
        Files.writeString(meta, json);
        try (Tsdb db = open()) {   // the failed open released the directory lock and everything it had opened
            assertEquals(1, db.blockCount());
            assertEquals(List.of(new TsdbTestSupport.S(T0, 1)), TsdbTestSupport.samples(db, a));
        }
    }
}
