package io.tsdb.core.db;

import io.tsdb.core.AppendStatus;
import io.tsdb.core.Appender;
import io.tsdb.core.Labels;
import io.tsdb.core.SampleCursor;
import io.tsdb.core.StaleNaN;
import io.tsdb.core.chunk.HistogramSeriesGen;
import io.tsdb.core.histogram.CounterResetHint;
import io.tsdb.core.histogram.FloatHistogram;
import io.tsdb.core.histogram.Histogram;
import io.tsdb.core.wal.FsyncPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static io.tsdb.core.db.HistogramSamplesReader.X;
import static io.tsdb.core.db.HistogramSamplesReader.assertSame;
import static io.tsdb.core.db.HistogramSamplesReader.series;
import static io.tsdb.core.db.HistogramSamplesReader.x;
import static org.junit.jupiter.api.Assertions.*;

/** Native histograms in the head: append and query, float/histogram switches, stale markers, append rules, WAL replay. */
class HistogramHeadTest {
    static final long NOW = 1_700_000_000_000L;
    static final long T0 = NOW - 3 * 3_600_000L;
    @TempDir Path dir;
    Tsdb db;

    Tsdb open(Duration ooo) throws Exception {
        db = Tsdb.open(TsdbOptions.builder(dir).walFsync(FsyncPolicy.ALWAYS).outOfOrderWindow(ooo).build(), () -> NOW);
        return db;
    }

    @AfterEach
    void close() throws Exception {
        if (db != null) db.close();
    }

    static Labels l(String name) { return Labels.of("__name__", name, "job", "api"); }

    /** n scrapes of a client-style histogram every 15 s from T0 (integer, or converted to float). */
    static List<X> gen(long seed, int n, boolean floats) {
        HistogramSeriesGen g = HistogramSeriesGen.latency(seed, 20);
        List<X> out = new ArrayList<>();
        Histogram h = new Histogram();
        for (int i = 0; i < n; i++) {
            g.step();
            g.current(h);
            long t = T0 + 15_000L * i;
            out.add(floats ? x(t, h.toFloat(new FloatHistogram())) : x(t, h));
        }
        return out;
    }

    static AppendStatus append(Appender a, Labels l, X s) {
        if (s.v() instanceof Double d) return a.append(l, s.t(), d);
        if (s.v() instanceof Histogram h) return a.appendHistogram(l, s.t(), h);
        return a.appendFloatHistogram(l, s.t(), (FloatHistogram) s.v());
    }

    static void write(Tsdb db, Labels l, List<X> samples) throws Exception {
        Appender a = db.appender();
        for (X s : samples) assertEquals(AppendStatus.OK, append(a, l, s), () -> s + ": " + a.lastError());
        a.commit();
    }

    @Test
    void integerAndFloatHistogramsRoundTripThroughTheHead() throws Exception {
        open(Duration.ZERO);
        List<X> ints = gen(1, 300, false), floats = gen(2, 300, true);
        write(db, l("ints"), ints);
        write(db, l("floats"), floats);
        assertSame(ints, series(db, "ints"));
        assertSame(floats, series(db, "floats"));
        assertEquals(600, db.headSamples());
        // 300 samples cut at most 120 per chunk: at least 3 chunks per series
        assertTrue(db.headChunks() >= 6, "chunks " + db.headChunks());
        // a range inside the data, and seek
        var sub = HistogramSamplesReader.read(db, ints.get(100).t(), ints.get(199).t(), io.tsdb.core.Matcher.eq("__name__", "ints"));
        assertSame(ints.subList(100, 200), sub.values().iterator().next());
    }

    @Test
    void aSeriesSwitchesBetweenFloatsAndHistograms() throws Exception {
        open(Duration.ZERO);
        List<X> hs = gen(3, 40, false), fhs = gen(4, 40, true);
        List<X> want = new ArrayList<>();
        long t = T0;
        for (int phase = 0; phase < 4; phase++) {
            for (int i = 0; i < 10; i++, t += 15_000) {
                X s = switch (phase) {
                    case 0, 2 -> x(t, (double) (phase * 100 + i));
                    case 1 -> x(t, (Histogram) hs.get(10 + i).v());
                    default -> x(t, (FloatHistogram) fhs.get(10 + i).v());
                };
                want.add(s);
            }
        }
        // in one commit, so the WAL records come in runs of each kind
        write(db, l("mixed"), want);
        List<X> got = series(db, "mixed");
        assertSame(want, got);
        assertEquals(SampleCursor.FLOAT, got.get(9).type());
        assertEquals(SampleCursor.HISTOGRAM, got.get(10).type());
        assertEquals(SampleCursor.FLOAT, got.get(20).type());
        assertEquals(SampleCursor.FLOAT_HISTOGRAM, got.get(39).type());
        assertEquals(4, db.headChunks(), "a new chunk at each switch");

        db.crashForTesting();
        db = null;
        open(Duration.ZERO);
        assertSame(want, series(db, "mixed"));
    }

    @Test
    void aFloatStaleMarkerEndsAHistogramSeriesAsAHistogramStaleMarker() throws Exception {
        open(Duration.ZERO);
        List<X> hs = gen(5, 5, false);
        write(db, l("h"), hs);
        long tStale = hs.get(4).t() + 15_000;
        Appender a = db.appender();
        assertEquals(AppendStatus.OK, a.append(l("h"), tStale, StaleNaN.VALUE));
        a.commit();
        List<X> got = series(db, "h");
        assertEquals(6, got.size());
        assertEquals(SampleCursor.HISTOGRAM, got.get(5).type(), "a histogram stale marker, as Prometheus stores it");
        assertTrue(((Histogram) got.get(5).v()).isStale());
        // the same marker again is a duplicate; then the series may continue with floats
        a = db.appender();
        assertEquals(AppendStatus.DUPLICATE_SAME_VALUE, a.append(l("h"), tStale, StaleNaN.VALUE));
        assertEquals(AppendStatus.OK, a.append(l("h"), tStale + 15_000, 1.5));
        a.commit();
        got = series(db, "h");
        assertEquals(7, got.size());
        assertEquals(SampleCursor.FLOAT, got.get(6).type());

        db.crashForTesting();
        db = null;
        open(Duration.ZERO);
        List<X> back = series(db, "h");
        assertSame(got, back);
    }

    @Test
    void outOfOrderTooOldAndDuplicateRulesApplyToHistograms() throws Exception {
        open(Duration.ZERO);
        List<X> hs = gen(6, 10, false);
        write(db, l("h"), hs.subList(0, 5));
        Appender a = db.appender();
        Histogram older = (Histogram) hs.get(2).v();
        assertEquals(AppendStatus.OUT_OF_ORDER, a.appendHistogram(l("h"), hs.get(2).t() - 1, older));
        assertTrue(a.lastError().contains("job=\"api\""), a.lastError());
        assertEquals(AppendStatus.DUPLICATE_SAME_VALUE, a.appendHistogram(l("h"), hs.get(4).t(), (Histogram) hs.get(4).v()));
        assertEquals(AppendStatus.DUPLICATE_DIFFERENT_VALUE, a.appendHistogram(l("h"), hs.get(4).t(), (Histogram) hs.get(3).v()));
        assertEquals(AppendStatus.DUPLICATE_DIFFERENT_VALUE, a.append(l("h"), hs.get(4).t(), 1.0), "a float at a histogram's timestamp");
        assertEquals(0, a.pending());
        a.commit();
        assertSame(hs.subList(0, 5), series(db, "h"));
    }

    @Test
    void outOfOrderHistogramsInsideTheWindowAreStoredAndReadInOrder() throws Exception {
        open(Duration.ofMinutes(5));
        List<X> hs = gen(7, 40, false);
        List<X> inOrder = new ArrayList<>(), late = new ArrayList<>();
        for (int i = 0; i < hs.size(); i++) (i % 4 == 1 ? late : inOrder).add(hs.get(i));
        write(db, l("h"), inOrder);
        write(db, l("h"), late.subList(late.size() - 5, late.size()));   // within 5 minutes of the newest sample
        Appender a = db.appender();
        assertEquals(AppendStatus.TOO_OLD, a.appendHistogram(l("h"), late.get(0).t(), (Histogram) late.get(0).v()));
        assertTrue(a.lastError().contains("out-of-order window"), a.lastError());
        // a duplicate of a sample stored out of order, and of one inside a closed chunk
        X dup = late.get(late.size() - 1);
        assertEquals(AppendStatus.DUPLICATE_SAME_VALUE, a.appendHistogram(l("h"), dup.t(), (Histogram) dup.v()));
        X inChunk = inOrder.get(inOrder.size() - 3);
        assertEquals(AppendStatus.DUPLICATE_SAME_VALUE, a.appendHistogram(l("h"), inChunk.t(), (Histogram) inChunk.v()));
        assertEquals(AppendStatus.DUPLICATE_DIFFERENT_VALUE, a.appendHistogram(l("h"), inChunk.t(), (Histogram) dup.v()));
        a.commit();
        List<X> want = new ArrayList<>(inOrder);
        want.addAll(late.subList(late.size() - 5, late.size()));
        want.sort(java.util.Comparator.comparingLong(X::t));
        assertSame(want, series(db, "h"));

        db.crashForTesting();
        db = null;
        open(Duration.ofMinutes(5));
        assertSame(want, series(db, "h"));
    }

    @Test
    void anInvalidHistogramIsRejectedBeforeAnythingIsStagedNamingTheSeriesAndTheRule() throws Exception {
        open(Duration.ZERO);
        Histogram bad = new Histogram().copyFrom((Histogram) gen(8, 3, false).get(2).v());
        bad.count += 5;   // more than the buckets hold, with a non-NaN sum
        Appender a = db.appender();
        assertEquals(AppendStatus.INVALID_HISTOGRAM, a.appendHistogram(l("bad"), T0, bad));
        assertTrue(a.lastError().contains("bad{job=\"api\"}"), a.lastError());
        assertTrue(a.lastError().contains("count-mismatch"), a.lastError());
        FloatHistogram badF = bad.toFloat(new FloatHistogram());
        badF.schema = 9;
        assertEquals(AppendStatus.INVALID_HISTOGRAM, a.appendFloatHistogram(l("bad"), T0, badF));
        assertTrue(a.lastError().contains("invalid-schema"), a.lastError());
        assertEquals(0, a.pending());
        a.commit();
        assertEquals(0, db.activeSeries(), "no series created for a rejected histogram");
        assertEquals(2, db.counters().samplesRejected(AppendStatus.INVALID_HISTOGRAM));
    }

    @Test
    void countersResetsCutChunksAndKeepTheHint() throws Exception {
        open(Duration.ZERO);
        List<X> a = gen(9, 20, false), b = gen(10, 20, false);
        List<X> want = new ArrayList<>(a);
        long t = a.get(19).t();
        for (X s : b.subList(0, 5)) want.add(x(t += 15_000, (Histogram) s.v()));   // restarts from low counts
        write(db, l("h"), want);
        List<X> got = series(db, "h");
        assertSame(want, got);
        // the reset cut a chunk (its header says COUNTER_RESET); readers see UNKNOWN for a chunk's first sample, as upstream
        assertEquals(CounterResetHint.UNKNOWN, ((Histogram) got.get(20).v()).hint);
        assertEquals(CounterResetHint.NOT_COUNTER_RESET, ((Histogram) got.get(21).v()).hint);
    }

    @Test
    void histogramsAreReplayedFromTheWalAfterACrash() throws Exception {
        open(Duration.ZERO);
        List<X> ints = gen(11, 250, false), floats = gen(12, 250, true);
        // several commits, interleaving the series and float samples of a third one
        for (int c = 0; c < 5; c++) {
            Appender a = db.appender();
            for (int i = c * 50; i < (c + 1) * 50; i++) {
                assertEquals(AppendStatus.OK, append(a, l("ints"), ints.get(i)));
                assertEquals(AppendStatus.OK, a.append(l("plain"), ints.get(i).t(), i));
                assertEquals(AppendStatus.OK, append(a, l("floats"), floats.get(i)));
            }
            a.commit();
        }
        db.crashForTesting();   // no flush, no close: the WAL is all there is
        db = null;
        open(Duration.ZERO);
        assertSame(ints, series(db, "ints"));
        assertSame(floats, series(db, "floats"));
        assertEquals(250, series(db, "plain").size());
        assertEquals(750, db.walReplaySamples());
        // the series go on after the restart (duplicate check against the replayed newest sample)
        Appender a = db.appender();
        assertEquals(AppendStatus.DUPLICATE_SAME_VALUE, append(a, l("ints"), ints.get(249)));
        a.commit();
    }
}
