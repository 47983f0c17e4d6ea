package io.tsdb.server.rules.template;

import io.tsdb.server.api.GoFloat;
import io.tsdb.server.rules.template.GoValues.GoMap;
import io.tsdb.server.rules.template.GoValues.GoStruct;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * Go's fmt for the values templates use: {@link #sprint} (fmt.Sprint), {@link #sprintln} and {@link #sprintf} with
 * the verbs v s d f F e E g G q x X t c b o % and the flags {@code + - space 0 #}, width and precision (also
 * {@code *}). Floats are rounded as Go rounds them (exact decimal expansion of the binary value, half to even),
 * wrong verbs print {@code %!d(string=x)}, missing operands {@code %!d(MISSING)}, extra ones {@code %!(EXTRA ...)}.
 */
public final class GoFmt {
    private GoFmt() {}

    /** %v of one value. */
    public static String format(Object v) {
        if (v == null) return "<nil>";
        if (v instanceof String s) return s;
        if (v instanceof Double d) return formatFloat(d, 'g', -1);
        if (v instanceof Long || v instanceof Integer) return v.toString();
        if (v instanceof Boolean b) return b.toString();
        if (v instanceof GoStruct s) return s.format();
        if (v instanceof GoMap m) {
            StringBuilder sb = new StringBuilder("map[");
            boolean first = true;
            for (Map.Entry<String, Object> e : m.map().entrySet()) {
                if (!first) sb.append(' ');
                first = false;
                sb.append(e.getKey()).append(':').append(format(e.getValue()));
            }
            return sb.append(']').toString();
        }
        if (v instanceof List<?> l) {
            StringBuilder sb = new StringBuilder("[");
            for (int i = 0; i < l.size(); i++) {
                if (i > 0) sb.append(' ');
                sb.append(format(l.get(i)));
            }
            return sb.append(']').toString();
        }
        return v.toString();
    }

    /** fmt.Sprint: operands' %v, with a space between two operands when neither is a string. */
    public static String sprint(List<Object> args) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < args.size(); i++) {
            Object a = args.get(i);
            if (i > 0 && !(a instanceof String) && !(args.get(i - 1) instanceof String)) sb.append(' ');
            sb.append(format(a));
        }
        return sb.toString();
    }

    /** fmt.Sprintln: spaces between all operands, newline at the end. */
    public static String sprintln(List<Object> args) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < args.size(); i++) {
            if (i > 0) sb.append(' ');
            sb.append(format(args.get(i)));
        }
        return sb.append('\n').toString();
    }

    /** Go's strconv.FormatFloat(v, fmt, prec, 64); prec -1 = shortest. */
    public static String formatFloat(double v, char fmt, int prec) {
        if (Double.isNaN(v)) return "NaN";
        if (Double.isInfinite(v)) return v > 0 ? "+Inf" : "-Inf";
        if (prec < 0) {
            if (fmt == 'G' || fmt == 'E') return GoFloat.format(v, Character.toLowerCase(fmt)).toUpperCase();
            if (fmt == 'F') fmt = 'f';
            return GoFloat.format(v, fmt);
        }
        boolean upper = Character.isUpperCase(fmt);
        char f = Character.toLowerCase(fmt);
        boolean neg = (Double.doubleToRawLongBits(v) & Long.MIN_VALUE) != 0;
        BigDecimal abs = new BigDecimal(Math.abs(v));
        String out;
        if (f == 'f') {
            out = abs.setScale(prec, RoundingMode.HALF_EVEN).toPlainString();
        } else if (f == 'e') {
            out = expForm(abs, prec + 1, prec, upper);
        } else { // g
            int p = prec == 0 ? 1 : prec;
            String digits;
            int dp;
            if (v == 0) {
                digits = "0";
                dp = 1;
            } else {
                BigDecimal r = abs.round(new MathContext(p, RoundingMode.HALF_EVEN)).stripTrailingZeros();
                digits = r.unscaledValue().toString();
                dp = digits.length() - r.scale();
            }
            int nd = digits.length();
            int eprec = p;
            if (eprec > nd && nd >= dp) eprec = nd;
            int exp = dp - 1;
            if (exp < -4 || exp >= eprec) {
                int pp = Math.min(p, nd);
                out = expDigits(digits, dp, pp - 1, upper);
            } else {
                int pp = p > dp ? nd : p;
                int frac = Math.max(pp - dp, 0);
                out = new BigDecimal(new java.math.BigInteger(digits), nd - dp).setScale(frac, RoundingMode.HALF_EVEN).toPlainString();
            }
        }
        return neg ? "-" + out : out;
    }

    /** d.ddd e±xx with {@code frac} digits after the point, from a value rounded to {@code sig} significant digits. */
    private static String expForm(BigDecimal abs, int sig, int frac, boolean upper) {
        String digits;
        int dp;
        if (abs.signum() == 0) {
            digits = "0";
            dp = 1;
        } else {
            BigDecimal r = abs.round(new MathContext(sig, RoundingMode.HALF_EVEN));
            digits = r.unscaledValue().toString();
            dp = digits.length() - r.scale();
        }
        return expDigits(digits, dp, frac, upper);
    }

    private static String expDigits(String digits, int dp, int frac, boolean upper) {
        StringBuilder sb = new StringBuilder();
        sb.append(digits.charAt(0));
        if (frac > 0) {
            sb.append('.');
            for (int i = 1; i <= frac; i++) sb.append(i < digits.length() ? digits.charAt(i) : '0');
        }
        int exp = digits.equals("0") ? 0 : dp - 1;
        sb.append(upper ? 'E' : 'e').append(exp < 0 ? '-' : '+');
        int a = Math.abs(exp);
        if (a < 10) sb.append('0');
        sb.append(a);
        return sb.toString();
    }

    /** fmt.Sprintf. */
    public static String sprintf(String format, List<Object> args) {
        StringBuilder out = new StringBuilder();
        int argi = 0;
        int n = format.length();
        for (int i = 0; i < n; ) {
            char c = format.charAt(i);
            if (c != '%') {
                out.append(c);
                i++;
                continue;
            }
            i++;
            if (i >= n) {
                out.append("%!(NOVERB)");
                break;
            }
            boolean minus = false, plus = false, space = false, zero = false, sharp = false;
            for (; i < n; i++) {
                char f = format.charAt(i);
                if (f == '-') minus = true;
                else if (f == '+') plus = true;
                else if (f == ' ') space = true;
                else if (f == '0') zero = true;
                else if (f == '#') sharp = true;
                else break;
            }
            int width = -1, prec = -1;
            if (i < n && format.charAt(i) == '*') {
                i++;
                if (argi < args.size() && args.get(argi) instanceof Long w) width = (int) (long) w;
                else out.append("%!(BADWIDTH)");
                argi++;
                if (width < 0 && width != -1) { minus = true; width = -width; }
            } else {
                int st = i;
                while (i < n && Character.isDigit(format.charAt(i))) i++;
                if (i > st) width = Integer.parseInt(format.substring(st, i));
            }
            if (i < n && format.charAt(i) == '.') {
                i++;
                if (i < n && format.charAt(i) == '*') {
                    i++;
                    if (argi < args.size() && args.get(argi) instanceof Long pr) prec = (int) (long) pr;
                    else out.append("%!(BADPREC)");
                    argi++;
                } else {
                    int st = i;
                    while (i < n && Character.isDigit(format.charAt(i))) i++;
                    prec = i > st ? Integer.parseInt(format.substring(st, i)) : 0;
                }
            }
            if (i >= n) {
                out.append("%!(NOVERB)");
                break;
            }
            char verb = format.charAt(i++);
            if (verb == '%') {
                out.append('%');
                continue;
            }
            if (argi >= args.size()) {
                out.append("%!").append(verb).append("(MISSING)");
                continue;
            }
            Object arg = args.get(argi++);
            String s = formatOne(verb, arg, prec, plus, space, sharp);
            if (s == null) {
                out.append("%!").append(verb).append('(').append(typeName(arg)).append('=').append(format(arg)).append(')');
                continue;
            }
            pad(out, s, width, minus, zero && !minus && isNumeric(arg) && verb != 's' && verb != 'q');
        }
        if (argi < args.size()) {
            out.append("%!(EXTRA ");
            for (int k = argi; k < args.size(); k++) {
                if (k > argi) out.append(", ");
                out.append(typeName(args.get(k))).append('=').append(format(args.get(k)));
            }
            out.append(')');
        }
        return out.toString();
    }

    private static String typeName(Object v) {
        return GoValues.typeName(v);
    }

    private static boolean isNumeric(Object v) {
        return v instanceof Long || v instanceof Double || v instanceof Integer;
    }

    private static void pad(StringBuilder out, String s, int width, boolean left, boolean zeros) {
        int len = s.codePointCount(0, s.length());
        if (width <= len) {
            out.append(s);
            return;
        }
        int padN = width - len;
        if (left) {
            out.append(s).append(" ".repeat(padN));
        } else if (zeros) {
            int signLen = !s.isEmpty() && (s.charAt(0) == '-' || s.charAt(0) == '+' || s.charAt(0) == ' ') ? 1 : 0;
            out.append(s, 0, signLen).append("0".repeat(padN)).append(s, signLen, s.length());
        } else {
            out.append(" ".repeat(padN)).append(s);
        }
    }

    /** One operand under one verb, or null when the verb does not apply to its type. */
    private static String formatOne(char verb, Object arg, int prec, boolean plus, boolean space, boolean sharp) {
        if (arg instanceof Integer i) arg = (long) i;
        if (arg instanceof Double d) {
            String s;
            switch (verb) {
                case 'v', 'g', 'G' -> s = formatFloat(d, verb == 'G' ? 'G' : 'g', prec);
                case 'f', 'F' -> s = formatFloat(d, 'f', prec < 0 ? 6 : prec);
                case 'e', 'E' -> s = formatFloat(d, verb, prec < 0 ? 6 : prec);
                default -> { return null; }
            }
            return sign(s, plus, space, d);
        }
        if (arg instanceof Long l) {
            String s;
            switch (verb) {
                case 'v', 'd' -> s = Long.toString(Math.abs(l));
                case 'x' -> s = (sharp ? "0x" : "") + Long.toHexString(Math.abs(l));
                case 'X' -> s = (sharp ? "0X" : "") + Long.toHexString(Math.abs(l)).toUpperCase();
                case 'o' -> s = (sharp ? "0" : "") + Long.toOctalString(Math.abs(l));
                case 'b' -> s = Long.toBinaryString(Math.abs(l));
                case 'c' -> { return new String(Character.toChars((int) (long) l)); }
                case 'q' -> { return "'" + new String(Character.toChars((int) (long) l)) + "'"; }
                default -> { return null; }
            }
            if (prec >= 0 && s.length() < prec) s = "0".repeat(prec - s.length()) + s;
            if (l < 0) return "-" + s;
            return plus ? "+" + s : space ? " " + s : s;
        }
        if (arg instanceof String str) {
            switch (verb) {
                case 'v', 's' -> { return prec >= 0 && prec < str.length() ? str.substring(0, prec) : str; }
                case 'q' -> { return sharp && !str.contains("`") ? "`" + str + "`" : GoStrings.quote(str); }
                case 'x', 'X' -> {
                    StringBuilder sb = new StringBuilder();
                    for (byte b : str.getBytes(StandardCharsets.UTF_8)) sb.append(String.format(verb == 'x' ? "%02x" : "%02X", b & 0xff));
                    return sb.toString();
                }
                default -> { return null; }
            }
        }
        if (arg instanceof Boolean b) {
            return verb == 'v' || verb == 't' ? b.toString() : null;
        }
        if (verb == 'v' || verb == 's' && (arg instanceof GoStruct || arg instanceof GoMap || arg instanceof List)) {
            return format(arg);
        }
        if (arg == null) return verb == 'v' ? "<nil>" : null;
        return null;
    }

    private static String sign(String s, boolean plus, boolean space, double d) {
        if (s.startsWith("-") || s.startsWith("+")) {
            if (s.equals("+Inf") && !plus) return space ? " Inf" : "+Inf";
            return s;
        }
        if (s.equals("NaN")) return plus ? "+NaN" : space ? " NaN" : s;
        return plus ? "+" + s : space ? " " + s : s;
    }
}
