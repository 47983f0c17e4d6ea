package io.tsdb.core.db;

import io.tsdb.core.AppendStatus;
import io.tsdb.core.Appender;
import io.tsdb.core.Labels;
import io.tsdb.core.wal.FsyncPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@link Appender#canonical}: ingest parsers cache label sets by their wire bytes and keep the storage's
 * instance, so a series' label strings exist once however many parser caches (one per worker) know it.
 */
class AppenderCanonicalTest {
    static final long NOW = 1_700_000_000_000L;
    @TempDir Path dir;

    @Test
    void returnsTheStoragesInstanceOfAKnownSeriesAndTheArgumentOtherwise() throws Exception {
        try (Tsdb db = Tsdb.open(TsdbOptions.builder(dir).walFsync(FsyncPolicy.NEVER).build(), () -> NOW)) {
            Labels first = Labels.of("__name__", "cpu", "host", new String("h1"));
            Appender a = db.appender();
            assertSame(first, a.canonical(first), "unknown series: the argument");
            assertEquals(AppendStatus.OK, a.append(first, NOW - 1000, 1.0));
            Labels stored = a.canonical(first);
            assertEquals(first, stored);
            a.commit();

            // Another parser's copy, built from other strings, maps to the same stored instance, on any appender.
            Labels copy = Labels.of("__name__", new String("cpu"), "host", new String("h1"));
            Appender b = db.appender();
            Labels c = b.canonical(copy);
            assertNotSame(copy, c);
            assertSame(stored, c);
            assertSame(stored, db.appender().canonical(Labels.of("host", "h1", "__name__", "cpu")));
            Labels other = Labels.of("__name__", "cpu", "host", "h2");
            assertSame(other, b.canonical(other));
            b.rollback();
        }
    }

    /** {@link Appender#lastCreated}: true for the samples of a series this batch made, false once it is known. */
    @Test
    void lastCreatedTellsASeriesMadeByThisBatch() throws Exception {
        try (Tsdb db = Tsdb.open(TsdbOptions.builder(dir).walFsync(FsyncPolicy.NEVER).build(), () -> NOW)) {
            Labels l = Labels.of("__name__", "cpu", "host", "h1");
            Appender a = db.appender();
            assertEquals(AppendStatus.OK, a.append(l, NOW - 2000, 1.0));
            assertTrue(a.lastCreated());
            assertEquals(AppendStatus.OK, a.append(l, NOW - 1000, 2.0));
            assertTrue(a.lastCreated(), "a further sample of the series made by this batch");
            Labels other = Labels.of("__name__", "cpu", "host", "h2");
            assertEquals(AppendStatus.OK, a.append(other, NOW - 1000, 2.0));
            assertTrue(a.lastCreated());
            a.commit();
            Appender b = db.appender();
            assertEquals(AppendStatus.OK, b.append(Labels.of("__name__", "cpu", "host", "h1"), NOW - 500, 3.0));
            assertFalse(b.lastCreated(), "known series");
            assertEquals(AppendStatus.INVALID_METRIC_NAME, b.append(Labels.of("__name__", "1bad"), NOW - 500, 3.0));
            assertFalse(b.lastCreated(), "rejected");
            b.commit();
        }
    }
}
