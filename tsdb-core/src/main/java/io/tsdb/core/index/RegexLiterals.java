package io.tsdb.core.index;

import java.util.ArrayList;
import java.util.List;

/** Cheap analysis of (fully anchored) regular expressions to avoid scanning the value dictionary. */
final class RegexLiterals {
    private RegexLiterals() {}

    private static boolean isMeta(char c) {
        return "\\^$.|?*+()[]{}".indexOf(c) >= 0;
    }

    /** The literals of a pure alternation such as {@code a|b|c} (or a single literal), else null. */
    static List<String> alternation(String re) {
        List<String> out = new ArrayList<>();
        int start = 0;
        for (int i = 0; i <= re.length(); i++) {
            if (i == re.length() || re.charAt(i) == '|') {
                out.add(re.substring(start, i));
                start = i + 1;
            } else if (isMeta(re.charAt(i))) {
                return null;
            }
        }
        return out;
    }

    /** The literal characters every match must start with (possibly empty), or null when unknown. */
    static String literalPrefix(String re) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < re.length(); i++) {
            char c = re.charAt(i);
            if (c == '|') return null;  // top-level alternation: no common prefix known
            if (isMeta(c)) {
                // a quantifier applies to the previous literal character: drop it from the prefix
                if ((c == '?' || c == '*' || c == '{') && sb.length() > 0) sb.setLength(sb.length() - 1);
                return re.indexOf('|', i) >= 0 ? null : sb.toString();
            }
            sb.append(c);
        }
        return sb.toString();
    }
}
