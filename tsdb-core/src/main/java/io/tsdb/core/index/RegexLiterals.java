package io.tsdb.core.index;

/**
 * Cheap analysis of (fully anchored) regular expressions to narrow the scan of the value dictionary (regexes
 * matching a finite set of strings are answered by lookups instead, see {@link io.tsdb.core.RegexSet}).
 */
final class RegexLiterals {
    private RegexLiterals() {}

    private static boolean isMeta(char c) {
        return "\\^$.|?*+()[]{}".indexOf(c) >= 0;
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
