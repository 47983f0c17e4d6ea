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

    /** Go's %g / strconv 'g' with shortest precision (exponent below 1e-4 and from 1e6 up). */
    public static String g(double f) { return g(f, 6); }

    /** Go's %v formatting of a float. */
    public static String v(double f) { return g(f, 6); }

    /** strconv.FormatFloat(f, 'g', -1, 64). */
    public static String strconvG(double f) { return g(f, 6); }

    /** Prometheus labels.FormatOpenMetricsFloat. */
    public static String openMetrics(double f) {
        if (f == 1) return "1.0";
        if (f == 0) return "0.0";
        if (f == -1) return "-1.0";
        String s = g(f, 6);
        if (s.contains("e") || s.contains(".") || s.contains("Inf") || s.contains("NaN")) return s;
        return s + ".0";
    }

    static String g(double f, int eprecShortest) {
        if (Double.isNaN(f)) return "NaN";
        if (Double.isInfinite(f)) return f > 0 ? "+Inf" : "-Inf";
        if (f == 0) return (1 / f < 0) ? "-0" : "0";
        BigDecimal bd = new BigDecimal(Double.toString(f)).stripTrailingZeros();
        int exp = bd.precision() - bd.scale() - 1;
        if (exp < -4 || exp >= eprecShortest) {
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
