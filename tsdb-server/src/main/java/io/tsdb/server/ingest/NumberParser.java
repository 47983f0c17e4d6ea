package io.tsdb.server.ingest;

import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;

/**
 * Parses numbers straight from buffer bytes. Decimal floats with at most 18 significant digits and a small
 * exponent are converted exactly without allocating (mantissa and power of ten are both exact doubles, so one
 * correctly rounded multiply or divide gives the correctly rounded result); anything else falls back to
 * {@link Double#parseDouble} after strict syntax checks. After each call {@link #ok} tells success.
 */
public final class NumberParser {
    private static final double[] POW10 = new double[23];
    static {
        double p = 1;
        for (int i = 0; i < POW10.length; i++) { POW10[i] = p; p *= 10; }
    }

    public boolean ok;

    /**
     * A float in Go ParseFloat / Prometheus syntax: [+-] digits [. digits] [e [+-] digits], or NaN, Inf,
     * +Inf, -Inf, Infinity (case-insensitive).
     */
    public double parseDouble(ByteBuf b, int start, int end) {
        ok = false;
        if (start >= end) return 0;
        int i = start;
        boolean neg = false;
        byte c = b.getByte(i);
        if (c == '+' || c == '-') { neg = c == '-'; i++; }
        if (i >= end) return 0;
        c = b.getByte(i);
        if (c != '.' && (c < '0' || c > '9')) return words(b, i, end, neg);
        long mant = 0;
        int digits = 0, exp10 = 0;
        boolean any = false, dot = false, exact = true;
        for (; i < end; i++) {
            c = b.getByte(i);
            if (c >= '0' && c <= '9') {
                any = true;
                if (mant == 0 && c == '0') { if (dot) exp10--; continue; }
                if (digits < 18) { mant = mant * 10 + (c - '0'); digits++; if (dot) exp10--; }
                else { exact = false; if (!dot) exp10++; }
            } else if (c == '.' && !dot) {
                dot = true;
            } else break;
        }
        if (!any) return 0;
        if (i < end) {
            c = b.getByte(i);
            if (c != 'e' && c != 'E') return 0;
            i++;
            boolean eneg = false;
            if (i < end && (b.getByte(i) == '+' || b.getByte(i) == '-')) { eneg = b.getByte(i) == '-'; i++; }
            if (i >= end) return 0;
            int e = 0;
            for (; i < end; i++) {
                c = b.getByte(i);
                if (c < '0' || c > '9') return 0;
                if (e < 100000) e = e * 10 + (c - '0');
            }
            exp10 += eneg ? -e : e;
        }
        ok = true;
        if (mant == 0) return neg ? -0.0 : 0.0;
        if (exact && mant < (1L << 53) && exp10 >= -22 && exp10 <= 22) {
            double d = exp10 >= 0 ? mant * POW10[exp10] : mant / POW10[-exp10];
            return neg ? -d : d;
        }
        // rare: many digits or a large exponent; the syntax was checked above so parseDouble cannot misread it
        return Double.parseDouble(b.toString(start, end - start, StandardCharsets.US_ASCII));
    }

    private double words(ByteBuf b, int i, int end, boolean neg) {
        int n = end - i;
        if (n == 3 && eq(b, i, "nan")) { ok = true; return Double.NaN; }
        if ((n == 3 && eq(b, i, "inf")) || (n == 8 && eq(b, i, "infinity"))) {
            ok = true;
            return neg ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
        }
        return 0;
    }

    private static boolean eq(ByteBuf b, int i, String lower) {
        for (int k = 0; k < lower.length(); k++) {
            int c = b.getByte(i + k) | 0x20;
            if (c != lower.charAt(k)) return false;
        }
        return true;
    }

    /** A signed decimal long [+-]digits; overflow or other characters fail. */
    public long parseLong(ByteBuf b, int start, int end) {
        ok = false;
        if (start >= end) return 0;
        int i = start;
        boolean neg = false;
        byte c = b.getByte(i);
        if (c == '+' || c == '-') { neg = c == '-'; i++; }
        if (i >= end) return 0;
        long v = 0;
        for (; i < end; i++) {
            c = b.getByte(i);
            if (c < '0' || c > '9') return 0;
            int d = c - '0';
            // accumulate negatively to reach Long.MIN_VALUE
            if (v < (Long.MIN_VALUE + d) / 10) return 0;
            v = v * 10 - d;
        }
        if (!neg) {
            if (v == Long.MIN_VALUE) return 0;
            v = -v;
        }
        ok = true;
        return v;
    }

    /** An unsigned decimal up to 2^64-1, returned as a double. */
    public double parseUnsigned(ByteBuf b, int start, int end) {
        ok = false;
        if (start >= end) return 0;
        long v = 0;
        for (int i = start; i < end; i++) {
            byte c = b.getByte(i);
            if (c < '0' || c > '9') return 0;
            int d = c - '0';
            if (Long.compareUnsigned(v, Long.divideUnsigned(-1L - d, 10)) > 0) return 0;
            v = v * 10 + d;
        }
        ok = true;
        return v >= 0 ? (double) v : (double) (v >>> 1) * 2.0 + (v & 1);
    }
}
