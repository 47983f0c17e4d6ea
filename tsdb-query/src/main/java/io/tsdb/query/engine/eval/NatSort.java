package io.tsdb.query.engine.eval;

/** Natural string ordering (digit runs compared as numbers), as used by sort_by_label. */
final class NatSort {
    private NatSort() {}

    private static boolean isDigit(char c) { return c >= '0' && c <= '9'; }

    /** Whether a sorts before b. */
    static boolean less(String a, String b) {
        int i = 0, j = 0;
        while (i < a.length() && j < b.length()) {
            char ca = a.charAt(i), cb = b.charAt(j);
            if (isDigit(ca) && isDigit(cb)) {
                int si = i, sj = j;
                while (i < a.length() && isDigit(a.charAt(i))) i++;
                while (j < b.length() && isDigit(b.charAt(j))) j++;
                String na = a.substring(si, i).replaceFirst("^0+(?=.)", "");
                String nb = b.substring(sj, j).replaceFirst("^0+(?=.)", "");
                if (na.length() != nb.length()) return na.length() < nb.length();
                int c = na.compareTo(nb);
                if (c != 0) return c < 0;
                continue;
            }
            if (ca != cb) return ca < cb;
            i++;
            j++;
        }
        return a.length() - i < b.length() - j;
    }
}
