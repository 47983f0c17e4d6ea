package io.tsdb.core.db;

import io.tsdb.core.AppendStatus;
import io.tsdb.core.Appender;
import io.tsdb.core.Labels;
import io.tsdb.core.Matcher;
import io.tsdb.core.chunk.HistogramSeriesGen;
import io.tsdb.core.histogram.CounterResetHint;
import io.tsdb.core.histogram.FloatHistogram;
import io.tsdb.core.histogram.Histogram;
import io.tsdb.core.wal.FsyncPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import static io.tsdb.core.db.HistogramSamplesReader.X;
import static io.tsdb.core.db.HistogramSamplesReader.assertSame;
import static io.tsdb.core.db.HistogramSamplesReader.x;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Native histograms in blocks: flushed from the head, compacted with float and mixed series, read after a reopen,
 * deleted by delete_series (tombstones, then rewritten blocks), out of retention.
 */
class HistogramBlockTest {
    static final long H = Duration.ofHours(1).toMillis();
    static final long T0 = 1_700_006_400_000L - 1_700_006_400_000L % (18 * H);   // aligned to the 18h level
    @TempDir Path dir;
    final AtomicLong clock = new AtomicLong(T0);

    Tsdb open() throws Exception {
        return Tsdb.open(TsdbOptions.builder(dir).walFsync(FsyncPolicy.NEVER).blockDuration(Duration.ofHours(2))
                .retention(Duration.ofDays(30)).outOfOrderWindow(Duration.ZERO).build(), clock::get);
    }

    static Labels l(String name) { return Labels.of("__name__", name); }

    /** Writes four 2h windows (one flush each) of four series; returns what was written per series. */
    Map<String, List<X>> writeWindows(Tsdb db) throws Exception {
        Map<String, List<X>> want = new LinkedHashMap<>();
        for (String s : List.of("ints", "floats", "mixed", "plain")) want.put(s, new ArrayList<>());
        HistogramSeriesGen gi = HistogramSeriesGen.latency(1, 30), gf = HistogramSeriesGen.latency(2, 30), gm = HistogramSeriesGen.latency(3, 30);
        Histogram h = new Histogram();
        Appender app = db.appender();
        for (int w = 0; w < 4; w++) {
            for (int i = 0; i < 120; i++) {
                long t = T0 + w * 2 * H + i * 60_000L;
                clock.set(t);
                gi.step();
                gf.step();
                gm.step();
                if (w == 2 && i == 60) gi = HistogramSeriesGen.latency(4, 30);   // a counter reset (the client restarted)
                add(app, "ints", x(t, gi.current(h)), want);
                add(app, "floats", x(t, gf.current(h).toFloat(new FloatHistogram())), want);
                // mixed: floats, then integer histograms, then float histograms, then floats again, within and across windows
                int phase = (w * 120 + i) / 100;
                X m = switch (phase % 3) {
                    case 0 -> x(t, (double) i);
                    case 1 -> x(t, gm.current(h));
                    default -> x(t, gm.current(h).toFloat(new FloatHistogram()));
                };
                add(app, "mixed", m, want);
                add(app, "plain", x(t, w * 1000.0 + i), want);
            }
            app.commit();
            db.flush();
        }
        return want;
    }

    static void add(Appender a, String series, X s, Map<String, List<X>> want) {
        AppendStatus st = HistogramHeadTest.append(a, l(series), s);
        assertEquals(AppendStatus.OK, st, () -> series + " " + s + ": " + a.lastError());
        want.get(series).add(s);
    }

    static void assertAll(Tsdb db, Map<String, List<X>> want) {
        for (var e : want.entrySet()) assertSame(e.getValue(), HistogramSamplesReader.series(db, e.getKey()));
    }

    @Test
    void histogramsAreFlushedCompactedAndReadAfterAReopen() throws Exception {
        Map<String, List<X>> want;
        try (Tsdb db = open()) {
            want = writeWindows(db);
            assertEquals(4, db.blockCount());
            assertEquals(0, db.headSamples());
            assertAll(db, want);
            // the counter reset at window 2 started a chunk: its first sample reads UNKNOWN (a reader compares), the next NOT_COUNTER_RESET
            List<X> ints = HistogramSamplesReader.series(db, "ints");
            assertEquals(CounterResetHint.UNKNOWN, ((Histogram) ints.get(2 * 120 + 60).v()).hint);
            assertEquals(CounterResetHint.NOT_COUNTER_RESET, ((Histogram) ints.get(2 * 120 + 61).v()).hint);
            db.maintain();
            assertEquals(2, db.blockCount(), "the first three blocks merged");
            assertAll(db, want);
            assertEquals(CounterResetHint.UNKNOWN, ((Histogram) HistogramSamplesReader.series(db, "ints").get(2 * 120 + 60).v()).hint);
        }
        try (Tsdb db = open()) {
            assertAll(db, want);
            // a range inside one block, starting in the middle of a histogram chunk
            long from = T0 + 2 * H + 30 * 60_000L, to = T0 + 4 * H + 10 * 60_000L;
            Map<Labels, List<X>> part = HistogramSamplesReader.read(db, from, to, Matcher.eq("__name__", "floats"));
            List<X> expect = want.get("floats").stream().filter(s -> s.t() >= from && s.t() <= to).toList();
            assertSame(expect, part.get(l("floats")));
        }
    }

    @Test
    void deleteSeriesRemovesHistogramsFromBlocksAndHeadAndTheRewriteKeepsTheRest() throws Exception {
        try (Tsdb db = open()) {
            Map<String, List<X>> want = writeWindows(db);
            // more samples in the head
            HistogramSeriesGen g = HistogramSeriesGen.latency(9, 30);
            Histogram h = new Histogram();
            Appender app = db.appender();
            for (int i = 0; i < 30; i++) {
                long t = T0 + 8 * H + i * 60_000L;
                clock.set(t);
                g.step();
                add(app, "ints", x(t, g.current(h)), want);
            }
            app.commit();
            long from = T0 + 5 * H, to = T0 + 8 * H + 10 * 60_000L;   // the end of block 3, all of block 4, part of the head
            assertTrue(db.deleteSeries(List.of(List.of(Matcher.eq("__name__", "ints"))), from, to) > 0);
            want.put("ints", new ArrayList<>(want.get("ints").stream().filter(s -> s.t() < from || s.t() > to).toList()));
            assertAll(db, want);
            assertTrue(db.cleanTombstones() > 0, "blocks rewritten without the deleted samples");
            assertAll(db, want);
            db.flush();
            assertAll(db, want);
        }
    }

    @Test
    void blocksOutsideTheRetentionGoWithTheirHistograms() throws Exception {
        try (Tsdb db = open()) {
            Map<String, List<X>> want = writeWindows(db);
            long before = db.blockCount();
            clock.set(T0 + 30L * 24 * H + 3 * H);   // the first window is now older than 30 days
            db.maintain();
            assertTrue(db.blockCount() < before, "a block was dropped");
            for (var e : want.entrySet()) {
                List<X> got = HistogramSamplesReader.series(db, e.getKey());
                assertFalse(got.isEmpty());
                long oldest = got.get(0).t();
                assertTrue(oldest >= T0 + 2 * H, "the first window's samples are gone");
                assertSame(e.getValue().stream().filter(s -> s.t() >= oldest).toList(), got);
            }
        }
    }
}
