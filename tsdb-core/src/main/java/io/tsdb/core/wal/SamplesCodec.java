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

    /** Bytes one sample takes at most (id, time and value varints). */
    private static final int MAX_SAMPLE_BYTES = 5 + 10 + 10;
    /** Per thread: the samples are encoded here and copied to the record's buffer a block at a time. */
    private static final ThreadLocal<byte[]> SCRATCH = ThreadLocal.withInitial(() -> new byte[16 << 10]);

    /**
     * Writes the body for ts/vs[from, from+n) of the given series ids at the buffer's position. The varints go to a
     * heap array first and then to the buffer in blocks of up to 16 KiB: byte by byte into a direct buffer, each
     * byte took a position check and a scope check (5 % of the remote-write workers' CPU, JFR).
     */
    public static void encode(ByteBuffer b, int[] ids, long[] ts, double[] vs, int from, int n) {
        long base = n == 0 ? 0 : ts[from];
        b.putInt(n).putLong(base);
        byte[] out = SCRATCH.get();
        boolean le = b.order() == java.nio.ByteOrder.LITTLE_ENDIAN;   // raw bits in the buffer's order, as putLong wrote them
        int p = 0, flushAt = out.length - MAX_SAMPLE_BYTES;
        for (int i = from, end = from + n; i < end; i++) {
            if (p > flushAt) {
                b.put(out, 0, p);
                p = 0;
            }
            double v = vs[i];
            long l = (long) v;
            boolean isInt = (double) l == v && Double.doubleToRawLongBits((double) l) == Double.doubleToRawLongBits(v)
                    && l > -(1L << 53) && l < (1L << 53);
            p = putUvarint(out, p, ((long) ids[i] << 1) | (isInt ? 1 : 0));
            long d = ts[i] - base;
            p = putUvarint(out, p, (d << 1) ^ (d >> 63));
            if (isInt) {
                p = putUvarint(out, p, (l << 1) ^ (l >> 63));
            } else {
                long bits = Double.doubleToRawLongBits(v);
                LONG_LE.set(out, p, le ? bits : Long.reverseBytes(bits));
                p += 8;
            }
        }
        b.put(out, 0, p);
    }

    private static final java.lang.invoke.VarHandle LONG_LE =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.LITTLE_ENDIAN);

    private static int putUvarint(byte[] out, int p, long v) {
        while ((v & ~0x7FL) != 0) {
            out[p++] = (byte) ((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        out[p++] = (byte) v;
        return p;
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
