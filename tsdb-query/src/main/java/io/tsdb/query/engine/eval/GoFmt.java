package io.tsdb.query.engine.eval;

import java.math.BigDecimal;

/** Float formatting compatible with Go's strconv (used in messages and count_values labels). */
public final class GoFmt {
    private GoFmt() {}

    /** Go's strconv.FormatFloat(f, 'f', -1, 64): shortest representation, no exponent. */
    public static String plain(double f) {
        if (Double.isNaN(f)) return "NaN";
        if (Double.isInfinite(f)) return f > 0 ? "+Inf" : "-Inf";
        if (f == 0) return (1 / f < 0) ? "-0" : "0";
        String s = new BigDecimal(Double.toString(f)).stripTrailingZeros().toPlainString();
        return s;
    }

    /** Go's %g (shortest repr, exponent for large/small magnitudes). */
    public static String g(double f) {
        if (Double.isNaN(f)) return "NaN";
        if (Double.isInfinite(f)) return f > 0 ? "+Inf" : "-Inf";
        if (f == 0) return (1 / f < 0) ? "-0" : "0";
        BigDecimal bd = new BigDecimal(Double.toString(f)).stripTrailingZeros();
        int exp = bd.precision() - bd.scale() - 1;
        if (exp < -4 || exp >= 21) {
            String digits = bd.unscaledValue().abs().toString();
            StringBuilder sb = new StringBuilder();
            if (f < 0) sb.append('-');
            sb.append(digits.charAt(0));
            if (digits.length() > 1) sb.append('.').append(digits, 1, digits.length());
            sb.append('e').append(exp < 0 ? '-' : '+');
            int ae = Math.abs(exp);
            if (ae < 10) sb.append('0');
            sb.append(ae);
            return sb.toString();
        }
        return bd.toPlainString();
    }

    /** Go's %f (6 decimals). */
    public static String f6(double f) {
        if (Double.isNaN(f)) return "NaN";
        if (Double.isInfinite(f)) return f > 0 ? "+Inf" : "-Inf";
        return String.format(java.util.Locale.ROOT, "%.6f", f);
    }
}
