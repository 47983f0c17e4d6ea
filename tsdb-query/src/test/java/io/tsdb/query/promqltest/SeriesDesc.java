package io.tsdb.query.promqltest;

import io.tsdb.core.Labels;
import io.tsdb.core.StaleNaN;
import io.tsdb.core.histogram.CounterResetHint;
import io.tsdb.core.histogram.FloatHistogram;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * Parses the promqltest series notation: {@code metric{a="b"} 1 2+3x4 _ stale _x2 {{...}}}, including native
 * histograms ({@code {{schema:0 sum:5 count:4 z_bucket:1 z_bucket_w:0.001 buckets:[1 2 1] offset:0 n_buckets:[..]
 * n_offset:0 counter_reset_hint:gauge custom_values:[..]}}}, bucket counts absolute) and their expansions
 * ({@code {{a}}+{{b}}xN}, {@code {{a}}-{{b}}xN}, {@code {{a}}xN}).
 */
final class SeriesDesc {
    /** One expected/loaded value: a float, an omitted slot ({@code _}), or a native histogram ({@code hist != null}). */
    record Val(double value, boolean omitted, FloatHistogram hist) {
        static final Val OMITTED = new Val(0, true, null);

        Val(double value, boolean omitted, boolean unused) { this(value, omitted, (FloatHistogram) null); }

        boolean histogram() { return hist != null; }

        static Val of(FloatHistogram h) { return new Val(0, false, h); }
    }

    record Parsed(Labels labels, List<Val> values) {
        boolean hasHistogram() {
            for (Val v : values) if (v.histogram()) return true;
            return false;
        }
    }

    private final String s;
    private int p;

    private SeriesDesc(String s) { this.s = s; }

    static Parsed parse(String line) {
        SeriesDesc d = new SeriesDesc(line.trim());
        Labels l = d.labels();
        List<Val> vals = d.values();
        return new Parsed(l, vals);
    }

    static Labels parseLabels(String text) {
        SeriesDesc d = new SeriesDesc(text.trim());
        Labels l = d.labels();
        d.ws();
        if (d.p != d.s.length()) throw new IllegalArgumentException("trailing input after labels: " + text);
        return l;
    }

    private void ws() { while (p < s.length() && Character.isWhitespace(s.charAt(p))) p++; }

    private static boolean nameChar(char c) { return Character.isLetterOrDigit(c) || c == '_' || c == ':' ; }

    private Labels labels() {
        TreeMap<String, String> m = new TreeMap<>();
        ws();
        int st = p;
        while (p < s.length() && (nameChar(s.charAt(p)) || s.charAt(p) == '.')) p++;
        if (p > st) m.put(Labels.METRIC_NAME, s.substring(st, p));
        ws();
        if (p < s.length() && s.charAt(p) == '{' && !s.startsWith("{{", p)) {
            p++;
            while (true) {
                ws();
                if (p >= s.length()) throw new IllegalArgumentException("unterminated label set: " + s);
                if (s.charAt(p) == '}') { p++; break; }
                String name;
                if (s.charAt(p) == '"' || s.charAt(p) == '\'' || s.charAt(p) == '`') {
                    name = quoted();
                    ws();
                    if (p >= s.length() || s.charAt(p) != '=') { // a quoted metric name
                        m.put(Labels.METRIC_NAME, name);
                        if (p < s.length() && s.charAt(p) == ',') p++;
                        continue;
                    }
                } else {
                    int ns = p;
                    while (p < s.length() && nameChar(s.charAt(p))) p++;
                    name = s.substring(ns, p);
                    ws();
                }
                if (p >= s.length() || s.charAt(p) != '=') throw new IllegalArgumentException("expected = in " + s);
                p++;
                ws();
                String value = quoted();
                m.put(name, value);
                ws();
                if (p < s.length() && s.charAt(p) == ',') p++;
            }
        }
        return Labels.fromMap(m);
    }

    private String quoted() {
        char q = s.charAt(p++);
        StringBuilder sb = new StringBuilder();
        while (p < s.length() && s.charAt(p) != q) {
            char c = s.charAt(p++);
            if (c == '\\' && q != '`' && p < s.length()) {
                char e = s.charAt(p++);
                switch (e) {
                    case 'n' -> sb.append('\n');
                    case 't' -> sb.append('\t');
                    case 'r' -> sb.append('\r');
                    case '\\' -> sb.append('\\');
                    case '"' -> sb.append('"');
                    case '\'' -> sb.append('\'');
                    case 'x' -> { sb.append((char) Integer.parseInt(s.substring(p, p + 2), 16)); p += 2; }
                    case 'u' -> { sb.append((char) Integer.parseInt(s.substring(p, p + 4), 16)); p += 4; }
                    default -> sb.append('\\').append(e);
                }
            } else {
                sb.append(c);
            }
        }
        p++; // closing quote
        return sb.toString();
    }

    private List<Val> values() {
        List<Val> out = new ArrayList<>();
        while (true) {
            ws();
            if (p >= s.length()) break;
            if (s.startsWith("{{", p)) {
                FloatHistogram a = histogram();
                if (p < s.length() && (s.charAt(p) == '+' || s.charAt(p) == '-') && s.startsWith("{{", p + 1)) {
                    boolean minus = s.charAt(p) == '-';
                    p++;
                    FloatHistogram b = histogram();
                    int times = times();
                    FloatHistogram cur = a;
                    out.add(Val.of(cur));
                    for (int i = 0; i < times; i++) {
                        FloatHistogram next = new FloatHistogram().copyFrom(cur);
                        if (minus) next.sub(b); else next.add(b);
                        next.compact(0);
                        out.add(Val.of(next));
                        cur = next;
                    }
                } else {
                    int times = times();
                    for (int i = 0; i <= times; i++) out.add(Val.of(a));
                }
                continue;
            }
            int st = p;
            while (p < s.length() && !Character.isWhitespace(s.charAt(p))) p++;
            expand(s.substring(st, p), out);
        }
        return out;
    }

    /** {@code xN} right after a histogram, else 0. */
    private int times() {
        if (p < s.length() && s.charAt(p) == 'x') {
            int st = ++p;
            while (p < s.length() && Character.isDigit(s.charAt(p))) p++;
            return Integer.parseInt(s.substring(st, p));
        }
        return 0;
    }

    /** Parses {@code {{key:value ...}}} at p. */
    private FloatHistogram histogram() {
        if (!s.startsWith("{{", p)) throw new IllegalArgumentException("expected {{ at " + p + " in " + s);
        p += 2;
        FloatHistogram h = new FloatHistogram();
        double[] buckets = null, nBuckets = null;
        int offset = 0, nOffset = 0;
        while (true) {
            ws();
            if (s.startsWith("}}", p)) { p += 2; break; }
            int c = s.indexOf(':', p);
            if (c < 0) throw new IllegalArgumentException("bad histogram in " + s);
            String key = s.substring(p, c).trim();
            p = c + 1;
            ws();
            if (s.charAt(p) == '[') {
                int e = s.indexOf(']', p);
                String[] parts = s.substring(p + 1, e).trim().split("\\s+");
                p = e + 1;
                double[] xs = parts.length == 1 && parts[0].isEmpty() ? new double[0] : new double[parts.length];
                for (int i = 0; i < xs.length; i++) xs[i] = number(parts[i]);
                switch (key) {
                    case "buckets" -> buckets = xs;
                    case "n_buckets" -> nBuckets = xs;
                    case "custom_values" -> h.customValues = xs;
                    default -> throw new IllegalArgumentException("unknown histogram list " + key + " in " + s);
                }
                continue;
            }
            int st = p;
            while (p < s.length() && !Character.isWhitespace(s.charAt(p)) && !s.startsWith("}}", p)) p++;
            String val = s.substring(st, p);
            switch (key) {
                case "schema" -> h.schema = Integer.parseInt(val);
                case "sum" -> h.sum = number(val);
                case "count" -> h.count = number(val);
                case "z_bucket" -> h.zeroCount = number(val);
                case "z_bucket_w" -> h.zeroThreshold = number(val);
                case "offset" -> offset = Integer.parseInt(val);
                case "n_offset" -> nOffset = Integer.parseInt(val);
                case "counter_reset_hint" -> h.hint = switch (val) {
                    case "unknown" -> CounterResetHint.UNKNOWN;
                    case "reset" -> CounterResetHint.COUNTER_RESET;
                    case "not_reset" -> CounterResetHint.NOT_COUNTER_RESET;
                    case "gauge" -> CounterResetHint.GAUGE;
                    default -> throw new IllegalArgumentException("unknown counter reset hint " + val);
                };
                default -> throw new IllegalArgumentException("unknown histogram field " + key + " in " + s);
            }
        }
        if (buckets != null && buckets.length > 0) {
            h.positiveSpans.add(offset, buckets.length);
            for (double b : buckets) h.addPositive(b);
        }
        if (nBuckets != null && nBuckets.length > 0) {
            h.negativeSpans.add(nOffset, nBuckets.length);
            for (double b : nBuckets) h.addNegative(b);
        }
        return h;
    }

    static double number(String t) {
        switch (t) {
            case "Inf", "+Inf", "inf", "+inf": return Double.POSITIVE_INFINITY;
            case "-Inf", "-inf": return Double.NEGATIVE_INFINITY;
            case "NaN", "nan": return Double.NaN;
            case "stale": return StaleNaN.VALUE;
            default: break;
        }
        String l = t.toLowerCase(java.util.Locale.ROOT);
        if (l.startsWith("0x") || l.startsWith("-0x") || l.startsWith("+0x")) {
            boolean neg = l.startsWith("-");
            long v = Long.parseLong(l.substring(l.indexOf('x') + 1), 16);
            return neg ? -v : v;
        }
        if (l.endsWith("d") || l.endsWith("f")) throw new NumberFormatException(t);
        return Double.parseDouble(t);
    }

    private static void expand(String tok, List<Val> out) {
        if (tok.equals("_")) { out.add(Val.OMITTED); return; }
        if (tok.startsWith("_x")) {
            int n = Integer.parseInt(tok.substring(2));
            for (int i = 0; i < n; i++) out.add(Val.OMITTED);
            return;
        }
        if (tok.equals("stale")) { out.add(new Val(StaleNaN.VALUE, false, false)); return; }
        // a[+-]bxn | axn | a
        int x = tok.lastIndexOf('x');
        if (x > 0 && x < tok.length() - 1 && tok.substring(x + 1).chars().allMatch(Character::isDigit)) {
            int times = Integer.parseInt(tok.substring(x + 1));
            String head = tok.substring(0, x);
            if (head.equals("stale")) {
                for (int i = 0; i <= times; i++) out.add(new Val(StaleNaN.VALUE, false, false));
                return;
            }
            int op = -1;
            for (int i = 1; i < head.length(); i++) {
                char c = head.charAt(i);
                if ((c == '+' || c == '-') && Character.toLowerCase(head.charAt(i - 1)) != 'e') { op = i; break; }
            }
            double a, b = 0;
            if (op < 0) {
                a = number(head);
            } else {
                a = number(head.substring(0, op));
                b = number(head.substring(op + 1));
                if (head.charAt(op) == '-') b = -b;
            }
            double k = a;
            for (int i = 0; i <= times; i++) {
                out.add(new Val(k, false, false));
                k += b;
            }
            return;
        }
        out.add(new Val(number(tok), false, false));
    }
}
