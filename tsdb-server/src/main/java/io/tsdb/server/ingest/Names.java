package io.tsdb.server.ingest;

/** Turns foreign names (Influx measurements and tags, OTLP names and attributes) into Prometheus names. */
public final class Names {
    private Names() {}

    /** Characters outside [a-zA-Z0-9_:] become '_'; a leading digit gets a '_' prefix. */
    public static String metricName(String s) { return sanitize(s, true); }

    /** Characters outside [a-zA-Z0-9_] become '_'; a leading digit gets a '_' prefix. */
    public static String labelName(String s) { return sanitize(s, false); }

    private static String sanitize(String s, boolean colon) {
        if (s.isEmpty()) return s;
        boolean clean = true;
        for (int i = 0; i < s.length() && clean; i++) clean = ok(s.charAt(i), colon, i);
        if (clean) return s;
        StringBuilder sb = new StringBuilder(s.length() + 1);
        char c0 = s.charAt(0);
        if (c0 >= '0' && c0 <= '9') sb.append('_');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length()) i++; // one '_' per code point
            sb.append(ok(c, colon, 1) ? c : '_');
        }
        return sb.toString();
    }

    private static boolean ok(char c, boolean colon, int i) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':') || (i > 0 && c >= '0' && c <= '9');
    }

    /** JSON string literal with escapes. */
    public static String jsonQuote(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) sb.append(String.format("\\u%04x", (int) c)); else sb.append(c);
                }
            }
        }
        return sb.append('"').toString();
    }
}
