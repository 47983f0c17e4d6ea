package io.tsdb.server.api;

import com.fasterxml.jackson.core.io.schubfach.DoubleToDecimal;

/**
 * Float formatting with Go's {@code strconv.FormatFloat(v, fmt, -1, 64)} semantics (shortest decimal that
 * round-trips), as Prometheus uses it: {@link #api} for JSON API values ('f', or 'e' when |v| &lt; 1e-6 or
 * |v| &ge; 1e21), {@link #text} for the text exposition format ('g'). Special values are "NaN", "+Inf", "-Inf".
 * The shortest digits come from the Schubfach algorithm (Java 17's Double.toString is not always shortest).
 */
public final class GoFloat {
    private GoFloat() {}

    /** Value string as the Prometheus HTTP API writes it. */
    public static String api(double v) {
        // Fast path for integral values (counters, gauges of counts): Go prints them without a fraction.
        if (v == (long) v && Math.abs(v) < 1e15 && (v != 0 || Double.doubleToRawLongBits(v) == 0)) return Long.toString((long) v);
        if (Double.isNaN(v)) return "NaN";
        if (Double.isInfinite(v)) return v > 0 ? "+Inf" : "-Inf";
        double abs = Math.abs(v);
        if (abs >= 1e-3 && abs < 1e7) {
            // Schubfach writes these in plain notation with the shortest digits, which is Go's 'f' (a gauge's reading,
            // a rate: most values of a query's answer); format's splitting and joining of the digits is for the rest
            String s = DoubleToDecimal.toString(abs);
            return v < 0 ? "-".concat(s) : s;
        }
        return format(v, abs != 0 && (abs < 1e-6 || abs >= 1e21) ? 'e' : 'f');
    }

    /** Value string as the Prometheus text exposition format writes it ('g', shortest). */
    public static String text(double v) {
        if (Double.isNaN(v)) return "NaN";
        if (Double.isInfinite(v)) return v > 0 ? "+Inf" : "-Inf";
        return format(v, 'g');
    }

    /** Go's FormatFloat(v, fmt, -1, 64) for finite v; fmt is 'f', 'e' or 'g'. */
    public static String format(double v, char fmt) {
        boolean neg = (Double.doubleToRawLongBits(v) & Long.MIN_VALUE) != 0;
        StringBuilder sb = new StringBuilder(24);
        if (neg) sb.append('-');
        String digits;
        int dp; // value = 0.digits * 10^dp
        if (v == 0) {
            digits = "0";
            dp = 1;
        } else {
            String s = DoubleToDecimal.toString(Math.abs(v));
            int e = s.indexOf('E');
            String mant = e < 0 ? s : s.substring(0, e);
            int exp = e < 0 ? 0 : Integer.parseInt(s.substring(e + 1));
            int dot = mant.indexOf('.');
            String ip = dot < 0 ? mant : mant.substring(0, dot);
            String fp = dot < 0 ? "" : mant.substring(dot + 1);
            String d = ip + fp;
            dp = ip.length() + exp;
            int lead = 0;
            while (lead < d.length() - 1 && d.charAt(lead) == '0') { lead++; dp--; }
            int end = d.length();
            while (end > lead + 1 && d.charAt(end - 1) == '0') end--;
            digits = d.substring(lead, end);
            if (digits.length() == 2) {
                // Java's algorithm keeps two digits when the shortest has one (e.g. 4.9E-324 for 5e-324).
                int d0 = digits.charAt(0) - '0';
                boolean up = digits.charAt(1) >= '5';
                for (int c : up ? new int[]{d0 + 1, d0} : new int[]{d0, d0 + 1}) {
                    String cand = c == 10 ? "1" : String.valueOf(c);
                    int cdp = c == 10 ? dp + 1 : dp;
                    if (Double.parseDouble("0." + cand + "E" + cdp) == Math.abs(v)) {
                        digits = cand;
                        dp = cdp;
                        break;
                    }
                }
            }
        }
        int nd = digits.length();
        if (fmt == 'g') {
            int exp = dp - 1;
            // Go: for the shortest representation %e is used when exp < -4 || exp >= 6 (eprec = 6).
            fmt = (v != 0 && (exp < -4 || exp >= 6)) ? 'e' : 'f';
        }
        if (fmt == 'e') {
            sb.append(digits.charAt(0));
            if (nd > 1) sb.append('.').append(digits, 1, nd);
            int exp = v == 0 ? 0 : dp - 1;
            sb.append('e').append(exp < 0 ? '-' : '+');
            int a = Math.abs(exp);
            if (a < 10) sb.append('0');
            sb.append(a);
            return sb.toString();
        }
        if (dp <= 0) {
            sb.append("0.");
            for (int i = 0; i < -dp; i++) sb.append('0');
            sb.append(digits);
        } else if (dp >= nd) {
            sb.append(digits);
            for (int i = nd; i < dp; i++) sb.append('0');
        } else {
            sb.append(digits, 0, dp).append('.').append(digits, dp, nd);
        }
        return sb.toString();
    }

    /**
     * {@link #api} of an integral value with |v| &lt; 1e15 into {@code out} from {@code off} (at least 17 chars), returning the
     * number of characters; -1 (nothing written) for any other value.
     */
    static int apiIntegral(double v, char[] out, int off) {
        if (!(v == (long) v && Math.abs(v) < 1e15 && (v != 0 || Double.doubleToRawLongBits(v) == 0))) return -1;
        return putLong((long) v, out, off) - off;
    }

    /** {@link #timestamp(long)} into {@code out} from {@code off} (at least 25 chars); returns the number of characters. */
    static int timestamp(long ms, char[] out, int off) {
        int p = off;
        if (ms < 0) {
            if (ms == Long.MIN_VALUE) {
                String s = timestamp(ms);
                s.getChars(0, s.length(), out, off);
                return s.length();
            }
            out[p++] = '-';
            ms = -ms;
        }
        p = putLong(ms / 1000, out, p);
        int f = (int) (ms % 1000);
        if (f != 0) { // three digits, as timestamp(long)
            out[p++] = '.';
            out[p++] = (char) ('0' + f / 100);
            out[p++] = (char) ('0' + f / 10 % 10);
            out[p++] = (char) ('0' + f % 10);
        }
        return p - off;
    }

    /** Decimal digits of x at out[p...] (Jackson's integer writer, three digits per step); returns the end position. */
    private static int putLong(long x, char[] out, int p) {
        return com.fasterxml.jackson.core.io.NumberOutput.outputLong(x, out, p);
    }

    /** A millisecond timestamp as Prometheus writes it in JSON: seconds with up to 3 decimals, e.g. 1435781451.781. */
    public static String timestamp(long ms) {
        StringBuilder sb = new StringBuilder(20);
        if (ms < 0) {
            sb.append('-');
            ms = -ms;
        }
        sb.append(ms / 1000);
        long f = ms % 1000;
        if (f != 0) {
            sb.append('.');
            if (f < 100) sb.append('0');
            if (f < 10) sb.append('0');
            sb.append(f);
        }
        return sb.toString();
    }
}
