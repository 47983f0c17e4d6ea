package io.tsdb.core.chunk;

import java.util.Arrays;

/**
 * Integer sequence codec used by the timestamp column and by decimal mantissas (docs/format/chunks.md,
 * "int-seq"). A sequence of n longs is differenced {@code order} times (0, 1 or 2; wrapping arithmetic,
 * so any 64-bit input round-trips), the residuals are mapped to unsigned either by subtracting their
 * minimum (frame of reference) or by zig-zag, and bit-packed LSB-first with a common width w; residuals
 * wider than w are patched from an exception list. The encoder picks order, mapping and w that minimise
 * the size. Instances hold scratch arrays and are not thread-safe; nothing is allocated per sample.
 */
final class IntSeqCodec {
    static final int MODE_ZIGZAG = 4;

    private long[] d1 = new long[0];
    private long[] d2 = new long[0];
    private final int[] hist = new int[65];
    private final int[] present = new int[65];
    // result of bestWidth
    private int bwWidth;

    /** Encodes v[0, n) (n >= 1) into out, choosing a delta order up to maxOrder. */
    void encode(long[] v, int n, Bits.Sink out, int maxOrder) {
        if (n < 1) throw new IllegalArgumentException("n must be >= 1");
        if (d1.length < n) { d1 = new long[Math.max(n, 16)]; d2 = new long[Math.max(n, 16)]; }
        long[] a1 = d1, a2 = d2;
        int top = Math.min(maxOrder, n - 1);
        if (top >= 1) {
            long prev = v[0];
            for (int i = 1; i < n; i++) { long x = v[i]; a1[i] = x - prev; prev = x; }
        }
        if (top >= 2) {
            long prev = a1[1];
            for (int i = 2; i < n; i++) { long x = a1[i]; a2[i] = x - prev; prev = x; }
        }
        long bestCost = Long.MAX_VALUE;
        int bestOrder = 0, bestW = 0;
        boolean bestZz = false;
        long bestBase = 0;
        for (int order = 0; order <= top; order++) {
            long[] d = order == 0 ? v : order == 1 ? a1 : a2;
            int m = n - order;
            long head = 16; // mode byte + width byte
            if (order >= 1) head += 8L * Bits.varLongSize(Bits.zigzag(v[0]));
            if (order == 2) head += 8L * Bits.varLongSize(Bits.zigzag(a1[1]));
            // frame of reference: r = d - min (unsigned)
            long min = d[order];
            for (int i = order + 1; i < n; i++) min = Math.min(min, d[i]);
            Arrays.fill(hist, 0);
            for (int i = order; i < n; i++) hist[Bits.bitLength(d[i] - min)]++;
            long c = head + 8L * Bits.varLongSize(Bits.zigzag(min)) + bestWidth(m);
            if (c < bestCost) { bestCost = c; bestOrder = order; bestZz = false; bestBase = min; bestW = bwWidth; }
            // zig-zag around 0
            Arrays.fill(hist, 0);
            for (int i = order; i < n; i++) hist[Bits.bitLength(Bits.zigzag(d[i]))]++;
            c = head + 8 + bestWidth(m);
            if (c < bestCost) { bestCost = c; bestOrder = order; bestZz = true; bestBase = 0; bestW = bwWidth; }
        }
        write(v, n, bestOrder == 0 ? v : bestOrder == 1 ? a1 : a2, bestOrder, bestZz, bestBase, bestW, out);
    }

    /** Cost in bits of packing the residual histogram with the best width; sets bwWidth. */
    private long bestWidth(int m) {
        int np = 0;
        for (int b = 0; b <= 64; b++) if (hist[b] != 0) present[np++] = b;
        int maxB = present[np - 1];
        long best = (long) m * maxB;
        int bestW = maxB;
        for (int w = 0; w < maxB; w++) {
            long c = (long) m * w;
            for (int k = np - 1; k >= 0; k--) {
                int b = present[k];
                if (b <= w) break;
                // exception: index gap varint (~1 byte) + high bits varint
                c += (long) hist[b] * (8 + 8 * ((b - w + 6) / 7));
            }
            if (c < best) { best = c; bestW = w; }
        }
        bwWidth = bestW;
        return best;
    }

    private static void write(long[] v, int n, long[] d, int order, boolean zz, long base, int w, Bits.Sink out) {
        out.putByte(order | (zz ? MODE_ZIGZAG : 0));
        if (order >= 1) out.putVarLong(Bits.zigzag(v[0]));
        if (order == 2) out.putVarLong(Bits.zigzag(v[1] - v[0]));
        out.putVarLong(Bits.zigzag(base));
        out.putByte(w);
        int m = n - order;
        long mask = Bits.mask(w);
        int exc = 0;
        for (int i = order; i < n; i++) {
            long r = zz ? Bits.zigzag(d[i] - base) : d[i] - base;
            if ((r & ~mask) != 0) exc++;
        }
        out.putVarLong(exc);
        int packedBytes = (int) (((long) m * w + 7) >>> 3);
        out.ensure(packedBytes + 8);
        byte[] b = out.buf;
        int p = out.pos;
        if (w > 0) {
            long acc = 0;
            int accBits = 0;
            for (int i = order; i < n; i++) {
                long r = (zz ? Bits.zigzag(d[i] - base) : d[i] - base) & mask;
                acc |= r << accBits;
                int nb = accBits + w;
                if (nb >= 64) {
                    Bits.putLongLE(b, p, acc);
                    p += 8;
                    acc = accBits == 0 ? 0 : r >>> (64 - accBits);
                    nb -= 64;
                }
                accBits = nb;
            }
            Bits.putLongLE(b, p, acc); // partial word; only ceil(accBits/8) bytes count
        }
        out.pos += packedBytes;
        if (exc > 0) {
            int last = 0;
            for (int i = order; i < n; i++) {
                long r = zz ? Bits.zigzag(d[i] - base) : d[i] - base;
                if ((r & ~mask) != 0) {
                    int idx = i - order;
                    out.putVarLong(idx - last);
                    out.putVarLong(r >>> w);
                    last = idx;
                }
            }
        }
    }

    /** Decodes n values (as written by encode) from s into dst[off, off+n). */
    static void decode(Bits.Source s, int n, long[] dst, int off) {
        int mode = s.u8("int-seq mode");
        int order = mode & 3;
        boolean zz = (mode & MODE_ZIGZAG) != 0;
        if (order > 2 || (mode & ~7) != 0) throw new ChunkFormatException("int-seq: bad mode byte " + mode + " at offset " + (s.pos - 1));
        if (order > n - 1 && n > 0) throw new ChunkFormatException("int-seq: order " + order + " for only " + n + " values");
        long v0 = 0, first = 0;
        if (order >= 1) v0 = Bits.unzigzag(s.varLong("int-seq first value"));
        if (order == 2) first = Bits.unzigzag(s.varLong("int-seq first delta"));
        long base = Bits.unzigzag(s.varLong("int-seq base"));
        int w = s.u8("int-seq width");
        if (w > 64) throw new ChunkFormatException("int-seq: bit width " + w + " > 64 at offset " + (s.pos - 1));
        long excL = s.varLong("int-seq exception count");
        int m = n - order;
        if (excL > m || (w == 64 && excL > 0)) throw new ChunkFormatException("int-seq: " + excL + " exceptions for " + m + " residuals of width " + w);
        int packedBytes = (int) (((long) m * w + 7) >>> 3);
        s.need(packedBytes, "int-seq packed residuals");
        unpack(s.buf, s.pos, w, dst, off + order, m);
        s.pos += packedBytes;
        int idx = 0;
        for (int e = 0; e < excL; e++) {
            idx += (int) s.varLong("int-seq exception index");
            long high = s.varLong("int-seq exception value");
            if (idx < 0 || idx >= m) throw new ChunkFormatException("int-seq: exception index " + idx + " out of " + m);
            dst[off + order + idx] |= high << w;
        }
        int end = off + n;
        switch (order) {
            case 0:
                if (zz) { for (int i = off; i < end; i++) dst[i] = base + Bits.unzigzag(dst[i]); }
                else if (base != 0) { for (int i = off; i < end; i++) dst[i] = base + dst[i]; }
                break;
            case 1: {
                long prev = v0;
                dst[off] = v0;
                if (zz) { for (int i = off + 1; i < end; i++) { prev += base + Bits.unzigzag(dst[i]); dst[i] = prev; } }
                else { for (int i = off + 1; i < end; i++) { prev += base + dst[i]; dst[i] = prev; } }
                break;
            }
            default: {
                long prev = v0 + first, delta = first;
                dst[off] = v0;
                dst[off + 1] = prev;
                if (zz) { for (int i = off + 2; i < end; i++) { delta += base + Bits.unzigzag(dst[i]); prev += delta; dst[i] = prev; } }
                else { for (int i = off + 2; i < end; i++) { delta += base + dst[i]; prev += delta; dst[i] = prev; } }
            }
        }
    }

    /** Unpacks m residuals of width w starting at byte base (array padded by >= 9 bytes past the data). */
    static void unpack(byte[] b, int base, int w, long[] dst, int off, int m) {
        if (w == 0) { Arrays.fill(dst, off, off + m, 0L); return; }
        long mask = Bits.mask(w);
        int end = off + m;
        if (w <= 57) {
            int bit = 0;
            for (int i = off; i < end; i++, bit += w) {
                dst[i] = (Bits.getLongLE(b, base + (bit >>> 3)) >>> (bit & 7)) & mask;
            }
        } else {
            int bit = 0;
            for (int i = off; i < end; i++, bit += w) {
                int p = base + (bit >>> 3);
                int sh = bit & 7;
                long r = Bits.getLongLE(b, p) >>> sh;
                if (sh != 0) r |= (long) (b[p + 8] & 0xff) << (64 - sh);
                dst[i] = r & mask;
            }
        }
    }
}
