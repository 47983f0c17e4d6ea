package io.tsdb.core.db;

import io.tsdb.core.AppendStatus;
import io.tsdb.core.Appender;
import io.tsdb.core.Labels;
import io.tsdb.core.Matcher;
import io.tsdb.core.Querier;
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
 * Series lifecycle: series that go quiet leave the head (and its postings) at the next flush but one, come back
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
        try (Tsdb db = open(Duration.ofHours(6), Limits.DEFAULT)) {
            for (int g = 0; g < 8; g++) {
                writeGeneration(db, g, pods);    // 600 new series per 30 min: registry tiers of 1024, 2048, ...
                db.flush();
            }
            assertEquals(8 * pods, db.registrySeries());
            regBytesAfterGrowth = allocatedBytes(dir.resolve("registry"));
            clock.set(T0 + (7 * 30 + 6 * 60) * MIN);   // the blocks of generations 0-6 are beyond retention, 7 is not
            db.maintain();
            assertTrue(db.lastRegistryShrink().seriesRemoved() > 0, "shrink: " + db.lastRegistryShrink());
            long left = db.registrySeries();
            assertTrue(left <= 2 * pods + 1024, left + " series left in the registry");
            // every series that still has data is still found, with its id
            for (int i = 0; i < pods; i++) assertNotNull(db.head().get(pod(7, i)));
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
}
