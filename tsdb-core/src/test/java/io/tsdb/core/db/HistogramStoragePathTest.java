package io.tsdb.core.db;

import io.tsdb.core.AppendStatus;
import io.tsdb.core.Appender;
import io.tsdb.core.Labels;
import io.tsdb.core.Matcher;
import io.tsdb.core.Querier;
import io.tsdb.core.SampleCursor;
import io.tsdb.core.SeriesSet;
import io.tsdb.core.StaleNaN;
import io.tsdb.core.chunk.HistogramSeriesGen;
import io.tsdb.core.histogram.FloatHistogram;
import io.tsdb.core.histogram.Histogram;
import io.tsdb.core.wal.FsyncPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static io.tsdb.core.db.HistogramSamplesReader.X;
import static io.tsdb.core.db.HistogramSamplesReader.series;
import static org.junit.jupiter.api.Assertions.*;

/** Checkpointed histogram series state across a restart, and reads that allocate nothing per histogram sample. */
class HistogramStoragePathTest {
    static final long NOW = 1_700_000_000_000L;
    static final long T0 = NOW - 3 * 3_600_000L;
    private static final com.sun.management.ThreadMXBean MX = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    @TempDir Path dir;

    Tsdb open() throws Exception {
        return Tsdb.open(TsdbOptions.builder(dir).walFsync(FsyncPolicy.ALWAYS).outOfOrderWindow(Duration.ZERO).build(), () -> NOW);
    }

    static Labels l(String name) { return Labels.of("__name__", name); }

    @Test
    void theCheckpointKeepsThatASeriesEndedOnAHistogram() throws Exception {
        Tsdb db = open();
        HistogramSeriesGen g = HistogramSeriesGen.latency(1, 10);
        Histogram h = new Histogram();
        Appender a = db.appender();
        long t = T0;
        for (int i = 0; i < 10; i++, t += 15_000) {
            g.step();
            assertEquals(AppendStatus.OK, a.appendHistogram(l("h"), t, g.current(h)));
            assertEquals(AppendStatus.OK, a.appendFloatHistogram(l("fh"), t, h.toFloat(new FloatHistogram())));
        }
        a.commit();
        long last = t - 15_000;
        db.flush();   // the samples go to a block; the new WAL segment starts with the checkpoint (series + newest state)
        db.crashForTesting();
        db = open();
        try {
            a = db.appender();
            assertEquals(AppendStatus.DUPLICATE_DIFFERENT_VALUE, a.append(l("h"), last, 1.0), "a float where the newest sample is a histogram");
            assertEquals(AppendStatus.OUT_OF_ORDER, a.appendHistogram(l("h"), last - 1, h));
            assertEquals(AppendStatus.OK, a.append(l("h"), t, StaleNaN.VALUE));
            assertEquals(AppendStatus.OK, a.append(l("fh"), t, StaleNaN.VALUE));
            a.commit();
            List<X> hs = series(db, "h"), fhs = series(db, "fh");
            assertEquals(11, hs.size());
            assertEquals(SampleCursor.HISTOGRAM, hs.get(10).type(), "the stale marker of an integer histogram series");
            assertTrue(((Histogram) hs.get(10).v()).isStale());
            assertEquals(SampleCursor.FLOAT_HISTOGRAM, fhs.get(10).type(), "the stale marker of a float histogram series");
            assertTrue(((FloatHistogram) fhs.get(10).v()).isStale());
        } finally {
            db.close();
        }
    }

    /**
     * A read decodes a series' histograms into holders it keeps for the next series (head: one set per select, as
     * long as the longest series read; block: one per cursor, as long as the longest chunk): reading twice as many
     * series of the same length allocates less than 8 bytes per extra sample (a holder per sample would be over 500:
     * each of these histograms has about 70 buckets; what remains is the selection's own per-series work and
     * holders' bucket arrays growing for a series with more buckets than the ones before).
     */
    @Test
    void readingMoreHistogramSeriesAllocatesNothingPerSample() throws Exception {
        try (Tsdb db = open()) {
            int series = 40, points = 600;
            Appender a = db.appender();
            HistogramSeriesGen[] gens = new HistogramSeriesGen[series];
            for (int s = 0; s < series; s++) gens[s] = HistogramSeriesGen.latency(s, 20);
            Histogram h = new Histogram();
            for (int i = 0; i < points; i++) {
                for (int s = 0; s < series; s++) {
                    gens[s].step();
                    gens[s].current(h);
                    Labels l = Labels.of("__name__", "m", "g", s < series / 2 ? "a" : "b", "s", "" + s);
                    AppendStatus st = s % 2 == 0 ? a.appendHistogram(l, T0 + i * 15_000L, h)
                            : a.appendFloatHistogram(l, T0 + i * 15_000L, h.toFloat(new FloatHistogram()));
                    assertEquals(AppendStatus.OK, st);
                }
                a.commit();
            }
            long half = (long) series / 2 * points;
            for (String where : List.of("head", "block")) {
                if (where.equals("block")) db.flush();
                long one = readAllocations(db, half, Matcher.eq("g", "a"));
                long two = readAllocations(db, 2 * half, Matcher.re("g", "a|b"));
                assertTrue(two - one < 8 * half, "reading " + half + " more histograms from the " + where + " allocated " + (two - one)
                        + " more bytes (" + one + " for the first " + half + ")");
            }
        }
    }

    /** Bytes allocated by the last of a few full reads (the first ones grow the reusable holders). */
    private static long readAllocations(Tsdb db, long expect, Matcher m) {
        Histogram h = new Histogram();
        FloatHistogram f = new FloatHistogram();
        long bytes = 0;
        for (int round = 0; round < 4; round++) {
            long before = MX.getThreadAllocatedBytes(Thread.currentThread().getId());
            long n = 0, sink = 0;
            try (Querier q = db.querier(Long.MIN_VALUE, Long.MAX_VALUE)) {
                SeriesSet ss = q.select(List.of(Matcher.eq("__name__", "m"), m));
                while (ss.next()) {
                    SampleCursor c = ss.cursor();
                    while (c.next()) {
                        n++;
                        sink += c.sampleType() == SampleCursor.HISTOGRAM ? c.histogram(h).count : (long) c.floatHistogram(f).count;
                    }
                }
            }
            bytes = MX.getThreadAllocatedBytes(Thread.currentThread().getId()) - before;
            assertEquals(expect, n);
            assertTrue(sink > 0);
        }
        return bytes;
    }
}
