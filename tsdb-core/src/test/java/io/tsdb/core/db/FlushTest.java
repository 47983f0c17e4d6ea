package io.tsdb.core.db;

import io.tsdb.core.AppendStatus;
import io.tsdb.core.Appender;
import io.tsdb.core.Labels;
import io.tsdb.core.Matcher;
import io.tsdb.core.Querier;
import io.tsdb.core.SampleCursor;
import io.tsdb.core.SeriesSet;
import io.tsdb.core.wal.FsyncPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static io.tsdb.core.db.TsdbTestSupport.S;
import static io.tsdb.core.db.TsdbTestSupport.samples;
import static org.junit.jupiter.api.Assertions.*;

class FlushTest {
    static final long NOW = 1_700_000_000_000L;
    @TempDir Path dir;
    final AtomicLong clock = new AtomicLong(NOW);

    Tsdb open() throws Exception {
        return Tsdb.open(TsdbOptions.builder(dir).walFsync(FsyncPolicy.NEVER).retention(Duration.ofDays(1)).build(), clock::get);
    }

    static List<S> expected(long from, int n, int step, double base) {
        List<S> l = new ArrayList<>();
        for (int i = 0; i < n; i++) l.add(new S(from + (long) i * step, base + i));
        return l;
    }

    @Test void flushMovesHeadToBlockAndQueriesMergeHeadAndBlocks() throws Exception {
        Labels x = Labels.of("__name__", "m", "k", "x");
        Labels y = Labels.of("__name__", "m", "k", "y");
        List<S> want = new ArrayList<>();
        try (Tsdb db = open()) {
            Appender a = db.appender();
            for (int i = 0; i < 500; i++) a.append(x, NOW - 1_000_000 + i * 1000L, i);
            a.append(y, NOW - 5000, 1);
            a.commit();
            want.addAll(expected(NOW - 1_000_000, 500, 1000, 0));
            Querier before = db.querier(Long.MIN_VALUE, Long.MAX_VALUE);   // opened before the flush
            db.flush();
            assertEquals(1, db.blockCount());
            assertEquals(0, db.headSamples());
            assertEquals(1, db.stats().blocks());
            assertEquals(501, db.stats().blockSamples());
            // the old querier still sees everything (frozen head samples)
            assertEquals(500, count(before, x));
            before.close();
            // new samples after the block, and an out-of-order one inside the block's time range
            for (int i = 500; i < 600; i++) assertEquals(AppendStatus.OK, a.append(x, NOW - 1_000_000 + i * 1000L, i));
            assertEquals(AppendStatus.OK, a.append(x, NOW - 1_000_000 + 1500, -1));
            // duplicate of the newest (flushed) sample is still recognised after the flush
            assertEquals(AppendStatus.DUPLICATE_SAME_VALUE, a.append(y, NOW - 5000, 1));
            a.commit();
            want.addAll(expected(NOW - 1_000_000 + 500_000, 100, 1000, 500));
            want.add(2, new S(NOW - 1_000_000 + 1500, -1));
            assertEquals(want, samples(db, x));
            try (Querier q = db.querier(NOW - 1_000_000 + 499_000, NOW - 1_000_000 + 500_000)) {
                SeriesSet ss = q.select(List.of(Matcher.eq("k", "x")));
                assertTrue(ss.next());
                SampleCursor c = ss.cursor();
                assertTrue(c.next());
                assertEquals(499, c.value());
                assertTrue(c.next());
                assertEquals(500, c.value());
                assertFalse(c.next());
                assertFalse(ss.next());
            }
            try (Querier q = db.querier(Long.MIN_VALUE, Long.MAX_VALUE)) {
                assertEquals(2, q.seriesCount(List.of(Matcher.eq("__name__", "m"))));
                assertEquals(List.of("x", "y"), q.labelValues("k", List.of()));
            }
        }
        // clean close flushed everything: restart replays no samples
        try (Tsdb db = open()) {
            assertEquals(0, db.walReplaySamples());
            assertEquals(2, db.blockCount());
            assertEquals(want, samples(db, x));
            assertEquals(List.of(new S(NOW - 5000, 1)), samples(db, y));
            // y had no samples since the first flush: the closing flush took it out of the head; the registry keeps it
            assertEquals(1, db.activeSeries());
            assertEquals(2, db.registrySeries());
        }
    }

    @Test void crashAfterFlushReplaysOnlyNewSamplesAndSeriesCheckpoint() throws Exception {
        Labels x = Labels.of("__name__", "m");
        Tsdb db = open();
        Appender a = db.appender();
        for (int i = 0; i < 100; i++) a.append(x, NOW - 100_000 + i * 100L, i);
        a.commit();
        db.flush();
        for (int i = 100; i < 150; i++) a.append(x, NOW - 100_000 + i * 100L, i);
        a.commit();
        db.crashForTesting();
        // lose the registry too: the series checkpoint in the WAL must carry the ids
        try (var files = java.nio.file.Files.list(dir.resolve("registry"))) {
            for (Path p : files.toList()) java.nio.file.Files.delete(p);
        }
        try (Tsdb db2 = open()) {
            assertEquals(50, db2.walReplaySamples());
            assertEquals(expected(NOW - 100_000, 150, 100, 0), samples(db2, x));
        }
    }

    private long segmentFiles() throws java.io.IOException {
        try (var files = java.nio.file.Files.list(dir.resolve(io.tsdb.core.head.HeadChunkFormat.DIR))) {
            return files.filter(p -> io.tsdb.core.head.HeadChunkFormat.isSegmentName(p.getFileName().toString())).count();
        }
    }

    /**
     * Closed head chunks live in chunks_head/ segment files: read back through flushes (frozen for an older querier),
     * freed (segments deleted) once flushed, gone after a clean stop; after a crash the leftovers are deleted at open
     * and the WAL replay restores every sample.
     */
    @Test void closedHeadChunksLiveInSegmentFilesThatNeverOutliveTheirUse() throws Exception {
        Labels[] ls = new Labels[50];
        for (int k = 0; k < ls.length; k++) ls[k] = Labels.of("__name__", "m", "k", "s" + k);
        int n = 2000;
        Tsdb db = open();
        Appender a = db.appender();
        for (int i = 0; i < n; i++) {
            for (Labels l : ls) a.append(l, NOW - 3_000_000 + i * 1000L, i);
            if (i % 100 == 99) a.commit();
        }
        a.commit();
        assertTrue(db.headChunkFileBytes() > 0, "cut chunks were written to the segment files");
        assertEquals(1, segmentFiles());
        assertEquals(0, db.headChunkFileWriteFailures());
        for (Labels l : ls) assertEquals(expected(NOW - 3_000_000, n, 1000, 0), samples(db, l));
        Querier before = db.querier(Long.MIN_VALUE, Long.MAX_VALUE);
        db.flush();
        assertTrue(db.headChunkFileBytes() > 0, "frozen for the querier opened before the flush");
        assertEquals(n, count(before, ls[7]));
        before.close();
        db.maintain();
        assertEquals(0, db.headChunkFileBytes());
        assertEquals(0, segmentFiles(), "flushed and freed: no segment is left holding disk blocks");
        for (int i = n; i < n + 1000; i++) {
            for (Labels l : ls) a.append(l, NOW - 3_000_000 + i * 1000L, i);
        }
        a.commit();
        assertTrue(db.headChunkFileBytes() > 0);
        db.crashForTesting();
        assertEquals(1, segmentFiles(), "a crash leaves the files behind");
        try (Tsdb db2 = open()) {
            assertEquals(50_000, db2.walReplaySamples());
            for (Labels l : ls) assertEquals(expected(NOW - 3_000_000, n + 1000, 1000, 0), samples(db2, l));
            assertTrue(db2.headChunkFileBytes() > 0, "the replay cut its chunks into fresh segments");
        }
        assertEquals(0, segmentFiles(), "a clean stop deletes them");
    }

    private java.util.List<String> segmentNames() throws java.io.IOException {
        try (var files = java.nio.file.Files.list(dir.resolve(io.tsdb.core.head.HeadChunkFormat.DIR))) {
            return files.map(p -> p.getFileName().toString()).filter(io.tsdb.core.head.HeadChunkFormat::isSegmentName).sorted().toList();
        }
    }

    /**
     * A flush while ingestion goes on: the segment holding the flushed chunks is deleted once they are freed, though
     * the head keeps writing chunks (to a new segment); after a crash (no clean close) every acknowledged sample is
     * read back from the block and the WAL.
     */
    @Test void flushedChunksGiveBackTheirSegmentWhileIngestionGoesOn() throws Exception {
        Labels[] ls = new Labels[50];
        for (int k = 0; k < ls.length; k++) ls[k] = Labels.of("__name__", "m", "k", "s" + k);
        int n = 2000, more = 1000;
        Tsdb db = open();
        Appender a = db.appender();
        for (int i = 0; i < n; i++) {
            for (Labels l : ls) a.append(l, NOW - 4_000_000 + i * 1000L, i);
            if (i % 100 == 99) a.commit();
        }
        a.commit();
        assertEquals(java.util.List.of(io.tsdb.core.head.HeadChunkFormat.segmentName(1)), segmentNames());
        db.flush();
        for (int i = n; i < n + more; i++) {
            for (Labels l : ls) a.append(l, NOW - 4_000_000 + i * 1000L, i);
            if (i % 100 == 99) a.commit();
        }
        a.commit();
        assertTrue(db.headChunkFileBytes() > 0, "the new head's chunks are in a segment file");
        assertEquals(java.util.List.of(io.tsdb.core.head.HeadChunkFormat.segmentName(2)), segmentNames(),
                "the flushed chunks' segment was deleted; new chunks went to a new one");
        db.crashForTesting();
        try (Tsdb db2 = open()) {
            for (Labels l : ls) assertEquals(expected(NOW - 4_000_000, n + more, 1000, 0), samples(db2, l));
        }
        assertEquals(0, segmentFiles());
    }

    /** A series quiet for longer than IDLE_CHUNK_MS gives back its open chunk at maintenance; its samples stay, it can resume. */
    @Test void quietSeriesCloseTheirOpenChunk() throws Exception {
        Labels quiet = Labels.of("__name__", "m", "k", "quiet"), busy = Labels.of("__name__", "m", "k", "busy");
        try (Tsdb db = open()) {
            Appender a = db.appender();
            long t0 = NOW - 3_000_000;
            for (int i = 0; i < 10; i++) a.append(quiet, t0 + i * 1000L, i);
            a.commit();
            long withTwoOpen;
            a.append(busy, t0, 0);
            a.commit();
            withTwoOpen = db.headOffHeapUsedBytes();
            db.maintain();
            assertEquals(withTwoOpen, db.headOffHeapUsedBytes(), "nothing is quiet yet");
            a.append(busy, t0 + Tsdb.IDLE_CHUNK_MS + 10_000, 1);
            a.commit();
            db.maintain();
            assertTrue(db.headOffHeapUsedBytes() < withTwoOpen, "the quiet series' open chunk was freed");
            assertEquals(expected(t0, 10, 1000, 0), samples(db, quiet), "its samples stay");
            assertEquals(AppendStatus.OK, a.append(quiet, t0 + Tsdb.IDLE_CHUNK_MS + 20_000, 10));
            a.commit();
            List<S> want = new ArrayList<>(expected(t0, 10, 1000, 0));
            want.add(new S(t0 + Tsdb.IDLE_CHUNK_MS + 20_000, 10));
            assertEquals(want, samples(db, quiet), "and it resumes in a new chunk");
        }
    }

    @Test void retentionDeletesOldBlocks() throws Exception {
        Labels x = Labels.of("__name__", "m");
        try (Tsdb db = open()) {
            Appender a = db.appender();
            a.append(x, NOW - 1000, 1);
            a.commit();
            db.flush();
            a.append(x, NOW, 2);
            a.commit();
            db.flush();
            assertEquals(2, db.blockCount());
            clock.set(NOW - 500 + Duration.ofDays(1).toMillis());
            Querier q = db.querier(Long.MIN_VALUE, Long.MAX_VALUE);  // holds the old block while retention runs
            db.maintain();
            assertEquals(1, db.blockCount());
            assertEquals(2, samplesIn(q, x), "a querier opened before retention keeps reading the deleted block");
            q.close();
            assertEquals(List.of(new S(NOW, 2)), samples(db, x));
        }
        try (var s = java.nio.file.Files.list(dir.resolve("blocks"))) {
            assertEquals(1, s.count());
        }
    }

    @Test void maintenanceFlushesWhenHeadSpansBlockDuration() throws Exception {
        Labels x = Labels.of("__name__", "m");
        try (Tsdb db = Tsdb.open(TsdbOptions.builder(dir).walFsync(FsyncPolicy.NEVER).blockDuration(Duration.ofHours(2)).build(), clock::get)) {
            Appender a = db.appender();
            a.append(x, NOW - Duration.ofHours(1).toMillis(), 1);
            a.commit();
            db.maintain();
            assertEquals(0, db.blockCount());
            clock.set(NOW + Duration.ofHours(1).toMillis());
            assertEquals(AppendStatus.OK, a.append(x, NOW + Duration.ofHours(1).toMillis(), 2));
            a.commit();
            db.maintain();
            assertEquals(1, db.blockCount());
            assertEquals(2, samples(db, x).size());
        }
    }

    /** Appends, flushes and queries concurrently: readers always see a gap-free prefix of what was committed. */
    @Test void flushesDuringIngestAndQueriesLoseNothing() throws Exception {
        Labels x = Labels.of("__name__", "m", "k", "x");
        int total = 20_000;
        try (Tsdb db = open()) {
            java.util.concurrent.atomic.AtomicInteger committed = new java.util.concurrent.atomic.AtomicInteger();
            java.util.concurrent.atomic.AtomicReference<Throwable> err = new java.util.concurrent.atomic.AtomicReference<>();
            java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
            // the writer waits half-way for a flush, so at least one happens during ingest however the threads
            // are scheduled (on a loaded machine the writer could finish before the first flush began)
            java.util.concurrent.CountDownLatch firstFlush = new java.util.concurrent.CountDownLatch(1);
            Thread writer = new Thread(() -> {
                try {
                    Appender a = db.appender();
                    for (int i = 0; i < total; i++) {
                        if (i == total / 2 && !firstFlush.await(2, java.util.concurrent.TimeUnit.MINUTES)) throw new AssertionError("no flush");
                        assertEquals(AppendStatus.OK, a.append(x, NOW - total + i, i));
                        if (i % 10 == 9) { a.commit(); committed.set(i + 1); }
                    }
                } catch (Throwable e) { err.compareAndSet(null, e); } finally { done.set(true); }
            });
            Thread reader = new Thread(() -> {
                try {
                    while (!done.get()) {
                        int floor = committed.get();
                        try (Querier q = db.querier(Long.MIN_VALUE, Long.MAX_VALUE)) {
                            SeriesSet ss = q.select(List.of(Matcher.eq("k", "x")));
                            int n = 0;
                            if (ss.next()) {
                                SampleCursor c = ss.cursor();
                                while (c.next()) {
                                    if (c.timestamp() != NOW - total + n || c.value() != n) throw new AssertionError("gap or duplicate at " + n + ": " + c.timestamp());
                                    n++;
                                }
                            }
                            if (n < floor) throw new AssertionError("saw " + n + " samples, " + floor + " were committed before the query");
                        }
                    }
                } catch (Throwable e) { err.compareAndSet(null, e); }
            });
            writer.start();
            reader.start();
            int flushes = 0;
            while (!done.get()) {
                db.flush();
                flushes++;
                firstFlush.countDown();
                Thread.sleep(20);
            }
            writer.join();
            reader.join();
            if (err.get() != null) throw new AssertionError(err.get());
            assertTrue(flushes >= 1);
            assertEquals(expected(NOW - total, total, 1, 0), samples(db, x));
        }
        try (Tsdb db = open()) {
            assertEquals(expected(NOW - total, total, 1, 0), samples(db, x));
        }
    }

    static int count(Querier q, Labels l) {
        return samplesIn(q, l);
    }

    static int samplesIn(Querier q, Labels l) {
        SeriesSet ss = q.select(List.of(Matcher.eq("__name__", l.metricName())));
        int n = 0;
        while (ss.next()) {
            if (!ss.labels().equals(l)) continue;
            for (SampleCursor c = ss.cursor(); c.next(); ) n++;
        }
        return n;
    }
}
