package io.tsdb.core.chunk;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;

import org.agrona.ExpandableArrayBuffer;
import org.junit.jupiter.api.Test;

import io.tsdb.core.histogram.CounterResetHint;
import io.tsdb.core.histogram.FloatHistogram;
import io.tsdb.core.histogram.Histogram;
import io.tsdb.core.histogram.Schemas;

/**
 * Format contract (Lucene style): chunks written by {@link HistogramChunkAppender} are parsed here with an
 * independent reader that follows docs/format/histogram-chunks.md bit by bit, not with the production classes.
 */
class HistogramChunkFormatContractTest {

    /** Minimal bit reader per the page: MSB first. */
    static final class R {
        final byte[] b;
        long pos;

        R(byte[] b, int byteOff) { this.b = b; pos = 8L * byteOff; }

        int bit() { int v = (b[(int) (pos >>> 3)] >> (7 - (pos & 7))) & 1; pos++; return v; }

        long bits(int n) { long v = 0; for (int i = 0; i < n; i++) v = (v << 1) | bit(); return v; }

        int ones(int max) { int k = 0; while (k < max && bit() == 1) k++; return k; }

        long uvarbit() {
            int[] w = {0, 3, 6, 9, 12, 18, 25};
            long[] base = {0, 1, 9, 73, 585, 4681, 266825};
            int k = ones(7);
            if (k == 0) return 0;
            if (k == 7) return bits(64);
            return bits(w[k]) + base[k];
        }

        long varbit() {
            int[] w = {0, 4, 7, 10, 14, 21, 32};
            int k = ones(7);
            if (k == 0) return 0;
            int width = k == 7 ? 64 : w[k];
            long v = bits(width);
            return width == 64 ? v : (v << (64 - width)) >> (64 - width);
        }

        long tsDod() {
            if (bit() == 0) return 0;
            if (bit() == 0) return (bits(8) << 56) >> 56;
            if (bit() == 0) return (bits(14) << 50) >> 50;
            if (bit() == 0) return (bits(20) << 44) >> 44;
            return bits(64);
        }

        /** xor code against prev with window state w = {L, T} (L < 0: none). */
        long xor(long prev, int[] w) {
            if (bit() == 0) return prev;
            if (bit() == 0) return prev ^ (bits(64 - w[0] - w[1]) << w[1]);
            int l = (int) bits(5), len = (int) bits(6);
            if (len == 0) len = 64;
            w[0] = l;
            w[1] = 64 - l - len;
            return prev ^ (bits(len) << w[1]);
        }

        static long unzz(long z) { return (z >>> 1) ^ -(z & 1); }
    }

    record Layout(double zt, int schema, List<int[]> pos, List<int[]> neg, double[] custom, int total) {}

    static Layout layout(R r) {
        int code = (int) r.bits(8);
        double zt = code == 0 ? 0 : code == 255 ? Double.longBitsToDouble(r.bits(64)) : Math.scalb(1.0, code - 244);
        int schema = (int) R.unzz(r.uvarbit());
        List<int[]> pos = spans(r), neg = spans(r);
        double[] custom = null;
        if (schema == -53) {
            custom = new double[(int) r.uvarbit()];
            for (int i = 0; i < custom.length; i++) {
                long save = r.pos;
                if (r.bit() == 0) custom[i] = Double.longBitsToDouble(r.bits(64));
                else { r.pos = save; custom[i] = (double) (r.uvarbit() - 1) / 1000; }
            }
        }
        int total = 0;
        for (int[] s : pos) total += s[1];
        for (int[] s : neg) total += s[1];
        return new Layout(zt, schema, pos, neg, custom, total);
    }

    static List<int[]> spans(R r) {
        List<int[]> l = new ArrayList<>();
        long n = r.uvarbit();
        for (int i = 0; i < n; i++) { int len = (int) r.uvarbit(); int off = (int) R.unzz(r.uvarbit()); l.add(new int[] {off, len}); }
        return l;
    }

    private static Histogram h(long zc, long excess, double sum, long... counts) {
        Histogram h = new Histogram();
        h.schema = 2;
        h.zeroThreshold = 0.125;
        h.zeroCount = zc;
        h.positiveSpans.add(-1, 2).add(1, counts.length - 2);
        long prev = 0, total = zc + excess;
        for (long c : counts) { h.addPositiveDelta(c - prev); prev = c; total += c; }
        h.count = total;
        h.sum = sum;
        return h;
    }

    @Test
    void integerChunkFollowsThePage() {
        Histogram[] in = {h(1, 0, 2.5, 3, 4, 5, 1, 1), h(2, 0, 3.5, 4, 6, 5, 2, 1), h(2, 2, Double.NaN, 9, 6, 7, 2, 3), h(5, 2, 10.25, 9, 8, 7, 4, 3)};
        in[0].hint = CounterResetHint.COUNTER_RESET;
        long[] ts = {1_000, 16_000, 31_005, 46_000};
        ExpandableArrayBuffer buf = new ExpandableArrayBuffer();
        HistogramChunkAppender app = new HistogramChunkAppender().reset(buf, 0, HistogramChunkFormat.ENC_HISTOGRAM);
        for (int i = 0; i < in.length; i++) assertEquals(HistogramChunkFormat.APPENDED, app.append(ts[i], in[i]));
        byte[] b = new byte[app.sizeInBytes() + 8];
        buf.getBytes(0, b, 0, app.sizeInBytes());

        assertEquals(0x03, b[0]);
        int u16 = (b[1] & 0xff) | (b[2] & 0xff) << 8;
        assertEquals(4, u16 & 0x3fff);
        assertEquals(1, u16 >>> 14, "hint of the first sample: counter reset");
        R r = new R(b, 3);
        Layout l = layout(r);
        assertEquals(0.125, l.zt());
        assertEquals(2, l.schema());
        assertEquals(List.of(-1, 2, 1, 3), List.of(l.pos().get(0)[0], l.pos().get(0)[1], l.pos().get(1)[0], l.pos().get(1)[1]));
        assertTrue(l.neg().isEmpty());
        long t = r.bits(64), excess, zc;
        assertEquals(ts[0], t);
        excess = r.varbit();
        zc = r.varbit();
        long sumBits = r.bits(64);
        long[] abs = new long[5], delta = new long[5];
        for (int p = 0; p < 5; p++) abs[p] = r.varbit();
        check(in[0], t, excess, zc, sumBits, abs);
        long tDelta = 0, zDelta = 0;
        int[] win = {-1, 0};
        for (int i = 1; i < in.length; i++) {
            tDelta += r.tsDod();
            t += tDelta;
            excess += r.varbit();
            zDelta += r.varbit();
            zc += zDelta;
            sumBits = r.xor(sumBits, win);
            for (int p = 0; p < 5; p++) { delta[p] += r.varbit(); abs[p] += delta[p]; }
            assertEquals(ts[i], t);
            check(in[i], t, excess, zc, sumBits, abs);
        }
        assertEquals(app.sizeInBytes(), 3 + (r.pos - 24 + 7) / 8, "chunk length = 3 + ceil(bits / 8)");
    }

    private static void check(Histogram h, long t, long excess, long zc, long sumBits, long[] abs) {
        assertEquals(h.zeroCount, zc);
        assertEquals(Double.doubleToRawLongBits(h.sum), sumBits);
        long prev = 0, total = zc + excess;
        for (int p = 0; p < abs.length; p++) {
            assertEquals(prev + h.positiveBuckets[p], abs[p], "bucket " + p);
            prev = abs[p];
            total += abs[p];
        }
        assertEquals(h.count, total, "count = zero count + buckets + excess");
    }

    @Test
    void floatChunkWithCustomBucketsFollowsThePage() {
        double[] bounds = {0.25, 1, 1.0 / 3 + 10}; // the last one needs raw bits
        Arrays2.sortCheck(bounds);
        FloatHistogram[] in = new FloatHistogram[3];
        for (int i = 0; i < 3; i++) {
            FloatHistogram f = new FloatHistogram();
            f.schema = Schemas.CUSTOM_BUCKETS;
            f.customValues = bounds;
            f.hint = CounterResetHint.GAUGE;
            f.positiveSpans.add(0, 4);
            for (int k = 0; k < 4; k++) f.addPositive(0.5 * (i + k));
            f.count = 2 * i + 3;
            f.sum = -0.0 + i / 3.0;
            in[i] = f;
        }
        ExpandableArrayBuffer buf = new ExpandableArrayBuffer();
        HistogramChunkAppender app = new HistogramChunkAppender().reset(buf, 0, HistogramChunkFormat.ENC_FLOAT_HISTOGRAM);
        for (int i = 0; i < 3; i++) assertEquals(HistogramChunkFormat.APPENDED, app.append(500L * i, in[i]));
        byte[] b = new byte[app.sizeInBytes() + 8];
        buf.getBytes(0, b, 0, app.sizeInBytes());
        assertEquals(0x04, b[0]);
        int u16 = (b[1] & 0xff) | (b[2] & 0xff) << 8;
        assertEquals(3, u16 & 0x3fff);
        assertEquals(3, u16 >>> 14, "gauge");
        R r = new R(b, 3);
        Layout l = layout(r);
        assertEquals(-53, l.schema());
        assertArrayEquals(bounds, l.custom());
        assertEquals(4, l.total());
        long t = r.bits(64);
        long[] f = new long[7];
        int[][] w = new int[7][];
        for (int k = 0; k < 7; k++) { f[k] = r.bits(64); w[k] = new int[] {-1, 0}; }
        checkF(in[0], f);
        long tDelta = 0;
        for (int i = 1; i < 3; i++) {
            tDelta += r.tsDod();
            t += tDelta;
            assertEquals(500L * i, t);
            for (int k = 0; k < 7; k++) f[k] = r.xor(f[k], w[k]);
            checkF(in[i], f);
        }
    }

    private static void checkF(FloatHistogram h, long[] f) {
        assertEquals(Double.doubleToRawLongBits(h.count), f[0]);
        assertEquals(Double.doubleToRawLongBits(h.zeroCount), f[1]);
        assertEquals(Double.doubleToRawLongBits(h.sum), f[2]);
        for (int p = 0; p < 4; p++) assertEquals(Double.doubleToRawLongBits(h.positiveBuckets[p]), f[3 + p]);
    }

    /** Guard that the test's bounds are valid custom bounds. */
    static final class Arrays2 {
        static void sortCheck(double[] b) { for (int i = 1; i < b.length; i++) assertTrue(b[i] > b[i - 1]); }
    }
}
