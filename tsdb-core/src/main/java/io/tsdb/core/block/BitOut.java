package io.tsdb.core.block;

/** Appends bit fields (MSB first) to a {@link ByteOut}. Call {@link #flush()} at the end. */
final class BitOut {
    private final ByteOut out;
    private long acc;
    private int nbits;

    BitOut(ByteOut out) { this.out = out; }

    /** Writes the low {@code n} bits of {@code v}, 0 <= n <= 64. */
    void write(long v, int n) {
        if (n == 0) return;
        if (n > 56) { write(v >>> 32, n - 32); write(v, 32); return; }
        acc = (acc << n) | (n == 64 ? v : (v & ((1L << n) - 1)));
        nbits += n;
        while (nbits >= 8) {
            nbits -= 8;
            out.u8((int) (acc >>> nbits));
        }
    }

    void bit(boolean b) { write(b ? 1 : 0, 1); }

    void flush() {
        if (nbits > 0) { out.u8((int) (acc << (8 - nbits))); nbits = 0; }
        acc = 0;
    }
}
