package io.tsdb.core.chunk;

import org.agrona.DirectBuffer;

/**
 * Bulk decoder for every chunk encoding: decodes a whole chunk into caller-provided arrays. An instance
 * keeps scratch space (grown, never shrunk) and is not thread-safe; use one per thread or per cursor.
 * Nothing is allocated per sample; malformed input raises {@link ChunkFormatException}.
 */
public final class ChunkDecoder {
    private byte[] scratch = new byte[512];
    private long[] mant = new long[0];
    private final Bits.Source src = new Bits.Source();
    private XorStreamState state;

    /** Number of samples of the chunk at [off, off+len); size the arrays for {@link #decode} with it. */
    public static int sampleCount(DirectBuffer buf, int off, int len) {
        return ChunkFormat.sampleCount(buf, off, len);
    }

    /**
     * Decodes the chunk at buf[off, off+len) into ts[0, n) and vs[0, n) and returns n.
     *
     * @throws ChunkFormatException if the bytes are not a valid chunk
     * @throws IllegalArgumentException if an array is shorter than the chunk's sample count
     */
    public int decode(DirectBuffer buf, int off, int len, long[] ts, double[] vs) {
        byte[] b = load(buf, off, len);
        return decodeLoaded(b, len, ts, vs, off);
    }

    /**
     * Decodes the chunk at src[off, off+len) (absolute positions; e.g. a memory-mapped block segment) into
     * ts/vs and returns n. Same contract as {@link #decode(DirectBuffer, int, int, long[], double[])}.
     */
    public int decode(java.nio.ByteBuffer src, int off, int len, long[] ts, double[] vs) {
        if (len < 1) throw new ChunkFormatException("empty chunk (0 bytes)");
        if (scratch.length < len + Bits.PAD) scratch = new byte[Math.max(len + Bits.PAD, scratch.length * 2)];
        byte[] b = scratch;
        src.get(off, b, 0, len);
        java.util.Arrays.fill(b, len, len + Bits.PAD, (byte) 0);
        return decodeLoaded(b, len, ts, vs, off);
    }

    private int decodeLoaded(byte[] b, int len, long[] ts, double[] vs, int off) {
        switch (b[0]) {
            case ChunkFormat.ENC_XOR_STREAM: {
                if (len < ChunkFormat.XOR_HEADER_SIZE) throw new ChunkFormatException("XOR chunk shorter than its header: " + len + " bytes");
                int n = (b[ChunkFormat.XOR_OFF_COUNT] & 0xff) | (b[ChunkFormat.XOR_OFF_COUNT + 1] & 0xff) << 8;
                checkArrays(n, ts, vs);
                return XorStreamDecoder.decode(b, 0, len, ts, vs, null);
            }
            case ChunkFormat.ENC_COLUMNAR:
                return decodeColumnar(b, len, ts, vs);
            case HistogramChunkFormat.ENC_HISTOGRAM:
            case HistogramChunkFormat.ENC_FLOAT_HISTOGRAM:
                throw new ChunkFormatException("chunk at offset " + off + " holds histogram samples (" + ChunkFormat.encodingName(b[0])
                        + "); read it with HistogramChunkIterator");
            default:
                throw new ChunkFormatException("unknown chunk encoding id " + (b[0] & 0xff) + " at offset " + off);
        }
    }

    private byte[] load(DirectBuffer buf, int off, int len) {
        if (len < 1) throw new ChunkFormatException("empty chunk (0 bytes)");
        if (scratch.length < len + Bits.PAD) scratch = new byte[Math.max(len + Bits.PAD, scratch.length * 2)];
        byte[] b = scratch;
        buf.getBytes(off, b, 0, len);
        java.util.Arrays.fill(b, len, len + Bits.PAD, (byte) 0);
        return b;
    }

    private static void checkArrays(int n, long[] ts, double[] vs) {
        if (ts.length < n || vs.length < n) {
            throw new IllegalArgumentException("chunk holds " + n + " samples but arrays have " + ts.length + "/" + vs.length);
        }
    }

    private int decodeColumnar(byte[] b, int len, long[] ts, double[] vs) {
        Bits.Source s = src;
        s.reset(b, 1, len);
        long nl = s.varLong("sample count");
        if (nl > ChunkFormat.MAX_SAMPLES) throw new ChunkFormatException("columnar chunk declares " + nl + " samples, max " + ChunkFormat.MAX_SAMPLES);
        int n = (int) nl;
        checkArrays(n, ts, vs);
        if (n == 0) return 0;
        long tsLen = s.varLong("timestamp column length");
        if (tsLen < 1 || tsLen > len - s.pos) throw new ChunkFormatException("timestamp column length " + tsLen + " exceeds chunk of " + len + " bytes");
        int tsEnd = s.pos + (int) tsLen;
        int tsCodec = s.u8("timestamp codec");
        if (tsCodec != ChunkFormat.TS_INT_SEQ) throw new ChunkFormatException("unknown timestamp codec " + tsCodec);
        s.limit = tsEnd;
        IntSeqCodec.decode(s, n, ts, 0);
        if (s.pos != tsEnd) throw new ChunkFormatException("timestamp column ends at " + s.pos + ", declared " + tsEnd);
        s.limit = len;
        int vc = s.u8("value codec");
        switch (vc) {
            case ChunkFormat.VAL_CONST: {
                double v = Double.longBitsToDouble(s.longLE("constant value"));
                java.util.Arrays.fill(vs, 0, n, v);
                break;
            }
            case ChunkFormat.VAL_DECIMAL:
            case ChunkFormat.VAL_DECIMAL_SPECIALS: {
                int scale = s.u8("decimal scale");
                if (scale > ChunkFormat.MAX_DECIMAL_SCALE) throw new ChunkFormatException("decimal scale " + scale + " > " + ChunkFormat.MAX_DECIMAL_SCALE);
                int specialsAt = -1, count = 0;
                if (vc == ChunkFormat.VAL_DECIMAL_SPECIALS) {
                    long c = s.varLong("special value count");
                    if (c < 1 || c > n) throw new ChunkFormatException("decimal column with " + c + " special values for " + n + " samples");
                    count = (int) c;
                    specialsAt = s.pos;
                    for (int k = 0; k < count; k++) { s.varLong("special value index"); s.need(8, "special value"); s.pos += 8; }
                }
                if (mant.length < n) mant = new long[Math.max(n, 2 * mant.length)];
                IntSeqCodec.decode(s, n, mant, 0, vs); // vs[i] = (double) m_i
                if (scale > 0) ValueCodecs.divideByPow10(vs, n, scale);
                if (count > 0) {
                    int end = s.pos;
                    s.pos = specialsAt;
                    int idx = 0;
                    for (int k = 0; k < count; k++) {
                        idx += (int) s.varLong("special value index");
                        if (idx < 0 || idx >= n) throw new ChunkFormatException("special value index " + idx + " out of " + n);
                        vs[idx] = Double.longBitsToDouble(s.longLE("special value"));
                    }
                    s.pos = end;
                }
                break;
            }
            case ChunkFormat.VAL_XOR_BYTES:
                ValueCodecs.decodeXorBytes(s, n, vs);
                break;
            default:
                throw new ChunkFormatException("unknown value codec " + vc);
        }
        if (s.pos != len) throw new ChunkFormatException("columnar chunk has " + (len - s.pos) + " trailing bytes after " + n + " samples");
        return n;
    }

    /** Recovers the encoder state at the end of an XOR stream chunk (for {@link XorChunkAppender#reopen}). */
    XorStreamState xorState(DirectBuffer buf, int off, int len) {
        byte[] b = load(buf, off, len);
        if (b[0] != ChunkFormat.ENC_XOR_STREAM) throw new ChunkFormatException("cannot reopen a " + ChunkFormat.encodingName(b[0]) + " chunk for appending");
        if (state == null) state = new XorStreamState();
        XorStreamDecoder.decode(b, 0, len, null, null, state);
        return state;
    }
}
