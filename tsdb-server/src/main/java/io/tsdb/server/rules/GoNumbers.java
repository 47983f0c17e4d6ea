package io.tsdb.server.rules;

/** Go's strconv.ParseFloat for the spellings users write (decimal, exponent, inf, nan, hex float). */
final class GoNumbers {
    private GoNumbers() {}

    static double parseFloat(String s) {
        String t = s.toLowerCase(java.util.Locale.ROOT);
        switch (t) {
            case "inf", "+inf", "infinity", "+infinity" -> { return Double.POSITIVE_INFINITY; }
            case "-inf", "-infinity" -> { return Double.NEGATIVE_INFINITY; }
            case "nan" -> { return Double.NaN; }
            default -> { }
        }
        if (t.isEmpty() || t.endsWith("d") || t.endsWith("f") || t.contains(" ")) throw new NumberFormatException(s);
        if (t.startsWith("0x") || t.startsWith("-0x") || t.startsWith("+0x")) {
            if (!t.contains("p")) {
                boolean neg = t.startsWith("-");
                return (neg ? -1 : 1) * (double) Long.parseLong(t.substring(t.indexOf('x') + 1), 16);
            }
        }
        return Double.parseDouble(s);
    }
}
