package io.tsdb.core.chunk;

/**
 * Value column codecs of the columnar chunk (docs/format/chunks.md): decimal detection for VAL_DECIMAL
 * and the byte-aligned XOR codec VAL_XOR_BYTES. Stateless; callers pass scratch arrays.
 */
final class ValueCodecs {
    private ValueCodecs() {}

    static final long NEG_ZERO_BITS = 0x8000000000000000L;
    static final double[] POW10 = new double[ChunkFormat.MAX_DECIMAL_SCALE + 1];
    static final long[] POW10_L = new long[ChunkFormat.MAX_DECIMAL_SCALE + 1];
    static {
        double d = 1;
        long l = 1;
        for (int i = 0; i <= ChunkFormat.MAX_DECIMAL_SCALE; i++) { POW10[i] = d; POW10_L[i] = l; d *= 10; l *= 10; }
    }
    private static final long FAIL = Long.MIN_VALUE;
    private static final double MAX_M = (double) ChunkFormat.MAX_DECIMAL_MANTISSA;

    /** Mantissa m with m / 10^s == v bit-exactly, or FAIL. */
    static long mantissaAt(double v, long bits, int s) {
        if (s == 0) {
            long m = (long) v;
            return ((double) m == v && bits != NEG_ZERO_BITS && m <= ChunkFormat.MAX_DECIMAL_MANTISSA && m >= -ChunkFormat.MAX_DECIMAL_MANTISSA) ? m : FAIL;
        }
        double x = v * POW10[s];
        if (!(Math.abs(x) <= MAX_M)) return FAIL; // also rejects NaN and infinities
        long m = (long) Math.rint(x);
        return Double.doubleToRawLongBits((double) m / POW10[s]) == bits ? m : FAIL;
    }

    /** NaN (any payload, incl. the stale marker), +-Inf and -0.0: never decimals, stored as exceptions. */
    static boolean isSpecial(long bits) {
        return bits == NEG_ZERO_BITS || (bits & 0x7ff0000000000000L) == 0x7ff0000000000000L;
    }

    /**
     * Finds the smallest common scale s such that every value other than at most maxSpecials special
     * values ({@link #isSpecial}) is m / 10^s bit-exactly with |m| <= 2^53, filling mant[0, n) (a special
     * value gets the previous mantissa, so deltas stay small) and specials[0, count) with their indices.
     * Returns {@code scale | count << 8}, or -1 when there is no such scale.
     */
    static int detectScale(double[] vs, int n, long[] mant, int[] specials, int maxSpecials) {
        int scale = 0, count = 0;
        long prevM = 0;
        for (int i = 0; i < n; i++) {
            double v = vs[i];
            long bits = Double.doubleToRawLongBits(v);
            long m = mantissaAt(v, bits, scale);
            if (m == FAIL) {
                if (isSpecial(bits)) {
                    if (count == maxSpecials) return -1;
                    specials[count++] = i;
                    mant[i] = prevM;
                    continue;
                }
                int s = scale + 1;
                for (; s <= ChunkFormat.MAX_DECIMAL_SCALE; s++) {
                    m = mantissaAt(v, bits, s);
                    if (m != FAIL) break;
                }
                if (m == FAIL) return -1;
                long f = POW10_L[s - scale];
                long lim = ChunkFormat.MAX_DECIMAL_MANTISSA / f;
                for (int j = 0; j < i; j++) {
                    long mj = mant[j];
                    if (mj > lim || mj < -lim) return -1;
                    mant[j] = mj * f;
                }
                scale = s;
            }
            mant[i] = m;
            prevM = m;
        }
        return scale | count << 8;
    }

    /** vs[i] = vs[i] / 10^scale: with vs[i] = (double) m_i this is the expression the encoder verified. */
    static void divideByPow10(double[] vs, int n, int scale) {
        double p = POW10[scale];
        for (int i = 0; i < n; i++) vs[i] = vs[i] / p;
    }

    // ---- byte-aligned XOR ----
    // code 0: xor == 0; 1..8: the low `code` bytes of xor; 9..15: the high (code-8) bytes of xor.
    static final int[] NB = new int[16];
    static final long[] MASK = new long[16];
    static final int[] SHIFT = new int[16];
    static final int[] NB2 = new int[256];
    static {
        for (int c = 1; c <= 8; c++) { NB[c] = c; MASK[c] = Bits.mask(8 * c); SHIFT[c] = 0; }
        for (int c = 9; c <= 15; c++) { int k = c - 8; NB[c] = k; MASK[c] = Bits.mask(8 * k); SHIFT[c] = 8 * (8 - k); }
        for (int h = 0; h < 256; h++) NB2[h] = NB[h & 15] + NB[h >>> 4];
    }

    /** Writes vs[0, n) (n >= 1) as VAL_XOR_BYTES payload (without the codec id). */
    static void encodeXorBytes(double[] vs, int n, Bits.Sink out) {
        long prev = Double.doubleToRawLongBits(vs[0]);
        out.putLongLE(prev);
        int nh = n >>> 1; // ceil((n-1)/2) code nibbles
        out.ensure(nh + 8 * n + 8);
        byte[] b = out.buf;
        int hp = out.pos;
        java.util.Arrays.fill(b, hp, hp + nh, (byte) 0);
        int p = hp + nh;
        for (int i = 1; i < n; i++) {
            long cur = Double.doubleToRawLongBits(vs[i]);
            long x = cur ^ prev;
            prev = cur;
            int code;
            int nb;
            long payload;
            if (x == 0) {
                code = 0; nb = 0; payload = 0;
            } else {
                int lzB = Long.numberOfLeadingZeros(x) >>> 3;
                int tzB = Long.numberOfTrailingZeros(x) >>> 3;
                int nLow = 8 - lzB, nHigh = 8 - tzB;
                if (nHigh < nLow) { code = 8 + nHigh; nb = nHigh; payload = x >>> (tzB << 3); }
                else { code = nLow; nb = nLow; payload = x; }
            }
            Bits.putLongLE(b, p, payload);
            p += nb;
            int k = i - 1;
            b[hp + (k >>> 1)] |= (byte) (code << ((k & 1) << 2));
        }
        out.pos = p;
    }

    /** Decodes a VAL_XOR_BYTES payload of n >= 1 values from s into vs (s.buf padded by Bits.PAD). */
    static void decodeXorBytes(Bits.Source s, int n, double[] vs) {
        long prev = s.longLE("xor-bytes first value");
        vs[0] = Double.longBitsToDouble(prev);
        int nh = n >>> 1;
        s.need(nh, "xor-bytes codes");
        byte[] b = s.buf;
        int hp = s.pos;
        int total = 0;
        for (int k = 0; k < nh; k++) total += NB2[b[hp + k] & 0xff];
        if (((n - 1) & 1) == 1) total -= NB[(b[hp + nh - 1] & 0xff) >>> 4]; // unused high nibble of the last byte
        s.pos += nh;
        s.need(total, "xor-bytes payload");
        int p = s.pos;
        int i = 1;
        int pairs = (n - 1) >>> 1;
        for (int k = 0; k < pairs; k++) {
            int h = b[hp + k] & 0xff;
            int c0 = h & 15, c1 = h >>> 4;
            long x0 = (Bits.getLongLE(b, p) & MASK[c0]) << SHIFT[c0];
            p += NB[c0];
            long x1 = (Bits.getLongLE(b, p) & MASK[c1]) << SHIFT[c1];
            p += NB[c1];
            prev ^= x0;
            vs[i] = Double.longBitsToDouble(prev);
            prev ^= x1;
            vs[i + 1] = Double.longBitsToDouble(prev);
            i += 2;
        }
        if (i < n) {
            int c0 = b[hp + pairs] & 15;
            long x0 = (Bits.getLongLE(b, p) & MASK[c0]) << SHIFT[c0];
            p += NB[c0];
            prev ^= x0;
            vs[i] = Double.longBitsToDouble(prev);
        }
        s.pos = p;
    }
}
