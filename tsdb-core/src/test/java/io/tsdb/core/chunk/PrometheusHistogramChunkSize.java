package io.tsdb.core.chunk;

import io.tsdb.core.histogram.FloatHistogram;
import io.tsdb.core.histogram.Histogram;
import io.tsdb.core.histogram.Spans;

/**
 * Size model of Prometheus's histogram and float histogram chunk encodings, bit for bit as their format page
 * describes them (prometheus/tsdb/docs/format/chunks.md, "Histogram chunk data" and "Float histogram chunk data":
 * 3-byte header, zero threshold in 1 or 9 bytes, varbit schema and spans, sample 0 with varbit timestamp, counts
 * and raw sum, then varbit deltas / delta-of-deltas of the count, zero count and the delta-encoded buckets, XOR-coded
 * sum; float chunks XOR every field). It only counts bits (it writes nothing), fed the samples of one chunk laid out
 * on one common layout, which is what Prometheus's appender produces after it recodes a chunk for new buckets.
 */
final class PrometheusHistogramChunkSize {
    private long bits;
    private int n;
    private long tPrev, tDelta;
    private long cntPrev, cntDelta, zcPrev, zcDelta;
    private long[] bPrev = new long[0], bDelta = new long[0];
    private long[] fPrev = new long[0];
    private int[] lead = new int[0], trail = new int[0];

    /** Bytes of one Prometheus integer histogram chunk holding hs[0..k) at ts[0..k) (all on h[0]'s layout). */
    static long intChunkBytes(long[] ts, Histogram[] hs, int from, int to) {
        PrometheusHistogramChunkSize s = new PrometheusHistogramChunkSize();
        s.layout(hs[from].zeroThreshold, hs[from].schema, hs[from].positiveSpans, hs[from].negativeSpans);
        s.customBounds(hs[from].customValues);
        for (int i = from; i < to; i++) s.appendInt(ts[i], hs[i]);
        return (s.bits + 7) / 8;
    }

    static long floatChunkBytes(long[] ts, FloatHistogram[] hs, int from, int to) {
        PrometheusHistogramChunkSize s = new PrometheusHistogramChunkSize();
        s.layout(hs[from].zeroThreshold, hs[from].schema, hs[from].positiveSpans, hs[from].negativeSpans);
        s.customBounds(hs[from].customValues);
        for (int i = from; i < to; i++) s.appendFloat(ts[i], hs[i]);
        return (s.bits + 7) / 8;
    }

    private void layout(double zt, int schema, Spans p, Spans n) {
        bits = 3 * 8; // num samples u16 + flags byte
        if (zt == 0) bits += 8;
        else {
            int e = Math.getExponent(zt) + 1; // Frexp exponent: zt = 0.5 * 2^e
            boolean pow2 = zt == Math.scalb(0.5, e);
            bits += pow2 && e >= -242 && e <= 11 ? 8 : 72;
        }
        bits += varbitInt(schema);
        bits += spans(p) + spans(n);
    }

    /** Custom bounds (schema -53): varbit_uint count, each bound as varbit_uint(x*1000+1) when that is an integer <= 33554430, else 1 + 64 bits. */
    private void customBounds(double[] c) {
        if (c == null) return;
        bits += varbitUint(c.length);
        for (double x : c) {
            double y = x * 1000;
            bits += y >= 0 && y <= 33554430 && y == Math.rint(y) ? varbitUint((long) y + 1) : 65;
        }
    }

    private static long spans(Spans s) {
        long b = varbitUint(s.size());
        for (int i = 0; i < s.size(); i++) b += varbitUint(s.length(i)) + varbitInt(s.offset(i));
        return b;
    }

    private void appendInt(long t, Histogram h) {
        int nb = h.positiveCount + h.negativeCount;
        long[] buckets = new long[nb];
        System.arraycopy(h.positiveBuckets, 0, buckets, 0, h.positiveCount);
        System.arraycopy(h.negativeBuckets, 0, buckets, h.positiveCount, h.negativeCount);
        long sumBits = Double.doubleToRawLongBits(h.sum);
        if (n == 0) {
            bits += varbitInt(t) + varbitUint(h.count) + varbitUint(h.zeroCount) + 64;
            for (long b : buckets) bits += varbitInt(b);
            bPrev = buckets.clone();
            bDelta = new long[nb];
            fPrev = new long[] {sumBits};
            lead = new int[] {-1};
            trail = new int[1];
        } else if (n == 1) {
            tDelta = t - tPrev;
            cntDelta = h.count - cntPrev;
            zcDelta = h.zeroCount - zcPrev;
            bits += varbitInt(tDelta) + varbitInt(cntDelta) + varbitInt(zcDelta) + xor(sumBits, 0);
            for (int i = 0; i < nb; i++) { bDelta[i] = buckets[i] - bPrev[i]; bits += varbitInt(bDelta[i]); bPrev[i] = buckets[i]; }
        } else {
            long td = t - tPrev, cd = h.count - cntPrev, zd = h.zeroCount - zcPrev;
            bits += varbitInt(td - tDelta) + varbitInt(cd - cntDelta) + varbitInt(zd - zcDelta) + xor(sumBits, 0);
            tDelta = td;
            cntDelta = cd;
            zcDelta = zd;
            for (int i = 0; i < nb; i++) {
                long d = buckets[i] - bPrev[i];
                bits += varbitInt(d - bDelta[i]);
                bDelta[i] = d;
                bPrev[i] = buckets[i];
            }
        }
        tPrev = t;
        cntPrev = h.count;
        zcPrev = h.zeroCount;
        n++;
    }

    private void appendFloat(long t, FloatHistogram h) {
        int nb = h.positiveCount + h.negativeCount;
        long[] f = new long[3 + nb];
        f[0] = Double.doubleToRawLongBits(h.count);
        f[1] = Double.doubleToRawLongBits(h.zeroCount);
        f[2] = Double.doubleToRawLongBits(h.sum);
        for (int i = 0; i < h.positiveCount; i++) f[3 + i] = Double.doubleToRawLongBits(h.positiveBuckets[i]);
        for (int i = 0; i < h.negativeCount; i++) f[3 + h.positiveCount + i] = Double.doubleToRawLongBits(h.negativeBuckets[i]);
        if (n == 0) {
            bits += varbitInt(t) + 64L * f.length;
            fPrev = f;
            lead = new int[f.length];
            trail = new int[f.length];
            java.util.Arrays.fill(lead, -1);
        } else {
            long td = t - tPrev;
            bits += varbitInt(n == 1 ? td : td - tDelta);
            tDelta = td;
            for (int i = 0; i < f.length; i++) bits += xorField(f[i], i);
        }
        tPrev = t;
        n++;
    }

    private long xor(long v, int i) { return xorField(v, i); }

    private long xorField(long v, int i) {
        long x = v ^ fPrev[i];
        fPrev[i] = v;
        if (x == 0) return 1;
        int l = Math.min(Long.numberOfLeadingZeros(x), 31), r = Long.numberOfTrailingZeros(x);
        if (lead[i] >= 0 && l >= lead[i] && r >= trail[i]) return 2 + (64 - lead[i] - trail[i]);
        lead[i] = l;
        trail[i] = r;
        return 2 + 5 + 6 + (64 - l - r);
    }

    /** Prometheus varbit_int: 0 in 1 bit, then ranges -(2^(w-1)-1)..2^(w-1) for w = 3, 6, 9, 12, 18, 25, 56, else 64. */
    static long varbitInt(long v) {
        if (v == 0) return 1;
        int[] w = {3, 6, 9, 12, 18, 25, 56};
        for (int k = 0; k < w.length; k++) {
            long hi = 1L << (w[k] - 1);
            if (v >= -(hi - 1) && v <= hi) return (k + 2) + w[k];
        }
        return 8 + 64;
    }

    /** Prometheus varbit_uint: 0 in 1 bit, then values below 2^w for w = 3, 6, 9, 12, 18, 25, 56, else 64. */
    static long varbitUint(long v) {
        if (v == 0) return 1;
        int[] w = {3, 6, 9, 12, 18, 25, 56};
        for (int k = 0; k < w.length; k++) if (Long.numberOfLeadingZeros(v) >= 64 - w[k]) return (k + 2) + w[k];
        return 8 + 64;
    }
}
