package io.tsdb.core.db;

import io.tsdb.core.AppendStatus;
import io.tsdb.core.Appender;
import io.tsdb.core.Labels;
import io.tsdb.core.Matcher;
import io.tsdb.core.Querier;
import io.tsdb.core.SeriesRef;
import io.tsdb.core.head.HeadSeries;
import io.tsdb.core.registry.Limits;
import io.tsdb.core.registry.RegistryFormat;
import io.tsdb.core.wal.FsyncPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import static io.tsdb.core.db.TsdbTestSupport.S;
import static io.tsdb.core.db.TsdbTestSupport.read;
import static io.tsdb.core.db.TsdbTestSupport.samples;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Series lifecycle: series that go quiet leave the head (and its postings) after the next flush, come back
 * with their id, stay queryable from blocks; limits count active series; the registry drops series whose last
 * block retention deleted.
 */
class SeriesLifecycleTest {
    static final long T0 = 1_700_000_000_000L;
    static final long MIN = 60_000;
    @TempDir Path dir;
    final AtomicLong clock = new AtomicLong(T0 + 48 * 60 * MIN);

    Tsdb open(Duration retention, Limits limits) throws Exception {
        return Tsdb.open(TsdbOptions.builder(dir).walFsync(FsyncPolicy.NEVER).retention(retention).limits(limits)
                .registryCapacity(1024).build(), clock::get);
    }

    Tsdb open() throws Exception { return open(Duration.ofDays(30), Limits.DEFAULT); }

    static Labels pod(int gen, int i) {
        return Labels.of("__name__", "http_requests_total", "pod", "p-" + gen + "-" + i, "version", "v" + gen);
    }

    /** Generation {@code gen}: {@code pods} series, one sample a minute for 30 minutes starting at gen * 30 min. */
    static void writeGeneration(Tsdb db, int gen, int pods) throws Exception {
        Appender a = db.appender();
        for (int m = 0; m < 30; m++) {
            for (int i = 0; i < pods; i++) assertEquals(AppendStatus.OK, a.append(pod(gen, i), T0 + (gen * 30L + m) * MIN, gen * 1000 + m), a.lastError());
        }
        a.commit();
    }

    @Test void quietSeriesLeaveTheHeadAndStayQueryable() throws Exception {
        int pods = 50, gens = 12;
        try (Tsdb db = open()) {
            for (int g = 0; g < gens; g++) {
                writeGeneration(db, g, pods);
                if (g % 4 == 3) db.flush();   // a flush every 2 h of data, as the maintenance thread does
                // the head holds the series with samples since the flush before the last one: at most 2 periods of 4 generations
                assertTrue(db.activeSeries() <= 8 * pods, "generation " + g + ": " + db.activeSeries() + " head series");
            }
            db.flush();
            // after the last generation and one flush: only series with samples in the last head period remain
            assertTrue(db.activeSeries() <= 4 * pods, db.activeSeries() + " head series");
            assertEquals(gens * pods, db.registrySeries());
            assertEquals(db.activeSeries(), db.index().seriesCount(), "head postings follow the head");
            assertEquals(gens * pods, db.blockSeries());
            assertTrue(db.seriesRemoved() >= (gens - 4) * pods, "removed " + db.seriesRemoved());
            // every generation answers over its own time range, from blocks
            for (int g = 0; g < gens; g++) {
                Map<Labels, List<S>> got = read(db, T0 + g * 30 * MIN, T0 + (g * 30 + 29) * MIN, Matcher.eq("version", "v" + g));
                assertEquals(pods, got.size(), "generation " + g);
                for (List<S> l : got.values()) assertEquals(30, l.size());
            }
            try (Querier q = db.querier(Long.MIN_VALUE, Long.MAX_VALUE)) {
                assertEquals(gens * pods, q.seriesCount(List.of(Matcher.eq("__name__", "http_requests_total"))));
                assertEquals(gens, q.labelValues("version", List.of()).size());
            }
        }
    }

    /** Minutes [from, to) of generation {@code gen}'s pods (minute 0 = gen * 30 min). */
    static void writeMinutes(Tsdb db, int gen, int pods, int from, int to) throws Exception {
        Appender a = db.appender();
        for (int m = from; m < to; m++) {
            for (int i = 0; i < pods; i++) assertEquals(AppendStatus.OK, a.append(pod(gen, i), T0 + (gen * 30L + m) * MIN, m), a.lastError());
        }
        a.commit();
    }

    @Test void churnCutsTheHeadEarlyAndTheQuietSeriesLeaveRightAfter() throws Exception {
        int pods = Tsdb.CHURN_MIN_QUIET;
        try (Tsdb db = open()) {
            writeGeneration(db, 0, pods);
            db.maintain();
            assertEquals(0, db.flushes(), "29 minutes of data, nothing quiet: no flush");
            // generation 1 replaces generation 0; 4 minutes later generation 0 is not yet quiet (5 minutes)
            writeMinutes(db, 1, pods, 0, 4);
            db.maintain();
            assertEquals(0, db.flushes(), "generation 0 silent for 4 minutes only");
            assertEquals(2L * pods, db.activeSeries());
            writeMinutes(db, 1, pods, 4, 6);
            db.maintain();
            // generation 0 silent for 6 minutes: half the head, far above one in CHURN_QUIET_SHARE: an early flush,
            // after which generation 0 (no samples since) leaves the head at once, not at the next flush
            assertEquals(1, db.flushes());
            assertEquals(1L, db.flushesByReason().get("churn"));
            assertEquals(pods, db.activeSeries());
            assertEquals(pods, db.index().seriesCount(), "head postings follow the head");
            Map<Labels, List<S>> g0 = read(db, T0, T0 + 29 * MIN, Matcher.eq("version", "v0"));
            assertEquals(pods, g0.size());
            for (List<S> l : g0.values()) assertEquals(30, l.size());
            // generation 1 keeps ingesting in the head, readable across the cut
            writeMinutes(db, 1, pods, 6, 8);
            Map<Labels, List<S>> g1 = read(db, T0 + 30 * MIN, T0 + 60 * MIN, Matcher.eq("version", "v1"));
            assertEquals(pods, g1.size());
            for (List<S> l : g1.values()) assertEquals(8, l.size());
            db.maintain();
            assertEquals(1, db.flushes(), "nothing quiet since: no second early flush");
        }
        try (Tsdb db = open()) {   // and after a restart (close flushed generation 1 too)
            assertEquals(pods, read(db, T0, T0 + 29 * MIN, Matcher.eq("version", "v0")).size());
            for (List<S> l : read(db, T0 + 30 * MIN, T0 + 60 * MIN, Matcher.eq("version", "v1")).values()) assertEquals(8, l.size());
        }
    }

    @Test void aBackfillWithChurnIsCutAsDataTimeAdvancesNotEvery30Seconds() throws Exception {
        int pods = Tsdb.CHURN_MIN_QUIET;
        try (Tsdb db = open()) {
            writeGeneration(db, 0, pods);
            for (int m = 0; m < 12; m++) writeMinutes(db, 1, pods, m, m + 1);   // one commit per minute of data
            // commits ask maintenance to look each minute of data time; the periodic run comes only after 30 s
            long end = System.nanoTime() + 20_000_000_000L;
            while (db.flushes() == 0 && System.nanoTime() < end) Thread.sleep(20);
            assertEquals(1, db.flushes());
            end = System.nanoTime() + 20_000_000_000L;
            while (db.activeSeries() > pods && System.nanoTime() < end) Thread.sleep(20);
            assertEquals(pods, db.activeSeries());
        }
    }

    /**
     * The cut comes as soon as the head spans CHURN_MIN_SPAN_MS with enough series quiet for CHURN_QUIET_MS, one in
     * CHURN_QUIET_SHARE of the head: a short sawtooth under steady churn. Series sent every few minutes are not quiet.
     */
    @Test void churnCutsTheHeadOnceItSpansTheMinimumAndOneInTheShareIsQuiet() throws Exception {
        int quiet = Tsdb.CHURN_MIN_QUIET, steady = quiet * (Tsdb.CHURN_QUIET_SHARE - 2), slow = quiet;
        try (Tsdb db = open()) {
            Appender a = db.appender();
            for (int i = 0; i < quiet; i++) a.append(Labels.of("__name__", "up", "pod", "gone-" + i), T0, 1);
            a.commit();
            long t = 0;
            for (; t < Tsdb.CHURN_MIN_SPAN_MS; t += MIN) {
                for (int i = 0; i < steady; i++) a.append(Labels.of("__name__", "up", "pod", "steady-" + i), T0 + t, t);
                // slow series: one sample every 4 minutes, never quiet for 5
                if (t % (4 * MIN) == 0) for (int i = 0; i < slow; i++) a.append(Labels.of("__name__", "up", "pod", "slow-" + i), T0 + t, t);
                a.commit();
                db.maintain();
                assertEquals(0, db.flushes(), "the head spans " + t + " ms, less than " + Tsdb.CHURN_MIN_SPAN_MS);
            }
            for (int i = 0; i < steady; i++) a.append(Labels.of("__name__", "up", "pod", "steady-" + i), T0 + t, t);
            a.commit();
            db.maintain();
            assertEquals(1, db.flushes(), "one in " + Tsdb.CHURN_QUIET_SHARE + " of the head quiet and the head spans the minimum");
            assertEquals(1L, db.flushesByReason().get("churn"));
            assertEquals(steady + slow, db.activeSeries(), "the quiet series left; the slow ones (sample 2 minutes before the cut) stay");
        }
    }

    @Test void aFewQuietSeriesDoNotCutTheHead() throws Exception {
        int pods = Tsdb.CHURN_MIN_QUIET / 2;   // a whole generation replaced, but fewer series than the minimum
        try (Tsdb db = open()) {
            writeGeneration(db, 0, pods);
            writeMinutes(db, 1, pods, 0, 20);
            db.maintain();
            assertEquals(0, db.flushes());
            assertEquals(2L * pods, db.activeSeries());
        }
    }

    @Test void aSeriesThatComesBackKeepsItsIdAndItsData() throws Exception {
        Labels x = Labels.of("__name__", "up", "pod", "x");
        try (Tsdb db = open()) {
            Appender a = db.appender();
            a.append(x, T0, 1);
            a.append(Labels.of("__name__", "up", "pod", "y"), T0, 1);
            a.commit();
            int id = db.head().get(x).id;
            db.flush();                      // x's samples go to a block; x stays (it had samples in this period)
            a.append(Labels.of("__name__", "up", "pod", "y"), T0 + MIN, 2);
            a.commit();
            db.flush();                      // x had none since the last flush: it leaves the head
            assertNull(db.head().get(x));
            assertEquals(0, db.index().count(List.of(Matcher.eq("pod", "x"))));
            assertEquals(List.of(new S(T0, 1)), samples(db, x));
            a.append(x, T0 + 2 * MIN, 3);   // back: found in the registry, same id
            a.commit();
            assertEquals(id, db.head().get(x).id);
            assertEquals(1, db.seriesRevived());
            assertEquals(List.of(new S(T0, 1), new S(T0 + 2 * MIN, 3)), samples(db, x));
        }
        try (Tsdb db = open()) {             // and after a restart
            assertEquals(List.of(new S(T0, 1), new S(T0 + 2 * MIN, 3)), samples(db, Labels.of("__name__", "up", "pod", "x")));
        }
    }

    @Test void samplesStagedForASeriesRemovedBeforeTheCommitAreNotLost() throws Exception {
        Labels x = Labels.of("__name__", "up", "pod", "x");
        try (Tsdb db = open()) {
            Appender a = db.appender();
            a.append(x, T0, 1);
            a.commit();
            db.flush();
            db.flush();                       // x leaves at this flush...
            assertNull(db.head().get(x));
            a.append(x, T0 + MIN, 2);         // ...is revived here, staged...
            db.flush();                       // ...removed again (no committed samples yet) by a flush before the commit...
            assertNull(db.head().get(x));
            a.commit();                       // ...and the commit brings it back before logging
            assertEquals(List.of(new S(T0, 1), new S(T0 + MIN, 2)), samples(db, x));
            db.crashForTesting();
        }
        try (Tsdb db = open()) {              // the WAL replays the revived series and its sample
            assertEquals(List.of(new S(T0, 1), new S(T0 + MIN, 2)), samples(db, x));
        }
    }

    // ---------------------------------------------------------------- series references (Appender.lastRef)

    @Test void aSampleAppendedThroughAReferenceStaleAfterSeriesGcIsStored() throws Exception {
        Labels x = Labels.of("__name__", "up", "pod", "x");
        try (Tsdb db = open()) {
            Appender a = db.appender();
            assertEquals(AppendStatus.OK, a.append(x, T0, 1));
            SeriesRef ref = a.lastRef();
            assertSame(db.head().get(x), ref, "the reference is the head's series");
            a.commit();
            db.flush();
            db.flush();                                    // x went quiet: it leaves the head, the reference is stale
            assertNull(db.head().get(x));
            assertTrue(((HeadSeries) ref).isRemoved());
            // as a parser cache does: the reference and the label instance it kept
            assertEquals(AppendStatus.OK, a.append(ref, ref.labels(), T0 + MIN, 2), a.lastError());
            SeriesRef fresh = a.lastRef();
            assertNotSame(ref, fresh, "a new reference is handed out");
            assertFalse(((HeadSeries) fresh).isRemoved());
            a.commit();
            HeadSeries live = db.head().get(x);
            assertSame(live, fresh);
            assertEquals(((HeadSeries) ref).id, live.id, "brought back with its id");
            assertEquals(List.of(new S(T0, 1), new S(T0 + MIN, 2)), samples(db, x));
            // a caller that did not renew its reference: still stored, in the live series
            assertEquals(AppendStatus.OK, a.append(ref, ref.labels(), T0 + 2 * MIN, 3), a.lastError());
            assertSame(live, a.lastRef());
            a.commit();
            assertEquals(List.of(new S(T0, 1), new S(T0 + MIN, 2), new S(T0 + 2 * MIN, 3)), samples(db, x));
            assertEquals(0, ((HeadSeries) ref).sampleCount(), "nothing went into the removed series");
            db.crashForTesting();
        }
        try (Tsdb db = open()) {                           // the WAL holds the revived series and its samples
            assertEquals(List.of(new S(T0, 1), new S(T0 + MIN, 2), new S(T0 + 2 * MIN, 3)), samples(db, x));
        }
    }

    @Test void aReferenceThatGoesStaleBetweenAppendAndCommitLosesNoSample() throws Exception {
        Labels x = Labels.of("__name__", "up", "pod", "x");
        try (Tsdb db = open()) {
            Appender a = db.appender();
            a.append(x, T0, 1);
            SeriesRef ref = a.lastRef();
            a.commit();
            db.flush();                                    // x's sample goes to a block; x stays, empty
            assertEquals(AppendStatus.OK, a.append(ref, ref.labels(), T0 + MIN, 2), a.lastError());
            assertSame(ref, a.lastRef(), "the reference was valid at the append");
            db.flush();                                    // x holds nothing committed: it leaves before the commit
            assertNull(db.head().get(x));
            a.commit();                                    // the commit brings it back (same id) before logging
            assertEquals(List.of(new S(T0, 1), new S(T0 + MIN, 2)), samples(db, x));
            assertEquals(((HeadSeries) ref).id, db.head().get(x).id);
            db.crashForTesting();
        }
        try (Tsdb db = open()) {
            assertEquals(List.of(new S(T0, 1), new S(T0 + MIN, 2)), samples(db, x));
        }
    }

    @Test void aReferenceForOtherLabelsOrFromAnotherStorageIsIgnored(@TempDir Path other) throws Exception {
        Labels w = Labels.of("__name__", "up", "pod", "w"), x = Labels.of("__name__", "up", "pod", "x");
        SeriesRef foreign;
        try (Tsdb db2 = Tsdb.open(TsdbOptions.builder(other).walFsync(FsyncPolicy.NEVER).build(), clock::get)) {
            Appender a2 = db2.appender();
            a2.append(x, T0, 100);                         // id 0 there; id 0 is w here
            foreign = a2.lastRef();
            a2.commit();
            try (Tsdb db = open()) {
                Appender a = db.appender();
                a.append(w, T0, 1);
                SeriesRef wRef = a.lastRef();
                a.append(x, T0, 2);
                a.commit();
                assertEquals(((HeadSeries) foreign).id, ((HeadSeries) wRef).id, "the foreign reference's id is w's here");
                assertEquals(AppendStatus.OK, a.append(foreign, foreign.labels(), T0 + MIN, 3), a.lastError());
                assertSame(db.head().get(x), a.lastRef());
                assertEquals(AppendStatus.OK, a.append(wRef, x, T0 + 2 * MIN, 4), a.lastError());   // w's reference, x's labels
                assertSame(db.head().get(x), a.lastRef());
                a.commit();
                assertEquals(List.of(new S(T0, 1)), samples(db, w));
                assertEquals(List.of(new S(T0, 2), new S(T0 + MIN, 3), new S(T0 + 2 * MIN, 4)), samples(db, x));
                db.crashForTesting();
            }
            assertEquals(List.of(new S(T0, 100)), samples(db2, x), "nothing went into the other storage");
        }
        try (Tsdb db = open()) {
            assertEquals(List.of(new S(T0, 1)), samples(db, w));
            assertEquals(List.of(new S(T0, 2), new S(T0 + MIN, 3), new S(T0 + 2 * MIN, 4)), samples(db, x));
        }
    }

    /**
     * A writer that keeps references (as the ingest label cache does) while a flusher runs flush after flush:
     * each series is written every 4th round and at least one flush completes between rounds, so every series
     * leaves the head between its rounds (its reference goes stale) and its flushes race with the writer's
     * appends and commits. Every acknowledged sample is readable, from the head or from blocks, and after a crash.
     */
    @Test void writersKeepingReferencesWhileFlushesCollectSeriesLoseNothing() throws Exception {
        int series = 40, rounds = 40;
        Labels[] labels = new Labels[series];
        for (int i = 0; i < series; i++) labels[i] = Labels.of("__name__", "up", "pod", "p" + i);
        long[] acked = new long[series];
        try (Tsdb db = open()) {
            java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
            java.util.concurrent.Semaphore flushed = new java.util.concurrent.Semaphore(0);
            java.util.concurrent.CompletableFuture<Void> flusher = java.util.concurrent.CompletableFuture.runAsync(() -> {
                try {
                    while (!done.get()) {
                        db.flush();
                        flushed.release();
                    }
                } catch (Exception e) {
                    throw new java.util.concurrent.CompletionException(e);
                }
            });
            SeriesRef[] refs = new SeriesRef[series];
            Appender a = db.appender();
            try {
                for (int r = 0; r < rounds; r++) {
                    for (int i = r % 4; i < series; i += 4) {   // a quarter of the series per round, in turn
                        Labels l = refs[i] != null ? refs[i].labels() : labels[i];
                        assertEquals(AppendStatus.OK, a.append(refs[i], l, T0 + r * 1000L, r), a.lastError());
                        refs[i] = a.lastRef();
                    }
                    a.commit();
                    for (int i = r % 4; i < series; i += 4) acked[i]++;
                    flushed.drainPermits();
                    assertTrue(flushed.tryAcquire(60, java.util.concurrent.TimeUnit.SECONDS), "a flush completes");
                }
            } finally {
                done.set(true);
                flusher.join();
            }
            assertTrue(db.seriesRevived() >= (rounds - 4) * series / 4, db.seriesRevived() + " series came back");
            for (int i = 0; i < series; i++) assertEquals(acked[i], samples(db, labels[i]).size(), labels[i].toString());
            db.crashForTesting();
        }
        try (Tsdb db = open()) {
            for (int i = 0; i < series; i++) assertEquals(acked[i], samples(db, labels[i]).size(), "after restart: " + labels[i]);
        }
    }

    @Test void restartLoadsOnlyTheSeriesOfTheWalNotTheRegistry() throws Exception {
        try (Tsdb db = open()) {
            for (int g = 0; g < 6; g++) {
                writeGeneration(db, g, 20);
                if (g < 5) db.flush();
            }
        }   // the closing flush writes generation 5 to a block and takes generation 4 out of the head
        try (Tsdb db = open()) {
            assertEquals(0, db.walReplaySamples());
            assertEquals(20, db.activeSeries(), "only the last generation's series were checkpointed");
            assertEquals(120, db.registrySeries());
            assertEquals(20, db.index().seriesCount());
            assertEquals(120, read(db, Long.MIN_VALUE, Long.MAX_VALUE, Matcher.eq("__name__", "http_requests_total")).size());
            // new series get ids above every id ever assigned
            Appender a = db.appender();
            a.append(pod(99, 0), T0 + 200 * 30 * MIN, 1);
            a.commit();
            assertTrue(db.head().get(pod(99, 0)).id >= 120);
        }
    }

    @Test void activeSeriesLimitCountsTheHeadAndFreesUpWhenSeriesGoQuiet() throws Exception {
        try (Tsdb db = open(Duration.ofDays(30), Limits.DEFAULT.withMaxSeries(60))) {
            writeGeneration(db, 0, 50);
            Appender a = db.appender();
            int ok = 0, refused = 0;
            for (int i = 0; i < 20; i++) {
                AppendStatus st = a.append(pod(1, i), T0 + 30 * MIN, 1);
                if (st == AppendStatus.OK) ok++;
                else {
                    assertEquals(AppendStatus.SERIES_LIMIT, st);
                    assertTrue(a.lastError().contains("max_active_series=60") && a.lastError().contains("http_requests_total")
                            && a.lastError().contains("60 active series"), a.lastError());
                    refused++;
                }
            }
            a.commit();
            assertEquals(10, ok);
            assertEquals(10, refused);
            db.flush();
            db.flush();                               // generation 0 (quiet since the first flush) leaves the head
            assertEquals(0, db.activeSeries());
            for (int i = 0; i < 60; i++) assertEquals(AppendStatus.OK, a.append(pod(2, i), T0 + 60 * MIN, 1), a.lastError());
            a.commit();
            assertEquals(AppendStatus.SERIES_LIMIT, a.append(pod(0, 0), T0 + 61 * MIN, 1), "a series coming back counts against the limit");
            assertEquals(AppendStatus.OK, a.append(pod(2, 0), T0 + 61 * MIN, 2), "series in the head keep ingesting at the limit");
            a.commit();
        }
    }

    @Test void perMetricLimitNamesTheMetricAndTheCount() throws Exception {
        try (Tsdb db = open(Duration.ofDays(30), Limits.DEFAULT.withMaxSeriesPerMetric(3))) {
            Appender a = db.appender();
            for (int i = 0; i < 3; i++) assertEquals(AppendStatus.OK, a.append(Labels.of("__name__", "a", "i", "" + i), T0, 1));
            assertEquals(AppendStatus.SERIES_PER_METRIC_LIMIT, a.append(Labels.of("__name__", "a", "i", "3"), T0, 1));
            assertTrue(a.lastError().contains("metric a has 3 active series") && a.lastError().contains("max_active_series_per_metric=3"), a.lastError());
            assertEquals(AppendStatus.OK, a.append(Labels.of("__name__", "b", "i", "0"), T0, 1), "other metrics are not limited");
            assertEquals(AppendStatus.OK, a.append(Labels.of("__name__", "a", "i", "0"), T0 + 1, 2), "existing series keep ingesting");
            a.commit();
            assertEquals(3, db.activeSeries("a"));
            assertEquals(1, db.counters().samplesRejected(AppendStatus.SERIES_PER_METRIC_LIMIT));
        }
    }

    @Test void registryDropsSeriesWhoseLastBlockRetentionDeleted() throws Exception {
        int pods = 600;
        long regBytesAfterGrowth;
        clock.set(T0 + 8 * 30 * MIN);   // every generation within the retention until the clock moves on below
        try (Tsdb db = open(Duration.ofHours(6), Limits.DEFAULT)) {
            for (int g = 0; g < 8; g++) {
                writeGeneration(db, g, pods);    // 600 new series per 30 min: registry tiers of 1024, 2048, ...
                db.flush();
            }
            assertEquals(8 * pods, db.registrySeries());
            regBytesAfterGrowth = allocatedBytes(dir.resolve("registry"));
            int[] ids7 = new int[pods];
            for (int i = 0; i < pods; i++) ids7[i] = db.head().get(pod(7, i)).id;
            clock.set(T0 + (7 * 30 + 6 * 60) * MIN);   // the blocks of generations 0-6 are beyond retention, 7 is not
            db.maintain();
            assertTrue(db.lastRegistryShrink().seriesRemoved() > 0, "shrink: " + db.lastRegistryShrink());
            long left = db.registrySeries();
            assertTrue(left <= 2 * pods + 1024, left + " series left in the registry");
            // every series that still has data is still found, with its id
            for (int i = 0; i < pods; i++) assertEquals(ids7[i], db.seriesIdForTesting(pod(7, i)));
            assertEquals(pods, read(db, Long.MIN_VALUE, Long.MAX_VALUE, Matcher.eq("version", "v7")).size());
        }
        try (Tsdb db = open(Duration.ofHours(6), Limits.DEFAULT)) {
            assertTrue(db.registrySeries() <= 2 * pods + 1024);
            try (Stream<Path> s = Files.list(dir.resolve("registry"))) {
                assertTrue(s.noneMatch(p -> p.toString().endsWith(RegistryFormat.TMP_SUFFIX)));
            }
            assertTrue(allocatedBytes(dir.resolve("registry")) < regBytesAfterGrowth,
                    allocatedBytes(dir.resolve("registry")) + " >= " + regBytesAfterGrowth);
            // a dropped series that comes back gets a new id above all earlier ones
            Appender a = db.appender();
            a.append(pod(0, 0), clock.get(), 1);
            a.commit();
            assertTrue(db.head().get(pod(0, 0)).id >= 8 * pods);
        }
    }

    /** Sum of the registry files' sizes (tier files are sized for their capacity). */
    static long allocatedBytes(Path d) throws Exception {
        long n = 0;
        try (Stream<Path> s = Files.list(d)) {
            for (Path p : s.toList()) n += Files.size(p);
        }
        return n;
    }

    /**
     * One request that mixes samples of known series, new series admitted and new series refused by either limit
     * (enough new series to start registry tiers and reopen the newest one, see SeriesRegistry.REMAP_AFTER_PUTS):
     * exactly the admitted ones are stored, each refusal names its limit, and after a crash every acknowledged
     * series and sample is there with the same id, and ids are never given twice.
     */
    @Test void aBurstOfNewSeriesMixedWithKnownAndRefusedOnesSurvivesACrash() throws Exception {
        int maxSeries = 2_400, perMetric = 1_300;
        Limits limits = Limits.DEFAULT.withMaxSeries(maxSeries).withMaxSeriesPerMetric(perMetric);
        java.util.function.IntFunction<Labels> a = i -> Labels.of("__name__", "a", "pod", "pod-a-" + i, "zone", "z" + (i % 3));
        java.util.function.IntFunction<Labels> b = i -> Labels.of("__name__", "b", "pod", "pod-b-" + i, "zone", "z" + (i % 3));
        Map<Labels, List<S>> stored = new java.util.HashMap<>();
        List<Labels> refused = new java.util.ArrayList<>();
        Map<Labels, Integer> ids = new java.util.HashMap<>();
        Tsdb db = Tsdb.open(TsdbOptions.builder(dir).walFsync(FsyncPolicy.ALWAYS).limits(limits).registryCapacity(1024).build(), clock::get);
        Appender w = db.appender();
        for (int i = 0; i < 100; i++) {
            assertEquals(AppendStatus.OK, w.append(a.apply(i), T0, i), w.lastError());
            stored.put(a.apply(i), new java.util.ArrayList<>(List.of(new S(T0, i))));
        }
        w.commit();
        int activeA = 100, activeB = 0, admittedA = 0, admittedB = 0, refusedTotal = 0, refusedMetric = 0;
        for (int k = 0; k < 3_600; k++) {
            if (k % 10 == 0 && k / 10 < 100) {   // a known series
                Labels l = a.apply(k / 10);
                assertEquals(AppendStatus.OK, w.append(l, T0 + MIN, k), w.lastError());
                stored.get(l).add(new S(T0 + MIN, k));
            }
            boolean isA = k % 3 != 0;
            Labels l = isA ? a.apply(100 + k) : b.apply(k);
            AppendStatus st = w.append(l, T0 + MIN, -k);
            if (activeA + activeB >= maxSeries) {
                assertEquals(AppendStatus.SERIES_LIMIT, st);
                assertTrue(w.lastError().contains("max_active_series=" + maxSeries) && w.lastError().contains(maxSeries + " active series"), w.lastError());
                refused.add(l);
                refusedTotal++;
            } else if ((isA ? activeA : activeB) >= perMetric) {
                assertEquals(AppendStatus.SERIES_PER_METRIC_LIMIT, st);
                assertTrue(w.lastError().contains("metric a has " + perMetric + " active series")
                        && w.lastError().contains("max_active_series_per_metric=" + perMetric), w.lastError());
                refused.add(l);
                refusedMetric++;
            } else {
                assertEquals(AppendStatus.OK, st, w.lastError());
                stored.put(l, new java.util.ArrayList<>(List.of(new S(T0 + MIN, -k))));
                if (isA) { activeA++; admittedA++; } else { activeB++; admittedB++; }
            }
        }
        w.commit();
        assertTrue(refusedTotal > 0 && refusedMetric > 0 && admittedA > 1_000 && admittedB > 100,
                "the request meets both limits: " + refusedTotal + " " + refusedMetric + " " + admittedA + " " + admittedB);
        for (Labels l : stored.keySet()) ids.put(l, db.head().get(l).id);
        assertEquals(stored.size(), new java.util.HashSet<>(ids.values()).size(), "one id per series");
        db.crashForTesting();
        try (Tsdb db2 = Tsdb.open(TsdbOptions.builder(dir).walFsync(FsyncPolicy.ALWAYS).limits(limits).registryCapacity(1024).build(), clock::get)) {
            assertEquals(maxSeries, db2.activeSeries());
            assertEquals(perMetric, db2.activeSeries("a"));
            for (var e : stored.entrySet()) {
                assertEquals(e.getValue(), samples(db2, e.getKey()), e.getKey().toString());
                assertEquals(ids.get(e.getKey()), db2.head().get(e.getKey()).id, "same id after the crash: " + e.getKey());
            }
            for (Labels l : refused) assertEquals(List.of(), samples(db2, l), l.toString());
            assertEquals(AppendStatus.SERIES_LIMIT, db2.appender().append(b.apply(99_999), T0 + 2 * MIN, 1), "the limit holds after the crash");
            int max = ids.values().stream().mapToInt(Integer::intValue).max().orElseThrow();
            assertTrue(db2.registrySeries() >= stored.size());
            Appender w2 = db2.appender();
            assertEquals(AppendStatus.OK, w2.append(a.apply(0), T0 + 2 * MIN, 7), w2.lastError());
            w2.commit();
            assertTrue(db2.catalog().nextId() > max, "new ids stay above every id given before the crash");
        }
    }
}
