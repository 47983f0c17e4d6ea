package io.tsdb.core.chunk;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * Encodes a closed chunk in the {@link ChunkFormat#ENC_COLUMNAR} encoding: a timestamp column
 * (integer sequence, delta order chosen per chunk) and a value column whose codec is chosen per chunk:
 * constant, decimal (all values are m / 10^scale, packed as an integer sequence) or byte-aligned XOR.
 * Timestamps may be in any order (wrapping arithmetic); every value round-trips bit-exactly.
 *
 * <p>Typical use: the head appends with {@link XorChunkAppender}; when a chunk is cut it is re-encoded
 * with {@link #recode}, and blocks store the result. An instance keeps scratch space (grown, never shrunk)
 * and is not thread-safe. The encoded bytes are {@code array()[0, length())} until the next call.
 */
public final class ChunkEncoder {
    private final Bits.Sink out = new Bits.Sink(1024);
    private final Bits.Sink tsCol = new Bits.Sink(256);
    private final IntSeqCodec seq = new IntSeqCodec();
    private long[] mant = new long[0];
    private int[] specials = new int[0];
    private long[] tsTmp = new long[0];
    private double[] vsTmp = new double[0];
    private ChunkDecoder decoder;
    private byte lastValueCodec;

    /** Encodes ts[0, n), vs[0, n) (0 <= n <= MAX_SAMPLES); returns the encoded length. */
    public int encode(long[] ts, double[] vs, int n) {
        if (n < 0 || n > ChunkFormat.MAX_SAMPLES) throw new IllegalArgumentException("sample count " + n + " outside [0, " + ChunkFormat.MAX_SAMPLES + "]");
        if (ts.length < n || vs.length < n) throw new IllegalArgumentException("arrays shorter than " + n);
        Bits.Sink o = out;
        o.pos = 0;
        o.putByte(ChunkFormat.ENC_COLUMNAR);
        o.putVarLong(n);
        if (n == 0) { lastValueCodec = 0; return o.pos; }
        Bits.Sink tc = tsCol;
        tc.pos = 0;
        tc.putByte(ChunkFormat.TS_INT_SEQ);
        seq.encode(ts, n, tc, IntSeqCodec.TS_CANDIDATES);
        o.putVarLong(tc.pos);
        o.ensure(tc.pos);
        System.arraycopy(tc.buf, 0, o.buf, o.pos, tc.pos);
        o.pos += tc.pos;
        encodeValues(vs, n, o);
        return o.pos;
    }

    private void encodeValues(double[] vs, int n, Bits.Sink o) {
        long b0 = Double.doubleToRawLongBits(vs[0]);
        int i = 1;
        while (i < n && Double.doubleToRawLongBits(vs[i]) == b0) i++;
        if (i == n) {
            o.putByte(ChunkFormat.VAL_CONST);
            o.putLongLE(b0);
            lastValueCodec = ChunkFormat.VAL_CONST;
            return;
        }
        if (mant.length < n) { mant = new long[Math.max(n, 2 * mant.length)]; specials = new int[mant.length]; }
        int det = ValueCodecs.detectScale(vs, n, mant, specials, n / 4);
        if (det >= 0) {
            int scale = det & 0xff, count = det >>> 8;
            int mark = o.pos;
            if (count == 0) {
                o.putByte(ChunkFormat.VAL_DECIMAL);
                o.putByte(scale);
                lastValueCodec = ChunkFormat.VAL_DECIMAL;
            } else {
                o.putByte(ChunkFormat.VAL_DECIMAL_SPECIALS);
                o.putByte(scale);
                o.putVarLong(count);
                int last = 0;
                for (int k = 0; k < count; k++) {
                    int idx = specials[k];
                    o.putVarLong(idx - last);
                    o.putLongLE(Double.doubleToRawLongBits(vs[idx]));
                    last = idx;
                }
                lastValueCodec = ChunkFormat.VAL_DECIMAL_SPECIALS;
            }
            seq.encode(mant, n, o, IntSeqCodec.VALUE_CANDIDATES);
            int decSize = o.pos - mark;
            if (decSize <= 4 * n) return;
            // wide mantissas: byte-aligned XOR may be smaller
            int xorStart = o.pos;
            o.putByte(ChunkFormat.VAL_XOR_BYTES);
            ValueCodecs.encodeXorBytes(vs, n, o);
            int xorSize = o.pos - xorStart;
            if (xorSize < decSize) {
                System.arraycopy(o.buf, xorStart, o.buf, mark, xorSize);
                o.pos = mark + xorSize;
                lastValueCodec = ChunkFormat.VAL_XOR_BYTES;
            } else {
                o.pos = xorStart;
            }
            return;
        }
        o.putByte(ChunkFormat.VAL_XOR_BYTES);
        ValueCodecs.encodeXorBytes(vs, n, o);
        lastValueCodec = ChunkFormat.VAL_XOR_BYTES;
    }

    /** Encodes ts[off, off+n), vs[off, off+n); returns the encoded length. */
    public int encode(long[] ts, double[] vs, int off, int n) {
        if (off == 0) return encode(ts, vs, n);
        if (off < 0 || n < 0 || off + n > ts.length || off + n > vs.length) throw new IllegalArgumentException("range [" + off + ", " + (off + n) + ") outside the arrays");
        if (tsTmp.length < n) { tsTmp = new long[Math.max(n, 128)]; vsTmp = new double[Math.max(n, 128)]; }
        System.arraycopy(ts, off, tsTmp, 0, n);
        System.arraycopy(vs, off, vsTmp, 0, n);
        return encode(tsTmp, vsTmp, n);
    }

    /** Encodes and copies the result to dst[dstOff...] (dst must be expandable or large enough); returns the length. */
    public int encode(long[] ts, double[] vs, int n, MutableDirectBuffer dst, int dstOff) {
        int len = encode(ts, vs, n);
        dst.putBytes(dstOff, out.buf, 0, len);
        return len;
    }

    /** Re-encodes any chunk (e.g. a cut head chunk) in the columnar encoding; returns the new length. */
    public int recode(DirectBuffer src, int off, int len) {
        if (decoder == null) decoder = new ChunkDecoder();
        int n = ChunkFormat.sampleCount(src, off, len);
        if (tsTmp.length < n) { tsTmp = new long[Math.max(n, 128)]; vsTmp = new double[Math.max(n, 128)]; }
        decoder.decode(src, off, len, tsTmp, vsTmp);
        return encode(tsTmp, vsTmp, n);
    }

    /** The encoded bytes are array()[0, length()). */
    public byte[] array() { return out.buf; }

    public int length() { return out.pos; }

    /** Value codec chosen for the last encoded chunk (ChunkFormat.VAL_*; 0 when it was empty). */
    public byte lastValueCodec() { return lastValueCodec; }
}
