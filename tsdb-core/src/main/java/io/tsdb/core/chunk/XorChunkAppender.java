package io.tsdb.core.chunk;

import java.nio.ByteOrder;

import org.agrona.MutableDirectBuffer;

/**
 * Appends samples to a head chunk in the streaming {@link ChunkFormat#ENC_XOR_STREAM} encoding
 * (Gorilla, VLDB 2015: delta-of-delta timestamps, XOR values), compressing as it goes.
 *
 * <p>The chunk lives in a caller-supplied {@link MutableDirectBuffer} at a fixed offset: an expandable
 * buffer (e.g. {@code ExpandableArrayBuffer}, {@code ExpandableDirectByteBuffer}) grows as needed; a fixed
 * buffer (e.g. an {@code UnsafeBuffer} slice of an off-heap slab) makes {@link #append} return false when
 * the next sample might not fit; so does the end of a region given to {@link #reset(MutableDirectBuffer, int, int)}
 * (e.g. one block of a shared off-heap slab, without a per-chunk buffer object). After every append the bytes [offset, offset+sizeInBytes()) are a
 * complete, decodable chunk; the appender may also write up to 8 scratch bytes after that range.
 *
 * <p>Contract: timestamps must not decrease (equal timestamps are allowed and round-trip);
 * a decreasing timestamp throws {@link IllegalArgumentException} and leaves the chunk unchanged.
 * Single writer; readers on other threads must synchronise with the writer (e.g. per-series lock)
 * and read {@link #numSamples()}/{@link #sizeInBytes()} under it. No allocation per sample.
 */
public final class XorChunkAppender {
    /**
     * Bytes that must be free after the current write position for one more sample, worst case: up to 63
     * pending bits plus 145 (68 for a timestamp, 77 for a value) advance the word position by 3 words,
     * and the pending word is then stored (8 bytes).
     */
    static final int MAX_APPEND_BYTES = 32;

    // Field sizes matter: the head keeps one appender per active series (see docs/storage.md, head memory).
    private MutableDirectBuffer buf;
    private int off;
    private int limit;    // absolute end of the region the chunk may use (the sample count is read back from the header)
    private int wordPos;  // absolute index of the 64-bit word being filled
    private long acc;     // pending bits, left-aligned
    private byte accBits;
    private byte lz = -1, tz;
    private long tPrev, dPrev, vPrev;   // the first timestamp is read back from the chunk (minTime)

    /** Starts a new, empty chunk at buf[off]. */
    public XorChunkAppender reset(MutableDirectBuffer buf, int off) {
        return reset(buf, off, buf.isExpandable() ? Integer.MAX_VALUE - off : buf.capacity() - off);
    }

    /** Starts a new, empty chunk at buf[off] that never extends beyond buf[off + len] (also for an expandable buffer). */
    public XorChunkAppender reset(MutableDirectBuffer buf, int off, int len) {
        int end = off + len;
        if (len < ChunkFormat.XOR_HEADER_SIZE + 8 || (!buf.isExpandable() && end > buf.capacity())) {
            throw new IllegalArgumentException("region [" + off + ", " + end + ") too small for a chunk header or beyond the buffer (capacity "
                    + buf.capacity() + ")");
        }
        init(buf, off);
        limit = end;
        buf.putByte(off + ChunkFormat.OFF_ENCODING, ChunkFormat.ENC_XOR_STREAM);
        buf.putByte(off + ChunkFormat.XOR_OFF_FLAGS, (byte) 0);
        buf.putShort(off + ChunkFormat.XOR_OFF_COUNT, (short) 0, ByteOrder.LITTLE_ENDIAN);
        buf.putLong(wordPos, 0L);
        return this;
    }

    private void init(MutableDirectBuffer buf, int off) {
        this.buf = buf;
        this.off = off;
        wordPos = off + ChunkFormat.XOR_OFF_BITS;
        acc = 0;
        accBits = 0;
        tPrev = dPrev = vPrev = 0;
        lz = -1;
        tz = 0;
    }

    /**
     * Moves the chunk to [off, off+len) of {@code to} (a larger region: the chunk outgrew a small first block) and
     * continues it there; the old region is no longer used. Copies the chunk's bytes and the pending word.
     */
    public void moveTo(MutableDirectBuffer to, int toOff, int len) {
        int used = Math.min(wordPos + 8, limit) - off;
        if (used > len) throw new IllegalArgumentException("chunk of " + used + " bytes does not fit a region of " + len);
        to.putBytes(toOff, buf, off, used);
        wordPos = toOff + (wordPos - off);
        buf = to;
        off = toOff;
        limit = toOff + len;
    }

    /**
     * Re-opens the chunk at [off, off+len) (e.g. a head chunk restored from a snapshot) so that appends
     * continue it. The decoder is used once to recover the encoder state.
     */
    public XorChunkAppender reopen(MutableDirectBuffer buf, int off, int len, ChunkDecoder decoder) {
        XorStreamState st = decoder.xorState(buf, off, len);
        if (st.count == 0) return reset(buf, off);
        init(buf, off);
        int bitPos = st.bitPos;
        wordPos = off + ChunkFormat.XOR_OFF_BITS + ((bitPos >>> 6) << 3);
        accBits = (byte) (bitPos & 63);
        limit = buf.isExpandable() ? Integer.MAX_VALUE : buf.capacity();
        long a = 0;
        for (int i = 0, nb = (accBits + 7) >>> 3; i < nb; i++) a |= (buf.getByte(wordPos + i) & 0xffL) << (56 - 8 * i);
        acc = accBits == 0 ? 0 : a & ~(-1L >>> accBits);
        if (!buf.isExpandable() && wordPos + 8 > buf.capacity()) {
            throw new IllegalArgumentException("no room to continue the chunk at offset " + off + " (capacity " + buf.capacity() + ")");
        }
        tPrev = st.tLast;
        dPrev = st.dLast;
        vPrev = st.vLast;
        lz = (byte) st.lz;
        tz = (byte) st.tz;
        buf.putShort(off + ChunkFormat.XOR_OFF_COUNT, (short) st.count, ByteOrder.LITTLE_ENDIAN);
        buf.putLong(wordPos, acc, ByteOrder.BIG_ENDIAN);
        return this;
    }

    /**
     * Appends one sample. Returns false (chunk unchanged) when the chunk holds {@link ChunkFormat#MAX_SAMPLES}
     * or a fixed-size buffer has no room: the caller then cuts the chunk and starts a new one.
     *
     * @throws IllegalArgumentException if t is lower than the previous timestamp
     */
    public boolean append(long t, double v) {
        int count = numSamples();
        if (count >= ChunkFormat.MAX_SAMPLES) return false;
        if (wordPos > limit - MAX_APPEND_BYTES) return false;
        long bits = Double.doubleToRawLongBits(v);
        if (count == 0) {
            writeBits(t, 64);
            writeBits(bits, 64);
        } else {
            if (t < tPrev) throw new IllegalArgumentException("out-of-order timestamp " + t + " < previous " + tPrev + " in head chunk");
            long delta = t - tPrev;
            long dod = delta - dPrev;
            if (dod == 0) {
                writeBits(0, 1);
            } else if (dod >= -128 && dod <= 127) {
                writeBits((0b10L << 8) | (dod & 0xffL), 10);
            } else if (dod >= -8192 && dod <= 8191) {
                writeBits((0b110L << 14) | (dod & 0x3fffL), 17);
            } else if (dod >= -524288 && dod <= 524287) {
                writeBits((0b1110L << 20) | (dod & 0xfffffL), 24);
            } else {
                writeBits(0b1111L, 4);
                writeBits(dod, 64);
            }
            dPrev = delta;
            long x = bits ^ vPrev;
            if (x == 0) {
                writeBits(0, 1);
            } else {
                int l = Long.numberOfLeadingZeros(x);
                int r = Long.numberOfTrailingZeros(x);
                if (l > 31) l = 31;
                if (lz >= 0 && l >= lz && r >= tz) {
                    int len = 64 - lz - tz;
                    writeBits(0b10L, 2);
                    writeBits(x >>> tz, len);
                } else {
                    int len = 64 - l - r;
                    writeBits((0b11L << 11) | ((long) l << 6) | (len & 63), 13);
                    writeBits(x >>> r, len);
                    lz = (byte) l;
                    tz = (byte) r;
                }
            }
        }
        tPrev = t;
        vPrev = bits;
        count++;
        buf.putLong(wordPos, acc, ByteOrder.BIG_ENDIAN);
        buf.putShort(off + ChunkFormat.XOR_OFF_COUNT, (short) count, ByteOrder.LITTLE_ENDIAN);
        return true;
    }

    /** Writes the low n bits of value (1 <= n <= 64; higher bits must be zero), MSB first. */
    private void writeBits(long value, int n) {
        int free = 64 - accBits;
        if (n < free) {
            acc |= value << (free - n);
            accBits = (byte) (accBits + n);
        } else {
            int rest = n - free;
            acc |= value >>> rest;
            buf.putLong(wordPos, acc, ByteOrder.BIG_ENDIAN);
            wordPos += 8;
            acc = rest == 0 ? 0 : value << (64 - rest);
            accBits = (byte) rest;
        }
    }

    public int numSamples() { return buf.getShort(off + ChunkFormat.XOR_OFF_COUNT, ByteOrder.LITTLE_ENDIAN) & 0xffff; }

    /** Bytes of the chunk so far, header included. */
    public int sizeInBytes() { return wordPos - off + ((accBits + 7) >>> 3); }

    /** Timestamp of the first sample (undefined when empty). */
    public long minTime() { return buf.getLong(off + ChunkFormat.XOR_OFF_BITS, ByteOrder.BIG_ENDIAN); }

    /** Timestamp of the last sample (undefined when empty). */
    public long maxTime() { return tPrev; }

    /** Value of the last sample (undefined when empty). */
    public double lastValue() { return Double.longBitsToDouble(vPrev); }

    public MutableDirectBuffer buffer() { return buf; }

    public int offset() { return off; }
}
