package io.tsdb.core.db;

import io.tsdb.core.AppendStatus;
import io.tsdb.core.Appender;
import io.tsdb.core.Labels;
import io.tsdb.core.Matcher;
import io.tsdb.core.Querier;
import io.tsdb.core.SampleCursor;
import io.tsdb.core.SeriesSet;
import io.tsdb.core.StaleNaN;
import io.tsdb.core.registry.Limits;
import io.tsdb.core.wal.FsyncPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import static io.tsdb.core.db.TsdbTestSupport.S;
import static io.tsdb.core.db.TsdbTestSupport.read;
import static io.tsdb.core.db.TsdbTestSupport.samples;
import static org.junit.jupiter.api.Assertions.*;

class TsdbTest {
    static final long NOW = 1_700_000_000_000L;
    @TempDir Path dir;

    Tsdb open() throws Exception { return open(TsdbOptions.builder(dir).walFsync(FsyncPolicy.NEVER).build()); }

    Tsdb open(TsdbOptions o) throws Exception { return Tsdb.open(o, () -> NOW); }

    /**
     * A commit inserts the staged samples of one series as a run (at most 256 under one lock of it) and decides
     * each sample again: a run in time order staged by one writer while another writer committed samples of the
     * same series in between keeps what the rules allow (here out of order, inside the window) and counts what
     * they refuse (a timestamp taken with another value), and a run longer than one lock's share is whole.
     */
    @Test void commitInsertsRunsOfOneSeriesAndDecidesEachSampleAgain() throws Exception {
        Labels x = Labels.of("__name__", "x"), y = Labels.of("__name__", "y");
        long t0 = NOW - 3_600_000;
        try (Tsdb db = open()) {
            Appender a = db.appender(), b = db.appender();
            for (int i = 0; i < 600; i++) {                       // runs of x longer than one lock's share, y between
                assertEquals(AppendStatus.OK, a.append(x, t0 + i * 1000L, i));
                if (i % 200 == 199) assertEquals(AppendStatus.OK, a.append(y, t0 + i * 1000L, -i));
            }
            for (int i = 600; i < 610; i++) assertEquals(AppendStatus.OK, a.append(x, t0 + i * 1000L, i));   // checked in order...
            assertEquals(AppendStatus.OK, b.append(x, t0 + 605_000, -1));   // ...while another writer takes one of them
            assertEquals(AppendStatus.OK, b.append(x, t0 + 700_000, 700));  // and one newer than all
            b.commit();
            long rejectedBefore = db.counters().samplesRejected(AppendStatus.DUPLICATE_DIFFERENT_VALUE);
            long oooBefore = db.counters().samplesOutOfOrder();
            a.commit();
            List<S> got = samples(db, x);
            assertEquals(611, got.size());
            for (int i = 0; i < 610; i++) assertEquals(new S(t0 + i * 1000L, i == 5 + 600 ? -1 : i), got.get(i), "sample " + i);
            assertEquals(new S(t0 + 700_000, 700), got.get(610));
            assertEquals(3, samples(db, y).size());
            assertEquals(1, db.counters().samplesRejected(AppendStatus.DUPLICATE_DIFFERENT_VALUE) - rejectedBefore,
                    "the sample whose timestamp the other writer took");
            assertEquals(609, db.counters().samplesOutOfOrder() - oooBefore, "the other writer's newer sample went first: the rest went in out of order");
            db.crashForTesting();
        }
        try (Tsdb db = open()) {   // the WAL replays the same decisions
            List<S> got = samples(db, x);
            assertEquals(611, got.size());
            assertEquals(new S(t0 + 605_000, -1), got.get(605));
        }
    }

    /**
     * The blocks open on a thread of their own while the registry opens: a restart reads both, and when the registry
     * cannot be opened the start fails with its reason and leaves nothing open (the directory opens again once the
     * registry is back, with the blocks' samples).
     */
    @Test void blocksOpenBesideTheRegistryAndAFailedRegistryLeavesNothingOpen() throws Exception {
        Labels x = Labels.of("__name__", "x");
        long t0 = NOW - 6 * 3_600_000L;
        try (Tsdb db = open()) {
            Appender a = db.appender();
            for (int i = 0; i < 100; i++) a.append(x, t0 + i * 60_000L, i);
            a.commit();
            db.flush();
            assertTrue(db.blockCount() > 0, "a block to open");
        }
        try (Tsdb db = open()) {
            assertTrue(db.blockCount() > 0);
            assertEquals(100, samples(db, x).size());
            assertEquals(new S(t0 + 99 * 60_000L, 99), samples(db, x).get(99));
        }
        Path tier0 = dir.resolve("registry").resolve(io.tsdb.core.registry.RegistryFormat.tierFileName(0));
        Path tier1 = dir.resolve("registry").resolve(io.tsdb.core.registry.RegistryFormat.tierFileName(1));
        java.nio.file.Files.move(tier0, tier1);   // tier 0 missing: a damaged registry
        java.io.IOException e = assertThrows(java.io.IOException.class, this::open);
        assertTrue(e.getMessage().contains("lacks tier file"), e.getMessage());
        java.nio.file.Files.move(tier1, tier0);
        try (Tsdb db = open()) {   // the failed open released the directory lock and closed the blocks it opened
            assertEquals(100, samples(db, x).size());
        }
    }

    @Test void appendAndQuerySortedWithRange() throws Exception {
        try (Tsdb db = open()) {
            Appender a = db.appender();
            Labels x = Labels.of("__name__", "up", "job", "b");
            Labels y = Labels.of("__name__", "up", "job", "a");
            Labels z = Labels.of("__name__", "other", "job", "a");
            for (int i = 0; i < 100; i++) {
                assertEquals(AppendStatus.OK, a.append(x, NOW - 100_000 + i * 1000L, i));
                assertEquals(AppendStatus.OK, a.append(y, NOW - 100_000 + i * 1000L, -i));
                assertEquals(AppendStatus.OK, a.append(z, NOW - 100_000 + i * 1000L, i * 0.5));
            }
            assertEquals(300, a.pending());
            // not visible before commit
            assertTrue(read(db, Long.MIN_VALUE, Long.MAX_VALUE, Matcher.eq("__name__", "up")).isEmpty());
            a.commit();
            assertEquals(0, a.pending());
            Map<Labels, List<S>> r = read(db, NOW - 100_000 + 10_000, NOW - 100_000 + 19_000, Matcher.eq("__name__", "up"));
            assertEquals(List.of(y, x), new ArrayList<>(r.keySet()));
            assertEquals(10, r.get(x).size());
            assertEquals(new S(NOW - 90_000, 10), r.get(x).get(0));
            assertEquals(new S(NOW - 81_000, -19), r.get(y).get(9));
            try (Querier q = db.querier(Long.MIN_VALUE, Long.MAX_VALUE)) {
                assertEquals(2, q.seriesCount(List.of(Matcher.eq("job", "a"))));
                assertEquals(List.of("__name__", "job"), q.labelNames(List.of()));
                assertEquals(List.of("other", "up"), q.labelValues("__name__", List.of()));
                assertEquals(List.of("a"), q.labelValues("job", List.of(Matcher.eq("__name__", "other"))));
                assertEquals(200, q.sampleEstimate(List.of(Matcher.eq("__name__", "up"))));
                SeriesSet ss = q.select(List.of(Matcher.eq("__name__", "up"), Matcher.eq("job", "b")));
                assertTrue(ss.next());
                SampleCursor c = ss.cursor();
                assertTrue(c.seek(NOW - 50_500));
                assertEquals(NOW - 50_000, c.timestamp());
                assertEquals(50, c.value());
                assertTrue(c.seek(NOW - 50_000));   // stays
                assertEquals(NOW - 50_000, c.timestamp());
                assertFalse(c.seek(NOW));
                assertFalse(ss.next());
            }
            assertEquals(300, db.counters().samplesAppended());
            assertEquals(3, db.activeSeries());
            assertEquals(300, db.stats().headSamples());
        }
    }

    @Test void rollbackDropsStaged() throws Exception {
        try (Tsdb db = open()) {
            Appender a = db.appender();
            Labels x = Labels.of("__name__", "m");
            a.append(x, NOW, 1);
            a.rollback();
            a.commit();
            assertEquals(List.of(), samples(db, x));
        }
    }

    /**
     * A sample the appender admitted into the out-of-order window is stored, even when a newer sample of its series
     * staged before it in the same commit moves the window past it by the time the commit inserts it: it is in the
     * WAL, so a replay (which does not enforce the window) stores it, and the live head must hold what a replay
     * holds. It was dropped live and came back after a crash (AdminOpsTest's concurrent-deletions test caught it).
     */
    @Test void anAdmittedOutOfOrderSampleIsStoredAsItsReplayStoresIt() throws Exception {
        Labels x = Labels.of("__name__", "m", "i", "1");
        long t0 = NOW - 2 * 3_600_000L;
        List<S> live;
        try (Tsdb db = open()) {
            Appender a = db.appender();
            assertEquals(AppendStatus.OK, a.append(x, t0 + 3_600_000, 0));
            a.commit();
            // one commit: the next in-order sample, then one inside the window at the check (newest t0 + 1 h) and
            // outside it once the in-order sample is in (newest t0 + 1 h + 1 s)
            assertEquals(AppendStatus.OK, a.append(x, t0 + 3_601_000, 1));
            assertEquals(AppendStatus.OK, a.append(x, t0 + 500, 2));
            a.commit();
            live = samples(db, x);
            assertEquals(List.of(new S(t0 + 500, 2), new S(t0 + 3_600_000, 0), new S(t0 + 3_601_000, 1)), live);
            assertEquals(0, db.counters().samplesRejected(AppendStatus.TOO_OLD));
            db.crashForTesting();
        }
        try (Tsdb db = open()) {
            assertEquals(live, samples(db, x));
        }
    }

    @Test void outOfOrderWithinWindowMergedAndRejections() throws Exception {
        try (Tsdb db = open()) {
            Labels x = Labels.of("__name__", "m", "i", "1");
            Appender a = db.appender();
            for (int i = 0; i < 50; i++) assertEquals(AppendStatus.OK, a.append(x, NOW - 3_600_000 + i * 60_000L + 60_000, i));
            a.commit();
            long newest = NOW - 3_600_000 + 50 * 60_000L;
            // OOO inside window, between existing samples
            assertEquals(AppendStatus.OK, a.append(x, NOW - 3_600_000 + 90_000, 100));
            assertEquals(AppendStatus.OK, a.append(x, newest - 30_000, 101));
            // before the first in-order sample but inside the window
            assertEquals(AppendStatus.OK, a.append(x, NOW - 3_600_000 + 1, 102));
            // duplicate with the same value: accepted, not stored twice
            assertEquals(AppendStatus.DUPLICATE_SAME_VALUE, a.append(x, newest, 49));
            assertEquals(AppendStatus.DUPLICATE_SAME_VALUE, a.append(x, newest - 60_000, 48));
            assertEquals(AppendStatus.DUPLICATE_DIFFERENT_VALUE, a.append(x, newest, 7));
            assertTrue(a.lastError().contains("different value"), a.lastError());
            assertEquals(AppendStatus.DUPLICATE_DIFFERENT_VALUE, a.append(x, newest - 120_000, 7));
            assertEquals(AppendStatus.TOO_OLD, a.append(x, newest - 3_600_001, 1));
            assertTrue(a.lastError().contains("window"), a.lastError());
            assertEquals(AppendStatus.TOO_FAR_IN_FUTURE, a.append(x, NOW + 600_001, 1));
            assertEquals(AppendStatus.OK, a.append(x, NOW + 600_000, 1));
            a.commit();
            List<S> got = samples(db, x);
            assertEquals(54, got.size());
            for (int i = 1; i < got.size(); i++) assertTrue(got.get(i).t() > got.get(i - 1).t(), "sorted at " + i);
            assertTrue(got.contains(new S(NOW - 3_600_000 + 90_000, 100)));
            assertTrue(got.contains(new S(newest - 30_000, 101)));
            assertEquals(new S(NOW - 3_600_000 + 1, 102), got.get(0));
            assertEquals(new S(newest, 49), got.get(got.size() - 2));
            // OOO duplicate detection against the OOO buffer
            assertEquals(AppendStatus.DUPLICATE_SAME_VALUE, a.append(x, newest - 30_000, 101));
            assertEquals(AppendStatus.DUPLICATE_DIFFERENT_VALUE, a.append(x, newest - 30_000, 1));
            assertEquals(1, db.counters().samplesRejected(AppendStatus.TOO_OLD));
            assertEquals(1, db.counters().samplesRejected(AppendStatus.TOO_FAR_IN_FUTURE));
            assertEquals(3, db.counters().samplesRejected(AppendStatus.DUPLICATE_DIFFERENT_VALUE));
            assertEquals(3, db.counters().samplesOutOfOrder());
            // reopen: OOO data replayed identically
            db.close();
            try (Tsdb db2 = open()) {
                assertEquals(got, samples(db2, x));
            }
        }
    }

    /**
     * The future limit follows the clock within one batch: a sample beyond the limit read for an earlier sample is
     * checked against the clock again (accepted when the clock moved on far enough), and one beyond the current
     * clock plus the tolerance is refused even after in-limit samples of the same batch.
     */
    @Test void futureLimitFollowsTheClockWithinABatch() throws Exception {
        java.util.concurrent.atomic.AtomicLong clock = new java.util.concurrent.atomic.AtomicLong(NOW);
        try (Tsdb db = Tsdb.open(TsdbOptions.builder(dir).walFsync(FsyncPolicy.NEVER).build(), clock::get)) {
            Labels x = Labels.of("__name__", "future");
            Appender a = db.appender();
            assertEquals(AppendStatus.OK, a.append(x, NOW, 1));
            assertEquals(AppendStatus.OK, a.append(x, NOW + 600_000, 2));
            assertEquals(AppendStatus.TOO_FAR_IN_FUTURE, a.append(x, NOW + 600_001, 3));
            clock.set(NOW + 5_000);
            assertEquals(AppendStatus.OK, a.append(x, NOW + 605_000, 4));
            assertEquals(AppendStatus.TOO_FAR_IN_FUTURE, a.append(x, NOW + 605_001, 5));
            a.commit();
            assertEquals(List.of(new S(NOW, 1), new S(NOW + 600_000, 2), new S(NOW + 605_000, 4)), samples(db, x));
            assertEquals(2, db.counters().samplesRejected(AppendStatus.TOO_FAR_IN_FUTURE));
        }
    }

    @Test void outOfOrderDisabled() throws Exception {
        try (Tsdb db = open(TsdbOptions.builder(dir).walFsync(FsyncPolicy.NEVER).outOfOrderWindow(Duration.ZERO).build())) {
            Labels x = Labels.of("__name__", "m");
            Appender a = db.appender();
            a.append(x, NOW, 1);
            a.commit();
            assertEquals(AppendStatus.OUT_OF_ORDER, a.append(x, NOW - 1, 1));
        }
    }

    @Test void randomOutOfOrderMatchesReference() throws Exception {
        Random rnd = new Random(42);
        TreeMap<Long, Double> ref = new TreeMap<>();
        Labels x = Labels.of("__name__", "rnd");
        try (Tsdb db = open()) {
            Appender a = db.appender();
            long newest = Long.MIN_VALUE;
            for (int i = 0; i < 5000; i++) {
                long t = NOW - rnd.nextInt(3_000_000);
                double v = rnd.nextInt(5);
                AppendStatus st = a.append(x, t, v);
                Double prev = ref.get(t);
                if (prev == null) {
                    assertEquals(AppendStatus.OK, st, "t=" + t);
                    ref.put(t, v);
                } else {
                    assertEquals(prev == v ? AppendStatus.DUPLICATE_SAME_VALUE : AppendStatus.DUPLICATE_DIFFERENT_VALUE, st);
                }
                newest = Math.max(newest, t);
                a.commit();
            }
            List<S> want = new ArrayList<>();
            ref.forEach((t, v) -> want.add(new S(t, v)));
            assertEquals(want, samples(db, x));
        }
        try (Tsdb db = open()) {
            List<S> want = new ArrayList<>();
            ref.forEach((t, v) -> want.add(new S(t, v)));
            assertEquals(want, samples(db, x));
        }
    }

    @Test void staleMarkersAndSpecialValuesRoundTrip() throws Exception {
        Labels x = Labels.of("__name__", "m");
        double[] vals = {StaleNaN.VALUE, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -0.0, 0.0, Double.MIN_VALUE};
        try (Tsdb db = open()) {
            Appender a = db.appender();
            for (int i = 0; i < vals.length; i++) assertEquals(AppendStatus.OK, a.append(x, NOW - 100 + i, vals[i]));
            a.commit();
        }
        try (Tsdb db = open()) {
            List<S> got = samples(db, x);
            assertEquals(vals.length, got.size());
            for (int i = 0; i < vals.length; i++)
                assertEquals(Double.doubleToRawLongBits(vals[i]), Double.doubleToRawLongBits(got.get(i).v()), "value " + i);
            assertTrue(StaleNaN.is(got.get(0).v()));
            assertFalse(StaleNaN.is(got.get(1).v()));
        }
    }

    @Test void restartKeepsSeriesIdsAndData() throws Exception {
        Labels x = Labels.of("__name__", "m", "a", "1");
        Labels y = Labels.of("__name__", "m", "a", "2");
        try (Tsdb db = open()) {
            Appender a = db.appender();
            a.append(x, NOW - 10, 1);
            a.append(y, NOW - 10, 2);
            a.commit();
        }
        try (Tsdb db = open()) {
            assertEquals(2, db.activeSeries());
            assertEquals(List.of(new S(NOW - 10, 1)), samples(db, x));
            Appender a = db.appender();
            assertEquals(AppendStatus.OK, a.append(Labels.of("__name__", "m", "a", "3"), NOW, 3));
            assertEquals(AppendStatus.DUPLICATE_SAME_VALUE, a.append(y, NOW - 10, 2));
            a.commit();
            assertEquals(3, db.activeSeries());
            assertEquals(2L, db.index().count(List.of(Matcher.re("a", "1|3"))));
        }
    }

    @Test void labelValidationAndLimits() throws Exception {
        Limits lim = new Limits(3, 10, 5, 2);
        try (Tsdb db = open(TsdbOptions.builder(dir).walFsync(FsyncPolicy.NEVER).limits(lim).build())) {
            Appender a = db.appender();
            assertEquals(AppendStatus.INVALID_METRIC_NAME, a.append(Labels.of("job", "x"), NOW, 1));
            assertEquals(AppendStatus.INVALID_METRIC_NAME, a.append(Labels.of("__name__", "1abc"), NOW, 1));
            assertTrue(a.lastError().contains("1abc"), a.lastError());
            assertEquals(AppendStatus.INVALID_LABEL_NAME, a.append(Labels.of("__name__", "m", "a-b", "x"), NOW, 1));
            assertEquals(AppendStatus.INVALID_LABEL_NAME, a.append(Labels.of("__name__", "m", "a:b", "x"), NOW, 1));
            assertEquals(AppendStatus.INVALID_LABEL_VALUE, a.append(Labels.of("__name__", "m", "a", "\uD800"), NOW, 1));
            assertEquals(AppendStatus.TOO_MANY_LABELS, a.append(Labels.of("__name__", "m", "a", "1", "b", "2", "c", "3"), NOW, 1));
            assertTrue(a.lastError().contains("max_labels_per_series=3") && a.lastError().contains("metric m"), a.lastError());
            assertEquals(AppendStatus.LABEL_NAME_TOO_LONG, a.append(Labels.of("__name__", "m", "abcdefghijk", "1"), NOW, 1));
            assertTrue(a.lastError().contains("max_label_name_length=10"), a.lastError());
            assertEquals(AppendStatus.LABEL_VALUE_TOO_LONG, a.append(Labels.of("__name__", "m", "a", "123456"), NOW, 1));
            assertTrue(a.lastError().contains("max_label_value_length=5") && a.lastError().contains("metric m"), a.lastError());
            // 3 characters but 6 bytes of UTF-8: over the 5-byte limit
            assertEquals(AppendStatus.LABEL_VALUE_TOO_LONG, a.append(Labels.of("__name__", "m", "a", "üüü"), NOW, 1));
            assertTrue(a.lastError().contains("6 bytes"), a.lastError());
            assertEquals(AppendStatus.OK, a.append(Labels.of("__name__", "m", "a", "ü:é"), NOW, 1));
            assertEquals(AppendStatus.OK, a.append(Labels.of("__name__", "ns:m_1", "a", "1"), NOW, 1));
            assertEquals(AppendStatus.SERIES_LIMIT, a.append(Labels.of("__name__", "m", "a", "3"), NOW, 1));
            assertTrue(a.lastError().contains("max_active_series=2") && a.lastError().contains("metric m"), a.lastError());
            // existing series still accepted at the limit
            assertEquals(AppendStatus.OK, a.append(Labels.of("__name__", "m", "a", "ü:é"), NOW + 1, 2));
            a.commit();
            assertEquals(2, db.activeSeries());
            assertEquals(1, db.counters().samplesRejected(AppendStatus.SERIES_LIMIT));
            assertEquals(2, db.counters().samplesRejected(AppendStatus.INVALID_METRIC_NAME));
        }
    }

    @Test void closedStorageRejects() throws Exception {
        Tsdb db = open();
        Appender a = db.appender();
        a.append(Labels.of("__name__", "m"), NOW, 1);
        db.close();
        assertEquals(AppendStatus.STORAGE_CLOSED, a.append(Labels.of("__name__", "m"), NOW + 1, 1));
        assertThrows(java.io.IOException.class, a::commit);
        db.close(); // idempotent
    }

    @Test void secondOpenOfSameDirectoryFails() throws Exception {
        try (Tsdb db = open()) {
            Exception e = assertThrows(Exception.class, () -> Tsdb.open(TsdbOptions.builder(dir).build()));
            assertTrue(e.getMessage().contains("in use"), e.getMessage());
        }
    }

    @Test void lostRegistryIsRebuiltFromWalSeriesRecords() throws Exception {
        Labels x = Labels.of("__name__", "m", "a", "1");
        Labels y = Labels.of("__name__", "m", "a", "2");
        Tsdb db = open();
        Appender a = db.appender();
        a.append(x, NOW - 10, 1);
        a.append(y, NOW - 10, 2);
        a.commit();
        db.crashForTesting();
        // the registry file is lost entirely (e.g. an OS crash before its pages were written back)
        try (var files = java.nio.file.Files.list(dir.resolve("registry"))) {
            for (Path p : files.toList()) java.nio.file.Files.delete(p);
        }
        try (Tsdb db2 = open()) {
            assertEquals(2, db2.activeSeries());
            assertEquals(List.of(new S(NOW - 10, 1)), samples(db2, x));
            assertEquals(List.of(new S(NOW - 10, 2)), samples(db2, y));
            Appender b = db2.appender();
            assertEquals(AppendStatus.OK, b.append(Labels.of("__name__", "m", "a", "3"), NOW, 3));
            b.commit();
            assertEquals(3, db2.activeSeries());
        }
    }

    @Test void crashWithoutCloseRecoversRegistryAndWal() throws Exception {
        Labels x = Labels.of("__name__", "m");
        Tsdb db = open();
        Appender a = db.appender();
        for (int i = 0; i < 100; i++) { a.append(x, NOW - 1000 + i, i); a.commit(); }
        db.crashForTesting();
        try (Tsdb db2 = open()) {
            assertEquals(100, samples(db2, x).size());
            assertEquals(0, db2.walCorruptions());
        }
    }

    @Test void concurrentAppendersGroupCommit() throws Exception {
        int threads = 4, commits = 100, perCommit = 20;
        try (Tsdb db = open(TsdbOptions.builder(dir).walFsync(FsyncPolicy.ALWAYS).build())) {
            Thread[] ts = new Thread[threads];
            java.util.concurrent.atomic.AtomicReference<Throwable> err = new java.util.concurrent.atomic.AtomicReference<>();
            for (int th = 0; th < threads; th++) {
                int me = th;
                ts[th] = new Thread(() -> {
                    try {
                        Appender a = db.appender();
                        for (int c = 0; c < commits; c++) {
                            for (int k = 0; k < perCommit; k++) {
                                // every thread writes the shared series too, at distinct timestamps
                                Labels l = k == 0 ? Labels.of("__name__", "shared") : Labels.of("__name__", "own", "t", "" + me, "k", "" + k);
                                long t = NOW - 1_000_000 + (k == 0 ? c * threads + me : c);
                                AppendStatus st = a.append(l, t, me);
                                if (st != AppendStatus.OK) throw new AssertionError(st + " " + a.lastError());
                            }
                            a.commit();
                        }
                    } catch (Throwable e) {
                        err.set(e);
                    }
                });
                ts[th].start();
            }
            for (Thread t : ts) t.join();
            if (err.get() != null) throw new AssertionError(err.get());
            assertEquals((long) threads * commits * perCommit, db.counters().samplesAppended());
            assertEquals(threads * commits, samples(db, Labels.of("__name__", "shared")).size());
            assertTrue(db.walFsyncs() <= threads * commits + 2, "fsyncs " + db.walFsyncs());
        }
        try (Tsdb db = open()) {
            assertEquals(threads * commits, samples(db, Labels.of("__name__", "shared")).size());
            assertEquals(commits, samples(db, Labels.of("__name__", "own", "t", "2", "k", "7")).size());
        }
    }

    /** Large enough for the grouped, two-threaded replay path (>= 100k samples per batch), with OOO samples. */
    @Test void largeReplayKeepsOrderPerSeries() throws Exception {
        int series = 500, perSeries = 300;
        Tsdb db = open();
        Appender a = db.appender();
        for (int i = 0; i < perSeries; i++) {
            for (int s = 0; s < series; s++) {
                long t = NOW - 1_000_000 + i * 1000L;
                assertEquals(AppendStatus.OK, a.append(Labels.of("__name__", "big", "s", "" + s), t, s * 1000 + i));
            }
            if (i % 50 == 49) a.commit();
        }
        // out-of-order samples between existing ones, after their neighbours in the log
        for (int s = 0; s < series; s++) assertEquals(AppendStatus.OK, a.append(Labels.of("__name__", "big", "s", "" + s), NOW - 1_000_000 + 500, -s));
        a.commit();
        db.crashForTesting();
        try (Tsdb db2 = open()) {
            assertEquals((long) series * (perSeries + 1), db2.walReplaySamples());
            assertEquals((long) series * (perSeries + 1), db2.headSamples());
            for (int s : new int[]{0, 1, 250, 499}) {
                List<S> got = samples(db2, Labels.of("__name__", "big", "s", "" + s));
                assertEquals(perSeries + 1, got.size());
                assertEquals(new S(NOW - 1_000_000, s * 1000), got.get(0));
                assertEquals(new S(NOW - 1_000_000 + 500, -s), got.get(1));
                for (int i = 1; i < perSeries; i++) assertEquals(new S(NOW - 1_000_000 + i * 1000L, s * 1000 + i), got.get(i + 1));
            }
        }
    }
}
