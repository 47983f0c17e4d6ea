package io.tsdb.grammar;

/**
 * The look-ahead that decides whether a '<' directly after a metric name opens a dimensional
 * selector ({@code metric<label=value,...>}) or is the less-than operator. It scans raw characters
 * (before tokenization) for a complete matcher list closed by '>':
 * <pre>
 *   '&lt;' ws? ( matcher ( ws? ',' ws? matcher )* ( ws? ',' )? )? ws? '&gt;'
 *   matcher := (word | quoted) ws? ('=' | '!=' | '=~' | '!~') ws? (quoted | bare)
 * </pre>
 * where a lone '=' must not be followed by another '=' (that would be the {@code ==} operator).
 */
public final class SelectorScanner {
    private SelectorScanner() {}

    /**
     * @param s    the whole query text
     * @param from index just after the '&lt;'
     * @return the index of the closing '&gt;' when a complete matcher list starts at {@code from}, else -1
     */
    public static int matcherListEnd(String s, int from) {
        int i = skipWs(s, from);
        if (i < s.length() && s.charAt(i) == '>') return i;
        while (true) {
            // label name
            int j = word(s, i);
            if (j < 0) j = quoted(s, i);
            if (j < 0) return -1;
            i = skipWs(s, j);
            // operator
            if (i >= s.length()) return -1;
            char c = s.charAt(i);
            char d = i + 1 < s.length() ? s.charAt(i + 1) : 0;
            if (c == '=' && d == '~') i += 2;
            else if (c == '!' && (d == '=' || d == '~')) i += 2;
            else if (c == '=' && d != '=') i += 1;
            else return -1;
            i = skipWs(s, i);
            // value
            j = quoted(s, i);
            if (j < 0) j = bare(s, i);
            if (j < 0) return -1;
            i = skipWs(s, j);
            if (i >= s.length()) return -1;
            c = s.charAt(i);
            if (c == '>') return i;
            if (c != ',') return -1;
            i = skipWs(s, i + 1);
            if (i < s.length() && s.charAt(i) == '>') return i;
        }
    }

    private static int skipWs(String s, int i) {
        while (i < s.length() && (s.charAt(i) == ' ' || s.charAt(i) == '\t' || s.charAt(i) == '\r' || s.charAt(i) == '\n')) i++;
        return i;
    }

    private static int word(String s, int i) {
        if (i >= s.length() || !(Character.isLetter(s.charAt(i)) && s.charAt(i) < 128 || s.charAt(i) == '_')) return -1;
        i++;
        while (i < s.length() && isWordChar(s.charAt(i))) i++;
        return i;
    }

    private static boolean isWordChar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    }

    /** A bare label value: 500, 2.0, 3aebf531, us-west-1, host:9100. */
    public static boolean isBareValueChar(char c) {
        return isWordChar(c) || c == '.' || c == ':' || c == '-';
    }

    private static int bare(String s, int i) {
        int start = i;
        while (i < s.length() && isBareValueChar(s.charAt(i))) i++;
        return i > start ? i : -1;
    }

    private static int quoted(String s, int i) {
        if (i >= s.length()) return -1;
        char q = s.charAt(i);
        if (q != '"' && q != '\'' && q != '`') return -1;
        i++;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == q) return i + 1;
            if (q != '`') {
                if (c == '\n' || c == '\r') return -1;
                if (c == '\\') i++;
            }
            i++;
        }
        return -1;
    }
}
