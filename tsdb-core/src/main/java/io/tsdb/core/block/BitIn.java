package io.tsdb.core.block;

import java.nio.ByteBuffer;

/** Reads bit fields (MSB first) from a region of a buffer; overruns throw {@link IllegalStateException}. */
final class BitIn {
    private ByteBuffer buf;
    private int pos;
    private int end;
    private long acc;
    private int nbits;

    void reset(ByteBuffer buf, int pos, int end) {
        this.buf = buf;
        this.pos = pos;
        this.end = end;
        this.acc = 0;
        this.nbits = 0;
    }

    private void fill() {
        while (nbits <= 56) {
            if (pos >= end) {
                if (nbits == 0) throw new IllegalStateException("bit stream truncated");
                return;
            }
            acc |= (long) (buf.get(pos++) & 0xFF) << (56 - nbits);
            nbits += 8;
        }
    }

    /** Reads {@code n} bits, 0 <= n <= 64. */
    long read(int n) {
        if (n == 0) return 0;
        if (n > 56) { long hi = read(n - 32); return (hi << 32) | read(32); }
        if (nbits < n) { fill(); if (nbits < n) throw new IllegalStateException("bit stream truncated"); }
        long v = acc >>> (64 - n);
        acc <<= n;
        nbits -= n;
        return v;
    }

    boolean bit() { return read(1) != 0; }

    /** Counts leading 1 bits up to {@code max} (consuming them and the terminating 0 if fewer than max). */
    int ones(int max) {
        int c = 0;
        while (c < max && bit()) c++;
        return c;
    }
}
