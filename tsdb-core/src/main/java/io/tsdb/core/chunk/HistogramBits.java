package io.tsdb.core.chunk;

import java.nio.ByteOrder;

import org.agrona.MutableDirectBuffer;

/**
 * Bit-level codes of the histogram chunk encodings (docs/format/histogram-chunks.md): an MSB-first bit writer into
 * a {@link MutableDirectBuffer} (64-bit big-endian words, like the xor-stream), a reader over a padded byte[], the
 * signed {@code varbit} code for counts and their deltas, the timestamp delta-of-delta code and the XOR code for
 * float fields.
 */
final class HistogramBits {
    private HistogramBits() {}

    /**
     * Payload widths of the varbit code, by prefix: prefix k (k one-bits then a zero, or 7 one-bits for k = 7)
     * carries a WIDTHS[k]-bit two's-complement value; k = 0 (a single 0 bit) is the value 0.
     */
    static final int[] VARBIT_WIDTHS = {0, 4, 7, 10, 14, 21, 32, 64};

    /** Bits the varbit code of v takes. */
    static int varbitSize(long v) {
        if (v == 0) return 1;
        for (int k = 1; k < 7; k++) {
            int w = VARBIT_WIDTHS[k];
            if (v >= -(1L << (w - 1)) && v < (1L << (w - 1))) return k + 1 + w;
        }
        return 7 + 64;
    }

    /**
     * Payload widths of the unsigned {@code uvarbit} code used by the layout: prefix k carries UVARBIT_WIDTHS[k] bits
     * holding v - UVARBIT_BASE[k] (k = 0: the value 0 in one bit).
     */
    static final int[] UVARBIT_WIDTHS = {0, 3, 6, 9, 12, 18, 25, 64};
    static final long[] UVARBIT_BASE = new long[8];

    static {
        long base = 1;
        for (int k = 1; k < 7; k++) { UVARBIT_BASE[k] = base; base += 1L << UVARBIT_WIDTHS[k]; }
        UVARBIT_BASE[7] = 0;
    }

    /** Largest number of bits one varbit / timestamp / XOR code can take. */
    static final int MAX_VARBIT_BITS = 71, MAX_TS_BITS = 68, MAX_XOR_BITS = 77;

    static final class Out {
        private MutableDirectBuffer buf;
        private int wordPos;
        private long acc;
        private int accBits;

        void reset(MutableDirectBuffer buf, int bytePos) {
            this.buf = buf;
            wordPos = bytePos;
            acc = 0;
            accBits = 0;
        }

        /** Continues a stream whose first {@code bits} bits starting at byte start are already written. */
        void resume(MutableDirectBuffer buf, int start, long bits) {
            this.buf = buf;
            wordPos = start + (int) ((bits >>> 6) << 3);
            accBits = (int) (bits & 63);
            long a = 0;
            for (int i = 0, nb = (accBits + 7) >>> 3; i < nb; i++) a |= (buf.getByte(wordPos + i) & 0xffL) << (56 - 8 * i);
            acc = accBits == 0 ? 0 : a & ~(-1L >>> accBits);
        }

        /** Writes the low n bits of value (1 <= n <= 64), MSB first. */
        void write(long value, int n) {
            if (n < 64) value &= (1L << n) - 1;
            int free = 64 - accBits;
            if (n < free) {
                acc |= value << (free - n);
                accBits += n;
            } else {
                int rest = n - free;
                acc |= value >>> rest;
                buf.putLong(wordPos, acc, ByteOrder.BIG_ENDIAN);
                wordPos += 8;
                acc = rest == 0 ? 0 : value << (64 - rest);
                accBits = rest;
            }
        }

        /** Stores the pending word (up to 8 bytes past the end: scratch). */
        void flush() { buf.putLong(wordPos, acc, ByteOrder.BIG_ENDIAN); }

        /** Absolute byte position just after the last written bit. */
        int endByte() { return wordPos + ((accBits + 7) >>> 3); }

        /** Absolute position of the word being filled (bytes up to wordPos + 8 may be touched by flush). */
        int wordPos() { return wordPos; }

        long bitsFrom(int start) { return (long) (wordPos - start) * 8 + accBits; }

        void varbit(long v) {
            if (v == 0) { write(0, 1); return; }
            for (int k = 1; k < 7; k++) {
                int w = VARBIT_WIDTHS[k];
                if (v >= -(1L << (w - 1)) && v < (1L << (w - 1))) {
                    // k one-bits, a zero, then w bits
                    write(((1L << k) - 1) << 1, k + 1);
                    write(v, w);
                    return;
                }
            }
            write(0x7f, 7);
            write(v, 64);
        }

        /** Unsigned layout value (see UVARBIT_WIDTHS). */
        void uvarbit(long v) {
            if (v == 0) { write(0, 1); return; }
            for (int k = 1; k < 7; k++) {
                long rel = v - UVARBIT_BASE[k];
                if (v > 0 && rel >= 0 && rel < (1L << UVARBIT_WIDTHS[k])) {
                    write(((1L << k) - 1) << 1, k + 1);
                    write(rel, UVARBIT_WIDTHS[k]);
                    return;
                }
            }
            write(0x7f, 7);
            write(v, 64);
        }

        /** Timestamp delta-of-delta, same buckets as the xor-stream encoding. */
        void tsDod(long dod) {
            if (dod == 0) write(0, 1);
            else if (dod >= -128 && dod <= 127) write((0b10L << 8) | (dod & 0xffL), 10);
            else if (dod >= -8192 && dod <= 8191) write((0b110L << 14) | (dod & 0x3fffL), 17);
            else if (dod >= -524288 && dod <= 524287) write((0b1110L << 20) | (dod & 0xfffffL), 24);
            else { write(0b1111L, 4); write(dod, 64); }
        }

        /**
         * XOR of a float field against its previous bits, Gorilla style; lead/trail hold the field's window at
         * index i (lead < 0: none yet) and are updated.
         */
        void xor(long bits, long prev, byte[] lead, byte[] trail, int i) {
            long x = bits ^ prev;
            if (x == 0) { write(0, 1); return; }
            int l = Math.min(Long.numberOfLeadingZeros(x), 31);
            int r = Long.numberOfTrailingZeros(x);
            if (lead[i] >= 0 && l >= lead[i] && r >= trail[i]) {
                write(0b10, 2);
                write(x >>> trail[i], 64 - lead[i] - trail[i]);
            } else {
                int len = 64 - l - r;
                write((0b11L << 11) | ((long) l << 6) | (len & 63), 13);
                write(x >>> r, len);
                lead[i] = (byte) l;
                trail[i] = (byte) r;
            }
        }
    }

    /** Reader over a byte[] padded with >= 16 zero bytes after the chunk; bounds are checked by the caller. */
    static final class In {
        byte[] b;
        int base;
        long pos;

        void reset(byte[] b, int base) { this.b = b; this.base = base; pos = 0; }

        long peek() {
            int bp = base + (int) (pos >>> 3);
            int s = (int) (pos & 7);
            long w = Bits.getLongBE(b, bp) << s;
            if (s != 0) w |= (b[bp + 8] & 0xffL) >>> (8 - s);
            return w;
        }

        long read(int n) {
            long v = peek() >>> (64 - n);
            pos += n;
            return v;
        }

        long varbit() {
            long w = peek();
            if (w >= 0) { pos += 1; return 0; }
            int k = Math.min(Long.numberOfLeadingZeros(~w), 7);
            pos += k == 7 ? 7 : k + 1;
            int width = VARBIT_WIDTHS[k];
            long v = read(width);
            return width == 64 ? v : (v << (64 - width)) >> (64 - width);
        }

        long uvarbit() {
            long w = peek();
            if (w >= 0) { pos += 1; return 0; }
            int k = Math.min(Long.numberOfLeadingZeros(~w), 7);
            pos += k == 7 ? 7 : k + 1;
            return read(UVARBIT_WIDTHS[k]) + UVARBIT_BASE[k];
        }

        long tsDod() {
            long w = peek();
            if (w >= 0) { pos += 1; return 0; }
            if ((w << 1) >= 0) { pos += 10; return (w << 2) >> 56; }
            if ((w << 2) >= 0) { pos += 17; return (w << 3) >> 50; }
            if ((w << 3) >= 0) { pos += 24; return (w << 4) >> 44; }
            pos += 4;
            return read(64);
        }

        /** Reads an XOR code against prev with the field's window state; returns the new bits. */
        long xor(long prev, byte[] lead, byte[] trail, int i) {
            long w = peek();
            if (w >= 0) { pos += 1; return prev; }
            if ((w << 1) >= 0) {
                if (lead[i] < 0) throw new ChunkFormatException("histogram chunk: XOR field reuses a window before one was set");
                pos += 2;
                int len = 64 - lead[i] - trail[i];
                return prev ^ (read(len) << trail[i]);
            }
            int l = (int) ((w << 2) >>> 59);
            int len = (int) ((w << 7) >>> 58);
            if (len == 0) len = 64;
            int r = 64 - l - len;
            if (r < 0) throw new ChunkFormatException("histogram chunk: XOR field with leading " + l + " + length " + len + " > 64");
            pos += 13;
            long x = read(len) << r;
            lead[i] = (byte) l;
            trail[i] = (byte) r;
            return prev ^ x;
        }
    }
}
