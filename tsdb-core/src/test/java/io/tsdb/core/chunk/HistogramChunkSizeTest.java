package io.tsdb.core.chunk;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.agrona.ExpandableArrayBuffer;
import org.junit.jupiter.api.Test;

import io.tsdb.core.histogram.CounterResetHint;
import io.tsdb.core.histogram.FloatHistogram;
import io.tsdb.core.histogram.Histogram;
import io.tsdb.core.histogram.Schemas;

/**
 * Bytes per histogram sample of our chunk encodings against Prometheus's on the same data (its encoding's size
 * computed bit for bit by {@link PrometheusHistogramChunkSize} over the very samples of each of our chunks, on the
 * same widened layout), 120 samples per chunk as Prometheus's head cuts them. Prints the figures (docs/format/
 * histogram-chunks.md quotes them); fails when ours is larger.
 */
class HistogramChunkSizeTest {
    static final int SAMPLES = 1200, PER_CHUNK = 120;

    interface Source { Histogram next(Histogram h, int i); }

    /** Returns {ours, prometheus} total bytes. */
    static long[] measure(Source src, boolean floats) {
        ExpandableArrayBuffer buf = new ExpandableArrayBuffer(4096);
        HistogramChunkAppender app = new HistogramChunkAppender();
        HistogramChunkIterator it = new HistogramChunkIterator();
        byte enc = floats ? HistogramChunkFormat.ENC_FLOAT_HISTOGRAM : HistogramChunkFormat.ENC_HISTOGRAM;
        long ours = 0, theirs = 0;
        int inChunk = 0;
        app.reset(buf, 0, enc);
        Histogram h = new Histogram();
        for (int i = 0; i <= SAMPLES; i++) {
            boolean end = i == SAMPLES;
            int r = HistogramChunkFormat.APPENDED;
            long t = 1_700_000_000_000L + 15_000L * i;
            if (!end) {
                src.next(h, i);
                r = inChunk == PER_CHUNK ? HistogramChunkFormat.CUT_FULL
                        : floats ? app.append(t, h.toFloat(new FloatHistogram())) : app.append(t, h);
            }
            if (end || r != HistogramChunkFormat.APPENDED) {
                int len = app.sizeInBytes();
                ours += len;
                // the same samples, as laid out in our chunk (Prometheus recodes to the widened layout too)
                it.reset(buf, 0, len);
                List<Long> ts = new ArrayList<>();
                List<Histogram> hs = new ArrayList<>();
                List<FloatHistogram> fs = new ArrayList<>();
                while (it.next()) {
                    ts.add(it.timestamp());
                    if (floats) fs.add(it.floatHistogram(new FloatHistogram())); else hs.add(it.histogram(new Histogram()));
                }
                long[] tsa = ts.stream().mapToLong(Long::longValue).toArray();
                theirs += floats ? PrometheusHistogramChunkSize.floatChunkBytes(tsa, fs.toArray(new FloatHistogram[0]), 0, tsa.length)
                        : PrometheusHistogramChunkSize.intChunkBytes(tsa, hs.toArray(new Histogram[0]), 0, tsa.length);
                if (end) break;
                app.reset(buf, 0, enc);
                inChunk = 0;
                r = floats ? app.append(t, h.toFloat(new FloatHistogram())) : app.append(t, h);
                assertEquals(HistogramChunkFormat.APPENDED, r);
            }
            inChunk++;
        }
        return new long[] {ours, theirs};
    }

    static Source gen(HistogramSeriesGen g) {
        return (h, i) -> { g.step(); return g.current(h); };
    }

    private static void report(String name, long[] r) {
        System.out.printf("histogram chunk size %-48s ours %7.2f B/sample, Prometheus %7.2f B/sample (%.0f%%)%n", name,
                r[0] / (double) SAMPLES, r[1] / (double) SAMPLES, 100.0 * r[0] / r[1]);
    }

    @Test
    void integerHistogramsTakeAtMostWhatPrometheusTakes() {
        Object[][] cases = {
                {"latency schema 3, 10 obs/scrape", HistogramSeriesGen.latency(1, 10)},
                {"latency schema 3, 100 obs/scrape", HistogramSeriesGen.latency(2, 100)},
                {"latency schema 3, 1000 obs/scrape", HistogramSeriesGen.latency(3, 1000)},
                {"latency schema 0, 100 obs/scrape", new HistogramSeriesGen(4, 0, Math.scalb(1.0, -128), 0.05, 1, 100, false)},
                {"schema 8 +/- values, 100 obs/scrape", new HistogramSeriesGen(5, 8, 0.001, 1, 0.5, 100, true)},
                {"idle (no observations)", HistogramSeriesGen.latency(6, 0)},
        };
        for (Object[] c : cases) {
            long[] r = measure(gen((HistogramSeriesGen) c[1]), false);
            report((String) c[0], r);
            assertTrue(r[0] <= r[1], c[0] + ": ours " + r[0] + " > Prometheus " + r[1]);
        }
        // custom buckets (classic le buckets as NHCB)
        double[] bounds = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
        Random rnd = new Random(7);
        long[] counts = new long[bounds.length + 1];
        long[] r = measure((h, i) -> {
            h.clear();
            h.schema = Schemas.CUSTOM_BUCKETS;
            h.customValues = bounds;
            for (int k = 0; k < 100; k++) {
                double v = 0.05 * Math.exp(rnd.nextGaussian());
                int b = 0;
                while (b < bounds.length && v > bounds[b]) b++;
                counts[b]++;
                h.sum += v;
            }
            h.positiveSpans.add(0, counts.length);
            long prev = 0, total = 0;
            for (long c : counts) { h.addPositiveDelta(c - prev); prev = c; total += c; }
            h.count = total;
            h.sum = total * 0.05 + i;
            return h;
        }, false);
        report("NHCB 11 bounds, 100 obs/scrape", r);
        assertTrue(r[0] <= r[1]);
    }

    @Test
    void floatHistogramsTakeAtMostWhatPrometheusTakes() {
        HistogramSeriesGen g = HistogramSeriesGen.latency(11, 100);
        long[] r = measure(gen(g), true);
        report("float: latency schema 3, 100 obs/scrape", r);
        assertTrue(r[0] <= r[1]);
        // gauge histograms of fractional values (e.g. recorded rates)
        HistogramSeriesGen g2 = new HistogramSeriesGen(12, 2, 0.001, 1, 1, 50, true);
        long[] r2 = measure((h, i) -> { g2.step(); g2.current(h); h.hint = CounterResetHint.GAUGE; return h; }, true);
        report("float: gauge schema 2, 50 obs/scrape", r2);
        assertTrue(r2[0] <= r2[1]);
    }
}
