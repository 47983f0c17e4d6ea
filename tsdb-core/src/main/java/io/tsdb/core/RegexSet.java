package io.tsdb.core;

import java.util.ArrayList;
import java.util.List;

/**
 * The finite set of strings a (fully anchored) regular expression matches, when it is built only from literal
 * characters, escaped punctuation, concatenation, alternation and plain or non-capturing groups: e.g.
 * {@code a|b}, {@code host_(0|1|2)}, {@code cpu_(user|system)_total}, {@code (?:x|y)\.z}. Label matchers of that
 * shape are answered by dictionary lookups instead of running the regex over every label value (Prometheus'
 * "set matches" does the same). Anything else (classes, quantifiers, dots, anchors, flags, escapes such as
 * {@code \d}) yields null, as does a set of more than {@link #MAX} strings.
 */
public final class RegexSet {
    /** Largest expanded set kept; beyond it the regex is run against the values instead. */
    public static final int MAX = 256;

    private final String re;
    private int pos;

    private RegexSet(String re) { this.re = re; }

    /** The strings {@code re} matches in full, in no particular order and without duplicates, or null. */
    public static List<String> expand(String re) {
        RegexSet p = new RegexSet(re);
        List<String> out = p.alternation();
        if (out == null || p.pos != re.length()) return null;
        List<String> distinct = new ArrayList<>(out.size());
        for (String s : out) if (!distinct.contains(s)) distinct.add(s);
        return distinct;
    }

    /** alternation := sequence ('|' sequence)* */
    private List<String> alternation() {
        List<String> out = sequence();
        if (out == null) return null;
        while (pos < re.length() && re.charAt(pos) == '|') {
            pos++;
            List<String> next = sequence();
            if (next == null || out.size() + next.size() > MAX) return null;
            out.addAll(next);
        }
        return out;
    }

    /** sequence := (literal | '\' punctuation | '(' ['?:'] alternation ')')*, expanded as a cross product. */
    private List<String> sequence() {
        List<String> acc = new ArrayList<>();
        acc.add("");
        StringBuilder lit = new StringBuilder();
        while (pos < re.length()) {
            char c = re.charAt(pos);
            if (c == '|' || c == ')') break;
            if (c == '(') {
                pos++;
                if (re.startsWith("?:", pos)) pos += 2;
                else if (pos < re.length() && re.charAt(pos) == '?') return null; // flags, named groups, look-around
                List<String> inner = alternation();
                if (inner == null || pos >= re.length() || re.charAt(pos) != ')') return null;
                pos++;
                if (quantified()) return null;
                acc = cross(append(acc, lit), inner);
                if (acc == null) return null;
                lit.setLength(0);
                continue;
            }
            if (c == '\\') {
                if (pos + 1 >= re.length()) return null;
                char e = re.charAt(pos + 1);
                // only escaped punctuation is a literal; \d, \w, \b, \Q, \p{..}, \x.. and the like are not
                if (Character.isLetterOrDigit(e) || e > 127) return null;
                pos += 2;
                if (quantified()) return null;
                lit.append(e);
                continue;
            }
            if ("^$.?*+[]{}".indexOf(c) >= 0) return null;
            pos++;
            if (quantified()) return null;
            lit.append(c);
        }
        return append(acc, lit);
    }

    /** Whether a quantifier follows the item just read (it would make the item optional or repeated). */
    private boolean quantified() {
        return pos < re.length() && "?*+{".indexOf(re.charAt(pos)) >= 0;
    }

    private static List<String> append(List<String> acc, StringBuilder lit) {
        if (lit.length() == 0) return acc;
        List<String> out = new ArrayList<>(acc.size());
        for (String s : acc) out.add(s + lit);
        return out;
    }

    private static List<String> cross(List<String> a, List<String> b) {
        if ((long) a.size() * b.size() > MAX) return null;
        List<String> out = new ArrayList<>(a.size() * b.size());
        for (String x : a) for (String y : b) out.add(x + y);
        return out;
    }
}
