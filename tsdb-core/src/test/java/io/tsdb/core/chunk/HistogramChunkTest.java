package io.tsdb.core.chunk;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import io.tsdb.core.StaleNaN;
import io.tsdb.core.histogram.CounterResetHint;
import io.tsdb.core.histogram.FloatHistogram;
import io.tsdb.core.histogram.Histogram;
import io.tsdb.core.histogram.HistogramValidator;
import io.tsdb.core.histogram.Schemas;

class HistogramChunkTest {

    /** The chunk's samples as integer histograms. */
    static List<Histogram> decodeInt(ExpandableArrayBuffer buf, int off, int len, List<Long> ts) {
        HistogramChunkIterator it = new HistogramChunkIterator().reset(buf, off, len);
        List<Histogram> out = new ArrayList<>();
        while (it.next()) {
            ts.add(it.timestamp());
            out.add(it.histogram(new Histogram()));
        }
        assertEquals(it.size(), out.size());
        return out;
    }

    static boolean sameIgnoringEmptyBuckets(Histogram a, Histogram b) {
        Histogram x = new Histogram().copyFrom(a).compact(0), y = new Histogram().copyFrom(b).compact(0);
        return x.sameData(y);
    }

    static boolean sameIgnoringEmptyBuckets(FloatHistogram a, FloatHistogram b) {
        FloatHistogram x = new FloatHistogram().copyFrom(a).compact(0), y = new FloatHistogram().copyFrom(b).compact(0);
        return x.sameData(y);
    }

    @Test
    void integerHistogramsRoundTripWhileBucketsFillIn() {
        for (long seed = 1; seed <= 13; seed++) {
            HistogramSeriesGen g = new HistogramSeriesGen(seed, (int) (seed % 13) - 4, seed % 3 == 0 ? 0 : Math.scalb(1.0, -128), 0.05, 1.5, 30, seed % 2 == 0);
            ExpandableArrayBuffer buf = new ExpandableArrayBuffer(64);
            HistogramChunkAppender app = new HistogramChunkAppender().reset(buf, 7, HistogramChunkFormat.ENC_HISTOGRAM);
            List<Histogram> in = new ArrayList<>();
            List<Long> ints = new ArrayList<>();
            long t = 1_700_000_000_000L;
            for (int i = 0; i < 300; i++) {
                g.step();
                Histogram h = g.current(new Histogram());
                if (i == 17) h.sum = Double.NaN; // NaN observations: count above the bucket total
                if (i == 17) { h.count += 3; }
                HistogramValidator.validate(h);
                t += 15_000 + (i % 7 == 0 ? (seed * 37 % 50) : 0);
                assertEquals(HistogramChunkFormat.APPENDED, app.append(t, h), "sample " + i);
                in.add(h);
                ints.add(t);
            }
            List<Long> outTs = new ArrayList<>();
            List<Histogram> out = decodeInt(buf, 7, app.sizeInBytes(), outTs);
            assertEquals(ints, outTs);
            for (int i = 0; i < in.size(); i++) {
                assertTrue(sameIgnoringEmptyBuckets(in.get(i), out.get(i)), "seed " + seed + " sample " + i + ": " + in.get(i) + " vs " + out.get(i));
                HistogramValidator.validate(out.get(i));
                // every sample comes back on the chunk's (widened) layout
                assertTrue(out.get(i).positiveSpans.sameLayout(out.get(out.size() - 1).positiveSpans));
            }
            assertEquals(CounterResetHint.UNKNOWN, out.get(0).hint);
            assertEquals(CounterResetHint.NOT_COUNTER_RESET, out.get(1).hint);
        }
    }

    @Test
    void floatHistogramsRoundTripBitExactly() {
        Random rnd = new Random(5);
        for (long seed = 1; seed <= 4; seed++) {
            HistogramSeriesGen g = new HistogramSeriesGen(seed, 2, 0.001, 1, 2, 20, true);
            ExpandableArrayBuffer buf = new ExpandableArrayBuffer(64);
            HistogramChunkAppender app = new HistogramChunkAppender().reset(buf, 0, HistogramChunkFormat.ENC_FLOAT_HISTOGRAM);
            List<FloatHistogram> in = new ArrayList<>();
            FloatHistogram f = new FloatHistogram();
            for (int i = 0; i < 200; i++) {
                g.step();
                Histogram h = g.current(new Histogram());
                FloatHistogram fh = h.toFloat(new FloatHistogram()).mul(1 / 60.0); // a rate, say
                fh.hint = CounterResetHint.GAUGE;
                if (i == 50) fh.sum = -0.0;
                if (i == 51) fh.positiveBuckets[0] = Double.longBitsToDouble(0x7ff8000000000abcL);
                assertEquals(HistogramChunkFormat.APPENDED, app.append(1000L * i, fh), "sample " + i);
                in.add(fh);
            }
            HistogramChunkIterator it = new HistogramChunkIterator().reset(buf, 0, app.sizeInBytes());
            for (int i = 0; it.next(); i++) {
                assertEquals(1000L * i, it.timestamp());
                it.floatHistogram(f);
                assertTrue(sameIgnoringEmptyBuckets(in.get(i), f), "sample " + i);
                assertEquals(CounterResetHint.GAUGE, f.hint);
            }
            assertEquals(0x7ff8000000000abcL, Double.doubleToRawLongBits(in.get(51).positiveBuckets[0]));
            assertEquals(200, it.size());
        }
    }

    private static Histogram simple(int schema, long... counts) {
        Histogram h = new Histogram();
        h.schema = schema;
        h.positiveSpans.add(0, counts.length);
        long prev = 0, total = 0;
        for (long c : counts) { h.addPositiveDelta(c - prev); prev = c; total += c; }
        h.count = total;
        h.sum = total;
        return h;
    }

    @Test
    void appenderSaysWhenTheChunkMustBeCut() {
        ExpandableArrayBuffer buf = new ExpandableArrayBuffer(64);
        HistogramChunkAppender app = new HistogramChunkAppender().reset(buf, 0, HistogramChunkFormat.ENC_HISTOGRAM);
        assertEquals(HistogramChunkFormat.APPENDED, app.append(1, simple(0, 1, 2)));
        assertEquals(HistogramChunkFormat.APPENDED, app.append(2, simple(0, 2, 2)));
        byte[] before = new byte[app.sizeInBytes()];
        buf.getBytes(0, before);
        assertEquals(HistogramChunkFormat.CUT_LAYOUT, app.append(3, simple(1, 5, 5)));
        assertEquals(HistogramChunkFormat.CUT_COUNTER_RESET, app.append(3, simple(0, 1, 5)), "a bucket went down");
        Histogram lost = simple(0, 3); // bucket 1 disappeared while populated
        assertEquals(HistogramChunkFormat.CUT_COUNTER_RESET, app.append(3, lost));
        Histogram reset = simple(0, 9, 9);
        reset.hint = CounterResetHint.COUNTER_RESET;
        assertEquals(HistogramChunkFormat.CUT_COUNTER_RESET, app.append(3, reset));
        Histogram gauge = simple(0, 9, 9);
        gauge.hint = CounterResetHint.GAUGE;
        assertEquals(HistogramChunkFormat.CUT_KIND, app.append(3, gauge));
        Histogram zt = simple(0, 9, 9);
        zt.zeroThreshold = 0.5;
        assertEquals(HistogramChunkFormat.CUT_LAYOUT, app.append(3, zt));
        assertThrows(IllegalArgumentException.class, () -> app.append(1, simple(0, 9, 9)));
        byte[] after = new byte[app.sizeInBytes()];
        buf.getBytes(0, after);
        assertArrayEquals(before, after, "refused samples leave the chunk unchanged");
        assertEquals(2, app.numSamples());
        // a stale marker fits whatever its layout, and the next sample is no reset
        Histogram stale = new Histogram().setStale();
        assertEquals(HistogramChunkFormat.APPENDED, app.append(4, stale));
        assertEquals(HistogramChunkFormat.APPENDED, app.append(5, simple(0, 3, 3)));
        List<Long> ts = new ArrayList<>();
        List<Histogram> out = decodeInt(buf, 0, app.sizeInBytes(), ts);
        assertTrue(out.get(2).isStale());
        assertEquals(StaleNaN.BITS, Double.doubleToRawLongBits(out.get(2).sum));
        assertTrue(out.get(3).sameData(simple(0, 3, 3)));

        // gauge chunks take decreases
        HistogramChunkAppender g = new HistogramChunkAppender().reset(new ExpandableArrayBuffer(), 0, HistogramChunkFormat.ENC_HISTOGRAM);
        Histogram g1 = simple(0, 5, 5), g2 = simple(0, 1, 0, 7);
        g1.hint = g2.hint = CounterResetHint.GAUGE;
        assertEquals(HistogramChunkFormat.APPENDED, g.append(1, g1));
        assertEquals(HistogramChunkFormat.APPENDED, g.append(2, g2));
        assertEquals(CounterResetHint.GAUGE, HistogramChunkFormat.firstSampleHint(g.buffer(), 0));

        // after a detected reset the caller starts the next chunk recording COUNTER_RESET for its first sample
        HistogramChunkAppender next = new HistogramChunkAppender().reset(new ExpandableArrayBuffer(), 0, HistogramChunkFormat.ENC_HISTOGRAM)
                .firstSampleHint(CounterResetHint.COUNTER_RESET);
        assertEquals(HistogramChunkFormat.APPENDED, next.append(3, simple(0, 1, 5)));
        assertEquals(HistogramChunkFormat.APPENDED, next.append(4, simple(0, 2, 6)));
        List<Histogram> afterReset = decodeInt((ExpandableArrayBuffer) next.buffer(), 0, next.sizeInBytes(), new ArrayList<>());
        assertEquals(CounterResetHint.COUNTER_RESET, HistogramChunkFormat.firstSampleHint(next.buffer(), 0), "the header keeps it");
        // readers see UNKNOWN for a counter chunk's first sample (they compare to detect a reset, as upstream)
        assertEquals(CounterResetHint.UNKNOWN, afterReset.get(0).hint);
        assertEquals(CounterResetHint.NOT_COUNTER_RESET, afterReset.get(1).hint);
        assertThrows(IllegalStateException.class, () -> next.firstSampleHint(CounterResetHint.UNKNOWN));
    }

    @Test
    void aFixedRegionEndsTheChunkCleanly() {
        UnsafeBuffer fixed = new UnsafeBuffer(new byte[600]);
        HistogramChunkAppender app = new HistogramChunkAppender().reset(fixed, 0, 600, HistogramChunkFormat.ENC_HISTOGRAM);
        HistogramSeriesGen g = HistogramSeriesGen.latency(3, 10);
        int appended = 0;
        List<Histogram> in = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            g.step();
            Histogram h = g.current(new Histogram());
            int r = app.append(i * 10_000L, h);
            if (r == HistogramChunkFormat.CUT_FULL) break;
            assertEquals(HistogramChunkFormat.APPENDED, r);
            in.add(h);
            appended++;
        }
        assertTrue(appended > 5 && appended < 1000, "appended " + appended);
        assertTrue(app.sizeInBytes() <= 600);
        HistogramChunkIterator it = new HistogramChunkIterator().reset(fixed, 0, app.sizeInBytes());
        Histogram h = new Histogram();
        for (int i = 0; it.next(); i++) assertTrue(sameIgnoringEmptyBuckets(in.get(i), it.histogram(h)));
    }

    @Test
    void customBucketsRoundTrip() {
        double[] bounds = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 1.0 / 3};
        bounds = java.util.Arrays.copyOf(bounds, 11); // strictly increasing part
        double[] withOdd = {0.005, 0.01, 1.0 / 3, 1e300};
        for (double[] b : new double[][] {bounds, withOdd}) {
            ExpandableArrayBuffer buf = new ExpandableArrayBuffer();
            HistogramChunkAppender app = new HistogramChunkAppender().reset(buf, 0, HistogramChunkFormat.ENC_HISTOGRAM);
            List<Histogram> in = new ArrayList<>();
            long[] counts = new long[b.length + 1];
            Random rnd = new Random(9);
            for (int i = 0; i < 50; i++) {
                for (int k = 0; k < counts.length; k++) counts[k] += rnd.nextInt(4);
                Histogram h = simple(Schemas.CUSTOM_BUCKETS, counts);
                h.customValues = b;
                HistogramValidator.validate(h);
                assertEquals(HistogramChunkFormat.APPENDED, app.append(i, h));
                in.add(h);
            }
            Histogram other = simple(Schemas.CUSTOM_BUCKETS, counts);
            other.customValues = new double[] {1, 2};
            assertEquals(HistogramChunkFormat.CUT_LAYOUT, app.append(99, other));
            List<Histogram> out = decodeInt(buf, 0, app.sizeInBytes(), new ArrayList<>());
            for (int i = 0; i < in.size(); i++) assertTrue(in.get(i).sameData(out.get(i)), i + ": " + out.get(i));
        }
    }

    @Test
    void reopenContinuesAChunkAsIfNeverInterrupted() {
        for (byte enc : new byte[] {HistogramChunkFormat.ENC_HISTOGRAM, HistogramChunkFormat.ENC_FLOAT_HISTOGRAM}) {
            HistogramSeriesGen g1 = HistogramSeriesGen.latency(8, 20), g2 = HistogramSeriesGen.latency(8, 20);
            ExpandableArrayBuffer a = new ExpandableArrayBuffer(), b = new ExpandableArrayBuffer();
            HistogramChunkAppender one = new HistogramChunkAppender().reset(a, 0, enc);
            HistogramChunkAppender two = new HistogramChunkAppender().reset(b, 0, enc);
            for (int i = 0; i < 100; i++) {
                g1.step();
                g2.step();
                if (i == 60) {
                    ExpandableArrayBuffer copy = new ExpandableArrayBuffer();
                    copy.putBytes(0, b, 0, two.sizeInBytes());
                    two = new HistogramChunkAppender().reopen(copy, 0, two.sizeInBytes());
                    b = copy;
                }
                if (enc == HistogramChunkFormat.ENC_HISTOGRAM) {
                    assertEquals(0, one.append(i * 1000L, g1.current(new Histogram())));
                    assertEquals(0, two.append(i * 1000L, g2.current(new Histogram())));
                } else {
                    assertEquals(0, one.append(i * 1000L, g1.current(new Histogram()).toFloat(new FloatHistogram())));
                    assertEquals(0, two.append(i * 1000L, g2.current(new Histogram()).toFloat(new FloatHistogram())));
                }
            }
            assertEquals(one.sizeInBytes(), two.sizeInBytes());
            byte[] x = new byte[one.sizeInBytes()], y = new byte[two.sizeInBytes()];
            a.getBytes(0, x);
            b.getBytes(0, y);
            assertArrayEquals(x, y);
        }
    }

    @Test
    void corruptOrTruncatedChunksFailWithChunkFormatException() {
        HistogramSeriesGen g = new HistogramSeriesGen(4, 3, 0.001, 0.05, 1, 15, true);
        for (byte enc : new byte[] {HistogramChunkFormat.ENC_HISTOGRAM, HistogramChunkFormat.ENC_FLOAT_HISTOGRAM}) {
            ExpandableArrayBuffer buf = new ExpandableArrayBuffer();
            HistogramChunkAppender app = new HistogramChunkAppender().reset(buf, 0, enc);
            for (int i = 0; i < 40; i++) {
                g.step();
                Histogram h = g.current(new Histogram());
                int r = enc == HistogramChunkFormat.ENC_HISTOGRAM ? app.append(i * 1000L, h) : app.append(i * 1000L, h.toFloat(new FloatHistogram()));
                assertEquals(0, r);
            }
            int len = app.sizeInBytes();
            HistogramChunkIterator it = new HistogramChunkIterator();
            // truncated at every length
            for (int cut = 0; cut < len; cut++) {
                int c = cut;
                ChunkFormatException e = assertThrows(ChunkFormatException.class, () -> drain(it, buf, c), "cut at " + cut);
                assertNotNull(e.getMessage());
            }
            // random bytes flipped: a ChunkFormatException or some decoded samples, never another failure
            Random rnd = new Random(77);
            byte[] orig = new byte[len];
            buf.getBytes(0, orig);
            int decodedSomething = 0;
            for (int k = 0; k < 3000; k++) {
                ExpandableArrayBuffer bad = new ExpandableArrayBuffer(len + 16);
                bad.putBytes(0, orig);
                int flips = 1 + rnd.nextInt(3);
                for (int f = 0; f < flips; f++) {
                    int p = rnd.nextInt(len);
                    bad.putByte(p, (byte) (bad.getByte(p) ^ (1 << rnd.nextInt(8))));
                }
                try {
                    drain(it, bad, len);
                    decodedSomething++;
                } catch (ChunkFormatException expected) {
                    // fine
                }
            }
            assertTrue(decodedSomething > 0);
        }
        // a float chunk cannot be read as integer histograms, and the float decoder refuses histogram chunks
        ExpandableArrayBuffer buf = new ExpandableArrayBuffer();
        HistogramChunkAppender fa = new HistogramChunkAppender().reset(buf, 0, HistogramChunkFormat.ENC_FLOAT_HISTOGRAM);
        fa.append(1, new FloatHistogram());
        HistogramChunkIterator it = new HistogramChunkIterator().reset(buf, 0, fa.sizeInBytes());
        assertTrue(it.next());
        assertThrows(IllegalStateException.class, () -> it.histogram(new Histogram()));
        assertThrows(ChunkFormatException.class, () -> new ChunkDecoder().decode(buf, 0, fa.sizeInBytes(), new long[4], new double[4]));
        assertEquals("float-histogram", ChunkFormat.encodingName(HistogramChunkFormat.ENC_FLOAT_HISTOGRAM));
    }

    @Test
    void aChunkSeededWithThePreviousLayoutRoundTripsAndStaysOnIt() {
        HistogramSeriesGen g = HistogramSeriesGen.latency(31, 20);
        ExpandableArrayBuffer b1 = new ExpandableArrayBuffer(), b2 = new ExpandableArrayBuffer();
        HistogramChunkAppender first = new HistogramChunkAppender().reset(b1, 0, HistogramChunkFormat.ENC_HISTOGRAM);
        for (int i = 0; i < 100; i++) { g.step(); assertEquals(0, first.append(i, g.current(new Histogram()))); }
        Histogram lastOfFirst = decodeInt(b1, 0, first.sizeInBytes(), new ArrayList<>()).get(99);
        HistogramChunkAppender second = new HistogramChunkAppender().reset(b2, 0, HistogramChunkFormat.ENC_HISTOGRAM).seedLayout(first);
        // a sample with fewer buckets than the previous chunk saw, e.g. after buckets were trimmed by the client
        Histogram sparse = new Histogram();
        sparse.schema = 3;
        sparse.zeroThreshold = Math.scalb(1.0, -128);
        sparse.positiveSpans.add(lastOfFirst.positiveSpans.offset(0), 1);
        sparse.addPositiveDelta(lastOfFirst.positiveBuckets[0] + 1000);
        sparse.count = lastOfFirst.positiveBuckets[0] + 1000;
        sparse.sum = 1;
        assertEquals(0, second.append(200, sparse));
        List<Histogram> in = new ArrayList<>();
        in.add(sparse);
        for (int i = 0; i < 20; i++) {
            g.step();
            Histogram h = g.current(new Histogram());
            h.positiveBuckets[0] += 1000;
            h.count += 1000;
            assertEquals(0, second.append(201 + i, h));
            in.add(h);
        }
        List<Histogram> out = decodeInt(b2, 0, second.sizeInBytes(), new ArrayList<>());
        for (int i = 0; i < in.size(); i++) assertTrue(sameIgnoringEmptyBuckets(in.get(i), out.get(i)), "sample " + i);
        // the first sample already came back on the previous chunk's layout
        assertTrue(out.get(0).positiveSpans.bucketCount() >= lastOfFirst.positiveSpans.bucketCount());
        // a seed of another schema is ignored
        HistogramChunkAppender third = new HistogramChunkAppender().reset(new ExpandableArrayBuffer(), 0, HistogramChunkFormat.ENC_HISTOGRAM).seedLayout(first);
        assertEquals(0, third.append(1, simple(0, 1, 2)));
        assertTrue(decodeInt((ExpandableArrayBuffer) third.buffer(), 0, third.sizeInBytes(), new ArrayList<>()).get(0).sameData(simple(0, 1, 2)));
    }

    @Test
    void cursorExposesHistogramSamplesThroughSampleCursor() {
        ExpandableArrayBuffer buf = new ExpandableArrayBuffer();
        HistogramChunkAppender app = new HistogramChunkAppender().reset(buf, 0, HistogramChunkFormat.ENC_HISTOGRAM);
        HistogramSeriesGen g = HistogramSeriesGen.latency(21, 5);
        List<Histogram> in = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            g.step();
            Histogram h = g.current(new Histogram());
            assertEquals(HistogramChunkFormat.APPENDED, app.append(100L * i, h));
            in.add(h);
        }
        HistogramChunkCursor c = new HistogramChunkCursor().reset(buf, 0, app.sizeInBytes());
        assertEquals(30, c.size());
        assertTrue(c.seek(1050));
        assertEquals(1100, c.timestamp());
        assertEquals(io.tsdb.core.SampleCursor.HISTOGRAM, c.sampleType());
        assertTrue(sameIgnoringEmptyBuckets(in.get(11), c.histogram(new Histogram())));
        FloatHistogram f = c.floatHistogram(new FloatHistogram());
        assertEquals((double) in.get(11).count, f.count);
        assertThrows(IllegalStateException.class, c::value);
        assertTrue(c.seek(1100), "seek to the current timestamp stays");
        assertEquals(1100, c.timestamp());
        assertTrue(c.next());
        assertEquals(1200, c.timestamp());
        assertFalse(c.seek(5000));
        assertFalse(c.next());
        // float readers' cursors are untouched: a float cursor says FLOAT and refuses histogram()
        ChunkCursor fc = new ChunkCursor();
        assertEquals(io.tsdb.core.SampleCursor.FLOAT, fc.sampleType());
        assertThrows(IllegalStateException.class, () -> fc.histogram(new Histogram()));
    }

    private static void drain(HistogramChunkIterator it, org.agrona.DirectBuffer buf, int len) {
        it.reset(buf, 0, len);
        Histogram h = new Histogram();
        FloatHistogram f = new FloatHistogram();
        while (it.next()) {
            if (it.encoding() == HistogramChunkFormat.ENC_HISTOGRAM) it.histogram(h);
            it.floatHistogram(f);
        }
    }
}
