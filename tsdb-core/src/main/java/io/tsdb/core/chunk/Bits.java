package io.tsdb.core.chunk;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/** Low-level helpers shared by the codecs: unaligned long access on byte[], zig-zag, varints. */
final class Bits {
    private Bits() {}

    static final VarHandle LE_LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    static final VarHandle BE_LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
    static final VarHandle LE_INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    /** Zero bytes kept after a chunk copied into a decode scratch array, so 8-byte reads never run off. */
    static final int PAD = 16;

    static long getLongLE(byte[] b, int pos) { return (long) LE_LONG.get(b, pos); }

    static long getLongBE(byte[] b, int pos) { return (long) BE_LONG.get(b, pos); }

    static void putLongLE(byte[] b, int pos, long v) { LE_LONG.set(b, pos, v); }

    static long zigzag(long v) { return (v << 1) ^ (v >> 63); }

    static long unzigzag(long z) { return (z >>> 1) ^ -(z & 1); }

    /** Number of significant bits of x read as unsigned (0 for 0). */
    static int bitLength(long x) { return 64 - Long.numberOfLeadingZeros(x); }

    /** Bytes taken by the unsigned LEB128 varint of v. */
    static int varLongSize(long v) {
        int bits = bitLength(v);
        return bits == 0 ? 1 : (bits + 6) / 7;
    }

    /** Mask of the low {@code w} bits, 0 <= w <= 64. */
    static long mask(int w) { return w == 64 ? -1L : (1L << w) - 1; }

    /** A growable byte[] output with a write position. */
    static final class Sink {
        byte[] buf;
        int pos;

        Sink(int initial) { buf = new byte[Math.max(64, initial)]; }

        void ensure(int extra) {
            int need = pos + extra + PAD;
            if (need > buf.length) buf = java.util.Arrays.copyOf(buf, Math.max(need, buf.length * 2));
        }

        void putByte(int v) { ensure(1); buf[pos++] = (byte) v; }

        void putVarLong(long v) {
            ensure(10);
            while ((v & ~0x7fL) != 0) {
                buf[pos++] = (byte) ((v & 0x7f) | 0x80);
                v >>>= 7;
            }
            buf[pos++] = (byte) v;
        }

        void putLongLE(long v) { ensure(8); Bits.putLongLE(buf, pos, v); pos += 8; }
    }

    /** A bounds-checked reader over byte[] [pos, limit) for headers; codecs read bulk data directly. */
    static final class Source {
        byte[] buf;
        int pos;
        int limit;

        void reset(byte[] b, int p, int lim) { buf = b; pos = p; limit = lim; }

        void need(int n, String what) {
            if (n < 0 || pos + n > limit) throw new ChunkFormatException("truncated chunk: " + what + " needs " + n + " bytes at offset " + pos + ", chunk ends at " + limit);
        }

        int u8(String what) { need(1, what); return buf[pos++] & 0xff; }

        long varLong(String what) {
            long v = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                need(1, what);
                int b = buf[pos++];
                v |= (long) (b & 0x7f) << shift;
                if (b >= 0) return v;
            }
            throw new ChunkFormatException("malformed varint for " + what + " before offset " + pos);
        }

        long longLE(String what) { need(8, what); long v = getLongLE(buf, pos); pos += 8; return v; }
    }
}
