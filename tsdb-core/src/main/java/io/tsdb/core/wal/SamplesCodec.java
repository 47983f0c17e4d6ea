package io.tsdb.core.wal;

import java.nio.ByteBuffer;

/**
 * The compact SAMPLES record body ({@link WalFormat#TYPE_SAMPLES_VARINT}):
 * {@code count:u32 | baseT:i64 | count x (idFlag:uvarint | dt:uvarint | value)} where
 * {@code idFlag = id << 1 | isInt}, {@code dt = zigzag(t - baseT)} and value is {@code zigzag(long)} as a
 * uvarint when isInt (the double is an exact integer of magnitude below 2^53 and not -0.0), else the
 * 8 raw little-endian bits. Integer-valued samples of one scrape take about 5-6 bytes instead of 20.
 */
public final class SamplesCodec {
    private SamplesCodec() {}

    /** Worst-case body bytes for {@code n} samples. */
    public static int maxBodyBytes(int n) { return 12 + n * (5 + 10 + 10); }

    /** Writes the body for ts/vs[from, from+n) of the given series ids at the buffer's position. */
    public static void encode(ByteBuffer b, int[] ids, long[] ts, double[] vs, int from, int n) {
        long base = n == 0 ? 0 : ts[from];
        b.putInt(n).putLong(base);
        for (int i = from, end = from + n; i < end; i++) {
            double v = vs[i];
            long l = (long) v;
            boolean isInt = (double) l == v && Double.doubleToRawLongBits((double) l) == Double.doubleToRawLongBits(v)
                    && l > -(1L << 53) && l < (1L << 53);
            putUvarint(b, ((long) ids[i] << 1) | (isInt ? 1 : 0));
            long d = ts[i] - base;
            putUvarint(b, (d << 1) ^ (d >> 63));
            if (isInt) putUvarint(b, (l << 1) ^ (l >> 63));
            else b.putLong(Double.doubleToRawLongBits(v));
        }
    }

    /** Receives decoded samples. */
    public interface Sink {
        void sample(int id, long t, long valueBits);
    }

    /**
     * Decodes the body in [pos, end); with {@code sink == null} only validates. Returns the sample count.
     *
     * @throws IllegalArgumentException when the body is malformed
     */
    public static int decode(ByteBuffer b, int pos, int end, Sink sink) {
        if (end - pos < 12) throw new IllegalArgumentException("samples record shorter than its header");
        int n = b.getInt(pos);
        if (n < 0) throw new IllegalArgumentException("negative sample count");
        long base = b.getLong(pos + 4);
        int p = pos + 12;
        long[] cur = {0};
        for (int i = 0; i < n; i++) {
            p = getUvarint(b, p, end, cur);
            long idf = cur[0];
            if ((idf >>> 1) > Integer.MAX_VALUE) throw new IllegalArgumentException("series id out of range");
            p = getUvarint(b, p, end, cur);
            long z = cur[0];
            long t = base + ((z >>> 1) ^ -(z & 1));
            long bits;
            if ((idf & 1) != 0) {
                p = getUvarint(b, p, end, cur);
                long zl = cur[0];
                bits = Double.doubleToRawLongBits((double) ((zl >>> 1) ^ -(zl & 1)));
            } else {
                if (end - p < 8) throw new IllegalArgumentException("truncated value");
                bits = b.getLong(p);
                p += 8;
            }
            if (sink != null) sink.sample((int) (idf >>> 1), t, bits);
        }
        if (p != end) throw new IllegalArgumentException((end - p) + " trailing bytes after " + n + " samples");
        return n;
    }

    static void putUvarint(ByteBuffer b, long v) {
        while ((v & ~0x7FL) != 0) {
            b.put((byte) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        b.put((byte) v);
    }

    private static int getUvarint(ByteBuffer b, int p, int end, long[] out) {
        long v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (p >= end) throw new IllegalArgumentException("truncated varint");
            byte x = b.get(p++);
            v |= (long) (x & 0x7F) << shift;
            if (x >= 0) { out[0] = v; return p; }
        }
        throw new IllegalArgumentException("varint longer than 10 bytes");
    }
}
