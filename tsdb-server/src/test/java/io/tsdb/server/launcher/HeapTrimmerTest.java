package io.tsdb.server.launcher;

import io.tsdb.core.Appender;
import io.tsdb.core.AppendStatus;
import io.tsdb.core.Labels;
import io.tsdb.core.db.Tsdb;
import io.tsdb.core.db.TsdbOptions;
import io.tsdb.core.wal.FsyncPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.*;

class HeapTrimmerTest {
    static final long H = 3_600_000L;
    @TempDir Path dir;

    @Test
    void eventKeyMovesWhenTheStorageFlushesOrDropsSeriesAndNotOtherwise() throws Exception {
        long t0 = 1_700_006_400_000L - 1_700_006_400_000L % (2 * H);
        AtomicLong clock = new AtomicLong(t0);
        try (Tsdb db = Tsdb.open(TsdbOptions.builder(dir).walFsync(FsyncPolicy.NEVER).blockDuration(Duration.ofHours(2))
                .retention(Duration.ofDays(30)).build(), clock::get)) {
            Appender app = db.appender();
            Labels old = Labels.of("__name__", "m", "pod", "old"), fresh = Labels.of("__name__", "m", "pod", "new");
            assertEquals(AppendStatus.OK, app.append(old, t0, 1));
            app.commit();
            long k0 = HeapTrimmer.eventKey(db);
            assertEquals(AppendStatus.OK, app.append(old, t0 + 60_000, 2));
            app.commit();
            assertEquals(k0, HeapTrimmer.eventKey(db), "appends alone are no reason to collect");
            long w0 = HeapTrimmer.writeKey(db);
            assertEquals(w0, HeapTrimmer.writeKey(db), "no write in between: quiet");
            db.flush();
            assertEquals(w0, HeapTrimmer.writeKey(db), "a flush is no write");
            assertEquals(AppendStatus.OK, app.append(old, t0 + 120_000, 3));
            app.commit();
            assertNotEquals(w0, HeapTrimmer.writeKey(db), "a committed append is");
            long k1 = HeapTrimmer.eventKey(db);
            assertNotEquals(k0, k1, "a flush is");
            for (int w = 1; w <= 2; w++) {   // the old pod stops; two more windows flushed: it leaves the head
                long t = t0 + w * 2 * H;
                clock.set(t);
                assertEquals(AppendStatus.OK, app.append(fresh, t, w));
                app.commit();
                db.flush();
            }
            assertTrue(db.seriesRemoved() > 0, "the old pod left the head");
            assertNotEquals(k1, HeapTrimmer.eventKey(db));
        }
        assertEquals(Long.MIN_VALUE, HeapTrimmer.eventKey(null), "no storage yet");
        assertEquals(Long.MIN_VALUE, HeapTrimmer.writeKey(null));
    }

    @Test
    void startsOnlyWhenTheLauncherAsks() {
        String before = System.getProperty(HeapTrimmer.PROPERTY);
        try {
            System.clearProperty(HeapTrimmer.PROPERTY);
            assertNull(HeapTrimmer.startIfEnabled(() -> null), "plain java -jar: no collections asked for");
            System.setProperty(HeapTrimmer.PROPERTY, "true");
            try (HeapTrimmer t = HeapTrimmer.startIfEnabled(() -> null)) {
                assertNotNull(t);
                assertEquals(0, t.trims(), "nothing happened in the storage: nothing to trim");
            }
        } finally {
            if (before == null) System.clearProperty(HeapTrimmer.PROPERTY); else System.setProperty(HeapTrimmer.PROPERTY, before);
        }
    }

    @Test
    void trimsTheNativeHeapWhereTheJvmCan() {
        String before = System.getProperty(HeapTrimmer.PROPERTY);
        try {
            System.setProperty(HeapTrimmer.PROPERTY, "true");
            try (HeapTrimmer t = HeapTrimmer.startIfEnabled(() -> null)) {
                assertNotNull(t);
                boolean jvmHasIt = java.util.Arrays.stream(assertDoesNotThrow(() -> java.lang.management.ManagementFactory.getPlatformMBeanServer()
                        .getMBeanInfo(new javax.management.ObjectName("com.sun.management:type=DiagnosticCommand")).getOperations()))
                        .anyMatch(o -> o.getName().equals("systemTrimNativeHeap"));
                t.trimNativeHeap();
                t.trimNativeHeap();
                assertEquals(jvmHasIt ? 2 : 0, t.nativeTrims(), "a trim each time where the JVM has the command, none elsewhere");
            }
        } finally {
            if (before == null) System.clearProperty(HeapTrimmer.PROPERTY); else System.setProperty(HeapTrimmer.PROPERTY, before);
        }
    }
}
