package io.tsdb.server.rules.unittest;

import io.tsdb.core.Labels;
import io.tsdb.core.Matcher;
import io.tsdb.core.StaleNaN;
import io.tsdb.query.ast.Expr;
import io.tsdb.query.ast.VectorSelector;
import io.tsdb.query.parser.ParseException;
import io.tsdb.query.parser.QueryParser;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;

/**
 * The series notation of rule unit tests (promtool's, from Prometheus's test language): a series as
 * {@code metric{label="value", ...}} (parsed with the PromQL parser), and values such as {@code 1 2 3},
 * {@code 0+10x5} (0, 10, ..., 50: the start and 5 increments), {@code 1x3} (1 four times), {@code _} (no sample),
 * {@code _x3} (three missing), {@code stale}, {@code Inf}, {@code NaN}. Native histograms ({@code {{...}}}) are not
 * supported by this server and are refused with that reason.
 */
final class SeriesNotation {
    private SeriesNotation() {}

    /** A label set written as a series: {@code name{a="b"}}, {@code {a="b"}}, {@code name}, or empty. */
    static Labels labels(String text) {
        String t = text == null ? "" : text.trim();
        if (t.isEmpty() || t.equals("{}")) return Labels.EMPTY;
        Expr e;
        try {
            e = QueryParser.parse(t);
        } catch (ParseException ex) {
            throw new IllegalArgumentException("parse error: " + ex.getMessage());
        }
        if (!(e instanceof VectorSelector vs) || vs.offsetMs() != 0 || vs.at() != null) {
            throw new IllegalArgumentException("not a series: " + t);
        }
        TreeMap<String, String> m = new TreeMap<>();
        for (Matcher x : vs.matchers()) {
            if (x.type() != Matcher.Type.EQ) throw new IllegalArgumentException("only = matchers describe a series: " + t);
            m.put(x.name(), x.value());
        }
        return Labels.fromMap(m);
    }

    /** The values; null entries are missing samples ({@code _}). */
    static List<Double> values(String text) {
        List<Double> out = new ArrayList<>();
        if (text == null) return out;
        String t = text.trim();
        if (t.contains("{{")) throw new IllegalArgumentException("native histogram values ({{...}}) are not supported");
        if (t.isEmpty()) return out;
        for (String tok : t.split("\\s+")) item(tok, out);
        return out;
    }

    private static void item(String tok, List<Double> out) {
        if (tok.equals("_")) {
            out.add(null);
            return;
        }
        if (tok.startsWith("_x")) {
            int n = count(tok.substring(2), tok);
            for (int i = 0; i < n; i++) out.add(null);
            return;
        }
        int x = tok.lastIndexOf('x');
        if (x > 0 && x < tok.length() - 1 && tok.substring(x + 1).chars().allMatch(Character::isDigit)
                && !tok.toLowerCase(Locale.ROOT).startsWith("0x") && !tok.toLowerCase(Locale.ROOT).startsWith("-0x")) {
            int n = count(tok.substring(x + 1), tok);
            String head = tok.substring(0, x);
            int op = -1;
            for (int i = 1; i < head.length(); i++) {
                char c = head.charAt(i);
                if ((c == '+' || c == '-') && Character.toLowerCase(head.charAt(i - 1)) != 'e') {
                    op = i;
                    break;
                }
            }
            double a = op < 0 ? number(head, tok) : number(head.substring(0, op), tok);
            double b = op < 0 ? 0 : number(head.substring(op + 1), tok) * (head.charAt(op) == '-' ? -1 : 1);
            double v = a;
            out.add(v);
            for (int i = 1; i <= n; i++) {
                v += b;
                out.add(v);
            }
            return;
        }
        out.add(number(tok, tok));
    }

    private static int count(String s, String tok) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad repetition count in \"" + tok + "\"");
        }
    }

    static double number(String s, String tok) {
        switch (s.toLowerCase(Locale.ROOT)) {
            case "inf", "+inf" -> { return Double.POSITIVE_INFINITY; }
            case "-inf" -> { return Double.NEGATIVE_INFINITY; }
            case "nan", "+nan", "-nan" -> { return Double.NaN; }
            case "stale" -> { return StaleNaN.VALUE; }
            default -> { }
        }
        String l = s.toLowerCase(Locale.ROOT);
        try {
            if (l.startsWith("0x") || l.startsWith("-0x") || l.startsWith("+0x")) {
                long v = Long.parseLong(l.substring(l.indexOf('x') + 1), 16);
                return l.startsWith("-") ? -v : v;
            }
            if (l.endsWith("d") || l.endsWith("f") || l.contains("_")) throw new NumberFormatException();
            return Double.parseDouble(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("unexpected \"" + tok + "\" in series values");
        }
    }
}
