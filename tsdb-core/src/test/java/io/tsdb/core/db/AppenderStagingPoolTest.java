package io.tsdb.core.db;

import io.tsdb.core.AppendStatus;
import io.tsdb.core.Appender;
import io.tsdb.core.Labels;
import io.tsdb.core.wal.FsyncPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static io.tsdb.core.db.TsdbTestSupport.S;
import static io.tsdb.core.db.TsdbTestSupport.samples;
import static org.junit.jupiter.api.Assertions.*;

/** Appenders borrow their staging arrays from a pool: nothing staged may leak from one appender into another. */
class AppenderStagingPoolTest {
    static final long NOW = 1_700_000_000_000L;
    @TempDir Path dir;

    Tsdb open() throws Exception {
        return Tsdb.open(TsdbOptions.builder(dir).walFsync(FsyncPolicy.NEVER).build(), () -> NOW);
    }

    static List<S> expected(long t0, int n, double v0) {
        List<S> l = new ArrayList<>();
        for (int i = 0; i < n; i++) l.add(new S(t0 + i, v0 + i));
        return l;
    }

    @Test
    void stagedSamplesNeverLeakBetweenPooledAppenders() throws Exception {
        Labels a = Labels.of("__name__", "m", "s", "a"), b = Labels.of("__name__", "m", "s", "b");
        long t0 = NOW - 1_000_000;
        try (Tsdb db = open()) {
            Appender first = db.appender();
            for (int i = 0; i < 5000; i++) assertEquals(AppendStatus.OK, first.append(a, t0 + i, i)); // grows the staging
            first.commit();
            assertEquals(1, db.pooledStagings(), "the grown staging went back to the pool");

            Appender rolledBack = db.appender();
            for (int i = 0; i < 10; i++) assertEquals(AppendStatus.OK, rolledBack.append(b, t0 + i, -1));
            assertEquals(0, db.pooledStagings(), "borrowed while staging");
            rolledBack.rollback();
            assertEquals(1, db.pooledStagings());

            Appender third = db.appender();
            for (int i = 0; i < 5; i++) assertEquals(AppendStatus.OK, third.append(b, t0 + i, 100 + i));
            assertEquals(5, third.pending());
            third.commit();
            // reused after commit: borrows again
            assertEquals(AppendStatus.OK, third.append(b, t0 + 5, 105));
            third.commit();

            assertEquals(expected(t0, 5000, 0), samples(db, a));
            assertEquals(expected(t0, 6, 100), samples(db, b));
        }
    }

    @Test
    void appendersOpenAtTheSameTimeHaveTheirOwnStaging() throws Exception {
        Labels a = Labels.of("__name__", "m", "s", "a"), b = Labels.of("__name__", "m", "s", "b");
        long t0 = NOW - 1_000_000;
        try (Tsdb db = open()) {
            db.appender().rollback(); // nothing borrowed by an appender that staged nothing
            assertEquals(0, db.pooledStagings());
            Appender x = db.appender(), y = db.appender();
            for (int i = 0; i < 300; i++) {
                assertEquals(AppendStatus.OK, x.append(a, t0 + i, i));
                assertEquals(AppendStatus.OK, y.append(b, t0 + i, 1000 + i));
            }
            x.commit();
            Appender z = db.appender(); // may get x's staging back while y still holds its own
            for (int i = 300; i < 310; i++) assertEquals(AppendStatus.OK, z.append(a, t0 + i, i));
            y.commit();
            z.commit();
            assertEquals(expected(t0, 310, 0), samples(db, a));
            assertEquals(expected(t0, 300, 1000), samples(db, b));
            assertEquals(2, db.pooledStagings());
        }
    }

    @Test
    void idleStagingsAreDroppedOnRequestAndAStagingInUseIsKept() throws Exception {
        Labels a = Labels.of("__name__", "m", "s", "a"), b = Labels.of("__name__", "m", "s", "b");
        long t0 = NOW - 2_000_000;
        try (Tsdb db = open()) {
            Appender x = db.appender(), y = db.appender();
            for (int i = 0; i < 4000; i++) {
                assertEquals(AppendStatus.OK, x.append(a, t0 + i, i));
                assertEquals(AppendStatus.OK, y.append(b, t0 + i, -i));
            }
            x.commit();
            y.commit();
            assertEquals(2, db.pooledStagings());
            db.releaseIdleStagings();
            assertEquals(0, db.pooledStagings(), "the idle stagings left the pool");

            Appender busy = db.appender();
            for (int i = 4000; i < 4010; i++) assertEquals(AppendStatus.OK, busy.append(a, t0 + i, i));
            db.releaseIdleStagings();   // while an appender holds a staging: it keeps it and commits what it staged
            busy.commit();
            assertEquals(1, db.pooledStagings(), "the busy appender's staging came back after the release");
            Appender next = db.appender();
            for (int i = 4000; i < 4100; i++) assertEquals(AppendStatus.OK, next.append(b, t0 + i, -i));
            next.commit();
            assertEquals(expected(t0, 4010, 0), samples(db, a));
            List<S> bs = new ArrayList<>();
            for (int i = 0; i < 4100; i++) bs.add(new S(t0 + i, -i));
            assertEquals(bs, samples(db, b));
        }
    }

    @Test
    void oversizedStagingsAreNotKept() throws Exception {
        Labels a = Labels.of("__name__", "m", "s", "a");
        long t0 = NOW - 3_000_000;
        try (Tsdb db = open()) {
            Appender big = db.appender();
            int n = Tsdb.MAX_POOLED_SAMPLES + 1;
            for (int i = 0; i < n; i++) assertEquals(AppendStatus.OK, big.append(a, t0 + i, i));
            big.commit();
            assertEquals(0, db.pooledStagings(), "a staging grown beyond the cap is left to the GC");
            assertEquals(n, samples(db, a).size());
        }
    }
}
