package io.tsdb.core.chunk;

/** Decodes {@link ChunkFormat#ENC_XOR_STREAM} chunks (layout in docs/format/chunks.md). */
final class XorStreamDecoder {
    private XorStreamDecoder() {}

    /** 64 bits starting at bit position pos of the bitstream at byte base (array padded by >= 9 bytes). */
    private static long peek(byte[] b, int base, int pos) {
        int bp = base + (pos >>> 3);
        int s = pos & 7;
        long w = Bits.getLongBE(b, bp) << s;
        if (s != 0) w |= (b[bp + 8] & 0xffL) >>> (8 - s);
        return w;
    }

    /**
     * Decodes the chunk in b[off, off+len) (padded) into ts/vs (may be null when only the state is wanted);
     * fills state when non-null. Returns the sample count.
     */
    static int decode(byte[] b, int off, int len, long[] ts, double[] vs, XorStreamState state) {
        if (len < ChunkFormat.XOR_HEADER_SIZE) throw new ChunkFormatException("XOR chunk shorter than its header: " + len + " bytes");
        int n = (b[off + ChunkFormat.XOR_OFF_COUNT] & 0xff) | (b[off + ChunkFormat.XOR_OFF_COUNT + 1] & 0xff) << 8;
        if (state != null) { state.count = n; state.bitPos = 0; state.lz = -1; state.tz = 0; }
        if (n == 0) return 0;
        int base = off + ChunkFormat.XOR_OFF_BITS;
        long limitBits = (long) (len - ChunkFormat.XOR_HEADER_SIZE) * 8;
        if (limitBits < 128) throw new ChunkFormatException("XOR chunk with " + n + " samples is truncated at " + len + " bytes");
        int pos = 0;
        long t = peek(b, base, 0);
        long v = peek(b, base, 64);
        pos = 128;
        if (ts != null) { ts[0] = t; vs[0] = Double.longBitsToDouble(v); }
        long tFirst = t, delta = 0;
        int lz = -1, tz = 0, len2 = 0;
        // every sample reads at most 145 bits; check the bound every iteration cheaply via pos
        try {
            for (int i = 1; i < n; i++) {
                if (pos > limitBits) break;
                long w = peek(b, base, pos);
                long dod;
                int used;
                if (w >= 0) { dod = 0; used = 1; }
                else if ((w << 1) >= 0) { dod = (w << 2) >> 56; used = 10; }
                else if ((w << 2) >= 0) { dod = (w << 3) >> 50; used = 17; }
                else if ((w << 3) >= 0) { dod = (w << 4) >> 44; used = 24; }
                else { dod = peek(b, base, pos + 4); used = 68; }
                delta += dod;
                t += delta;
                pos += used;
                // The value's bits usually follow within the 64 bits already read: reuse them (one read per sample).
                int avail;
                if (used < 64) { w <<= used; avail = 64 - used; } else { w = peek(b, base, pos); avail = 64; }
                if (w >= 0) {
                    pos += 1;
                } else if ((w << 1) >= 0) {
                    if (lz < 0) throw new ChunkFormatException("XOR chunk: sample " + i + " reuses a window before one was set");
                    long x = 2 + len2 <= avail ? (w << 2) >>> (64 - len2) : peek(b, base, pos + 2) >>> (64 - len2);
                    pos += 2 + len2;
                    v ^= x << tz;
                } else {
                    int l = (int) ((w << 2) >>> 59);
                    int ln = (int) ((w << 7) >>> 58);
                    if (ln == 0) ln = 64;
                    int r = 64 - l - ln;
                    if (r < 0) throw new ChunkFormatException("XOR chunk: sample " + i + " has leading " + l + " + length " + ln + " > 64");
                    long x = 13 + ln <= avail ? (w << 13) >>> (64 - ln) : peek(b, base, pos + 13) >>> (64 - ln);
                    pos += 13 + ln;
                    v ^= x << r;
                    lz = l;
                    tz = r;
                    len2 = ln;
                }
                if (ts != null) { ts[i] = t; vs[i] = Double.longBitsToDouble(v); }
            }
        } catch (IndexOutOfBoundsException e) {
            throw new ChunkFormatException("XOR chunk with " + n + " samples is truncated at " + len + " bytes");
        }
        if (pos > limitBits) throw new ChunkFormatException("XOR chunk with " + n + " samples is truncated at " + len + " bytes (needs " + ((pos + 7) / 8 + ChunkFormat.XOR_HEADER_SIZE) + ")");
        if (state != null) {
            state.bitPos = pos;
            state.tFirst = tFirst;
            state.tLast = t;
            state.dLast = delta;
            state.vLast = v;
            state.lz = lz;
            state.tz = tz;
        }
        return n;
    }
}
