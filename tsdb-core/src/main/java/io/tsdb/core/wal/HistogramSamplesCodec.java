package io.tsdb.core.wal;

import java.nio.ByteBuffer;

import io.tsdb.core.histogram.CounterResetHint;
import io.tsdb.core.histogram.FloatHistogram;
import io.tsdb.core.histogram.Histogram;
import io.tsdb.core.histogram.Schemas;
import io.tsdb.core.histogram.Spans;

/**
 * The HISTOGRAM SAMPLES record body ({@link WalFormat#TYPE_HISTOGRAM_SAMPLES}, docs/format/wal.md): integer and
 * float native histogram samples of one commit.
 *
 * <pre>
 * count:u32 | baseT:i64, then count times:
 *   idFlag:uvarint   series id << 1 | isFloat
 *   dt:uvarint       zigzag(t - baseT)
 *   hint:u8          counter-reset hint code (0..3)
 *   schema:uvarint   zigzag(schema)
 *   zeroThreshold    f64 raw bits
 *   isFloat = 0: zeroCount:uvarint | count:uvarint | sum:f64     (counts as unsigned 64-bit)
 *   isFloat = 1: zeroCount:f64 | count:f64 | sum:f64
 *   positive side, negative side, each:
 *     spans:uvarint, spans times (zigzag(offset):uvarint | length:uvarint)
 *     buckets (as many as the lengths add up to): isFloat = 0: zigzag(delta):uvarint, else f64 absolute count
 *   schema -53 only: bounds:uvarint, bounds times f64
 * </pre>
 *
 * All f64 fields are raw IEEE-754 bits, little-endian, so sums, NaN payloads and stale markers survive bit-exactly.
 * Decoding checks the structure (lengths, schema, hint, bucket counts, trailing bytes) and fills caller-owned
 * holders: nothing is allocated per sample except custom bounds (a new array per NHCB sample).
 */
public final class HistogramSamplesCodec {
    private HistogramSamplesCodec() {}

    /** Largest number of buckets one side of a WAL histogram may declare (more is corruption). */
    public static final int MAX_BUCKETS = 1 << 20;

    /** Worst-case bytes of one integer histogram sample. */
    public static int maxSampleBytes(Histogram h) {
        int spans = h.positiveSpans.size() + h.negativeSpans.size();
        int custom = h.customValues == null ? 0 : h.customValues.length;
        return 10 + 10 + 1 + 5 + 8 + 10 + 10 + 8 + 2 * 5 + spans * 10 + (h.positiveCount + h.negativeCount) * 10 + 5 + 8 * custom;
    }

    public static int maxSampleBytes(FloatHistogram h) {
        int spans = h.positiveSpans.size() + h.negativeSpans.size();
        int custom = h.customValues == null ? 0 : h.customValues.length;
        return 10 + 10 + 1 + 5 + 8 + 24 + 2 * 5 + spans * 10 + (h.positiveCount + h.negativeCount) * 8 + 5 + 8 * custom;
    }

    /** Writes the header of a body of n samples whose first timestamp is baseT. */
    public static void putHeader(ByteBuffer b, int n, long baseT) { b.putInt(n).putLong(baseT); }

    public static void putSample(ByteBuffer b, long baseT, int id, long t, Histogram h) {
        putCommon(b, baseT, id, t, false, h.hint, h.schema, h.zeroThreshold);
        SamplesCodec.putUvarint(b, h.zeroCount);
        SamplesCodec.putUvarint(b, h.count);
        b.putLong(Double.doubleToRawLongBits(h.sum));
        putSpans(b, h.positiveSpans);
        for (int i = 0; i < h.positiveCount; i++) SamplesCodec.putUvarint(b, zz(h.positiveBuckets[i]));
        putSpans(b, h.negativeSpans);
        for (int i = 0; i < h.negativeCount; i++) SamplesCodec.putUvarint(b, zz(h.negativeBuckets[i]));
        putCustom(b, h.schema, h.customValues);
    }

    public static void putSample(ByteBuffer b, long baseT, int id, long t, FloatHistogram h) {
        putCommon(b, baseT, id, t, true, h.hint, h.schema, h.zeroThreshold);
        b.putLong(Double.doubleToRawLongBits(h.zeroCount));
        b.putLong(Double.doubleToRawLongBits(h.count));
        b.putLong(Double.doubleToRawLongBits(h.sum));
        putSpans(b, h.positiveSpans);
        for (int i = 0; i < h.positiveCount; i++) b.putLong(Double.doubleToRawLongBits(h.positiveBuckets[i]));
        putSpans(b, h.negativeSpans);
        for (int i = 0; i < h.negativeCount; i++) b.putLong(Double.doubleToRawLongBits(h.negativeBuckets[i]));
        putCustom(b, h.schema, h.customValues);
    }

    private static void putCommon(ByteBuffer b, long baseT, int id, long t, boolean isFloat, CounterResetHint hint, int schema, double zt) {
        SamplesCodec.putUvarint(b, ((long) id << 1) | (isFloat ? 1 : 0));
        SamplesCodec.putUvarint(b, zz(t - baseT));
        b.put((byte) hint.code);
        SamplesCodec.putUvarint(b, zz(schema));
        b.putLong(Double.doubleToRawLongBits(zt));
    }

    private static void putSpans(ByteBuffer b, Spans s) {
        SamplesCodec.putUvarint(b, s.size());
        for (int i = 0; i < s.size(); i++) {
            SamplesCodec.putUvarint(b, zz(s.offset(i)));
            SamplesCodec.putUvarint(b, s.length(i) & 0xffffffffL);
        }
    }

    private static void putCustom(ByteBuffer b, int schema, double[] custom) {
        if (schema != Schemas.CUSTOM_BUCKETS) return;
        int n = custom == null ? 0 : custom.length;
        SamplesCodec.putUvarint(b, n);
        for (int i = 0; i < n; i++) b.putLong(Double.doubleToRawLongBits(custom[i]));
    }

    private static long zz(long v) { return (v << 1) ^ (v >> 63); }

    private static long unzz(long z) { return (z >>> 1) ^ -(z & 1); }

    /** Receives decoded samples; the holders are reused for the next sample (copy what you keep). */
    public interface Sink {
        void histogram(int id, long t, Histogram h);

        void floatHistogram(int id, long t, FloatHistogram h);
    }

    /** Reusable decoding state (holders and a varint cursor). */
    public static final class Reader {
        private final Histogram h = new Histogram();
        private final FloatHistogram f = new FloatHistogram();
        private ByteBuffer b;
        private int p, end;

        /**
         * Decodes the body in [pos, end); with sink == null only validates. Returns the sample count.
         *
         * @throws IllegalArgumentException when the body is malformed
         */
        public int decode(ByteBuffer buf, int pos, int end, Sink sink) {
            this.b = buf;
            this.end = end;
            if (end - pos < 12) throw new IllegalArgumentException("histogram samples record shorter than its header");
            int n = buf.getInt(pos);
            if (n < 0) throw new IllegalArgumentException("negative sample count");
            long base = buf.getLong(pos + 4);
            p = pos + 12;
            for (int i = 0; i < n; i++) {
                long idf = uvarint();
                if ((idf >>> 1) > Integer.MAX_VALUE) throw new IllegalArgumentException("series id out of range");
                int id = (int) (idf >>> 1);
                boolean isFloat = (idf & 1) != 0;
                long t = base + unzz(uvarint());
                need(1);
                int hintCode = b.get(p++);
                if (hintCode < 0 || hintCode > 3) throw new IllegalArgumentException("histogram sample " + i + ": counter reset hint " + hintCode);
                CounterResetHint hint = CounterResetHint.ofCode(hintCode);
                long s = unzz(uvarint());
                if (s != (int) s || !Schemas.isValid((int) s)) throw new IllegalArgumentException("histogram sample " + i + ": schema " + s);
                double zt = f64();
                if (isFloat) {
                    FloatHistogram x = f;
                    x.clear();
                    x.hint = hint;
                    x.schema = (int) s;
                    x.zeroThreshold = zt;
                    x.zeroCount = f64();
                    x.count = f64();
                    x.sum = f64();
                    int np = spans(x.positiveSpans);
                    x.ensureCapacity(np, 0);
                    for (int k = 0; k < np; k++) x.positiveBuckets[k] = f64();
                    x.positiveCount = np;
                    int nn = spans(x.negativeSpans);
                    x.ensureCapacity(np, nn);
                    for (int k = 0; k < nn; k++) x.negativeBuckets[k] = f64();
                    x.negativeCount = nn;
                    x.customValues = custom(x.schema);
                    if (sink != null) sink.floatHistogram(id, t, x);
                } else {
                    Histogram x = h;
                    x.clear();
                    x.hint = hint;
                    x.schema = (int) s;
                    x.zeroThreshold = zt;
                    x.zeroCount = uvarint();
                    x.count = uvarint();
                    x.sum = f64();
                    int np = spans(x.positiveSpans);
                    x.ensureCapacity(np, 0);
                    for (int k = 0; k < np; k++) x.positiveBuckets[k] = unzz(uvarint());
                    x.positiveCount = np;
                    int nn = spans(x.negativeSpans);
                    x.ensureCapacity(np, nn);
                    for (int k = 0; k < nn; k++) x.negativeBuckets[k] = unzz(uvarint());
                    x.negativeCount = nn;
                    x.customValues = custom(x.schema);
                    if (sink != null) sink.histogram(id, t, x);
                }
            }
            if (p != end) throw new IllegalArgumentException((end - p) + " trailing bytes after " + n + " histogram samples");
            return n;
        }

        /** Reads spans into s; returns the number of buckets they need. */
        private int spans(Spans s) {
            long n = uvarint();
            if (n < 0 || n > MAX_BUCKETS) throw new IllegalArgumentException(n + " spans");
            s.clear();
            long total = 0;
            for (int i = 0; i < n; i++) {
                long off = unzz(uvarint());
                long len = uvarint();
                if (off != (int) off || len < 0 || len > MAX_BUCKETS) throw new IllegalArgumentException("span " + (i + 1) + " with offset " + off + " and length " + len);
                s.add((int) off, (int) len);
                total += len;
            }
            if (total > MAX_BUCKETS || total > end - p) throw new IllegalArgumentException(total + " buckets declared by the spans, " + (end - p) + " bytes left");
            return (int) total;
        }

        private double[] custom(int schema) {
            if (schema != Schemas.CUSTOM_BUCKETS) return null;
            long n = uvarint();
            if (n < 0 || n > MAX_BUCKETS || n * 8 > end - p) throw new IllegalArgumentException(n + " custom bounds, " + (end - p) + " bytes left");
            double[] c = new double[(int) n];
            for (int i = 0; i < n; i++) c[i] = f64();
            return c;
        }

        private void need(int k) {
            if (end - p < k) throw new IllegalArgumentException("truncated histogram sample");
        }

        private double f64() {
            need(8);
            double v = Double.longBitsToDouble(b.getLong(p));
            p += 8;
            return v;
        }

        private long uvarint() {
            long v = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                need(1);
                byte x = b.get(p++);
                v |= (long) (x & 0x7F) << shift;
                if (x >= 0) return v;
            }
            throw new IllegalArgumentException("varint longer than 10 bytes");
        }
    }
}
