package io.tsdb.query.promqltest;

import io.tsdb.core.Labels;
import io.tsdb.core.StaleNaN;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * Parses the promqltest series notation: {@code metric{a="b"} 1 2+3x4 _ stale _x2 {{...}}}.
 * Native histogram values ({{...}}) are not supported by this engine; they are counted so the runner
 * can report cases that need them as skipped.
 */
final class SeriesDesc {
    /** One expected/loaded value: a float, an omitted slot ({@code _}), or a native histogram placeholder. */
    record Val(double value, boolean omitted, boolean histogram) {
        static final Val OMITTED = new Val(0, true, false);
        static final Val HISTOGRAM = new Val(0, false, true);
    }

    record Parsed(Labels labels, List<Val> values) {
        boolean hasHistogram() {
            for (Val v : values) if (v.histogram) return true;
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
                int depth = 0;
                int st = p;
                while (p < s.length()) {
                    if (s.startsWith("{{", p)) { depth++; p += 2; continue; }
                    if (s.startsWith("}}", p)) { depth--; p += 2; if (depth == 0 && (p >= s.length() || s.charAt(p) != '+' && s.charAt(p) != '-')) break; continue; }
                    p++;
                }
                int ts = p;
                while (p < s.length() && !Character.isWhitespace(s.charAt(p))) p++;
                String suffix = s.substring(ts, p);
                int times = 0;
                if (suffix.startsWith("x")) times = Integer.parseInt(suffix.substring(1));
                for (int i = 0; i <= times; i++) out.add(Val.HISTOGRAM);
                if (st == p) break;
                continue;
            }
            int st = p;
            while (p < s.length() && !Character.isWhitespace(s.charAt(p))) p++;
            expand(s.substring(st, p), out);
        }
        return out;
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
