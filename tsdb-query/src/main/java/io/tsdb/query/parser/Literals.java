package io.tsdb.query.parser;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Conversion of literal tokens: numbers, durations and quoted strings, with PromQL's (Go's) rules.
 * Each method throws {@link IllegalArgumentException} with a message fit for a {@link ParseException}.
 */
public final class Literals {
    private Literals() {}

    /**
     * A number token: decimal or float with optional exponent, hex ({@code 0x1F}), octal with a leading
     * zero ({@code 010} is 8, as Go's {@code ParseInt(s, 0, 64)} reads it), {@code Inf}, {@code NaN}
     * (any case); underscores between digits are ignored.
     */
    public static double parseNumber(String text) {
        String s = text.replace("_", "");
        String lower = s.toLowerCase(java.util.Locale.ROOT);
        if (lower.equals("inf")) return Double.POSITIVE_INFINITY;
        if (lower.equals("nan")) return Double.NaN;
        try {
            if (lower.startsWith("0x")) {
                return parseIntegerOrBig(s.substring(2), 16);
            }
            if (s.length() > 1 && s.charAt(0) == '0' && s.chars().allMatch(c -> c >= '0' && c <= '7')) {
                return parseIntegerOrBig(s.substring(1), 8);
            }
            return Double.parseDouble(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad number syntax: \"" + text + "\"");
        }
    }

    private static double parseIntegerOrBig(String digits, int radix) {
        return new java.math.BigInteger(digits, radix).doubleValue();
    }

    private static final String UNITS = "ywdhms"; // "ms" handled separately, after "s" in order

    /** {@link #tryParseDurationMs} result: the text is not a duration. */
    public static final long DURATION_INVALID = -1;
    /** {@link #tryParseDurationMs} result: the duration does not fit in a long of milliseconds. */
    public static final long DURATION_OVERFLOW = -2;

    /**
     * A duration such as {@code 1h30m}, {@code 90s}, {@code 500ms}, {@code 2w}, {@code 1y}
     * (units y=365d, w, d, h, m, s, ms; each at most once, in that order), in milliseconds.
     */
    public static long parseDurationMs(String text) {
        long ms = tryParseDurationMs(text);
        if (ms == DURATION_INVALID) throw invalidDuration(text);
        if (ms == DURATION_OVERFLOW) throw new IllegalArgumentException("duration out of range: \"" + text + "\"");
        return ms;
    }

    /**
     * The Prometheus duration syntax of {@link #parseDurationMs} (ASCII digits only; {@code "0"} alone is
     * zero), without exceptions, so that callers can word their own errors: milliseconds (&ge; 0), or
     * {@link #DURATION_INVALID} or {@link #DURATION_OVERFLOW}.
     */
    public static long tryParseDurationMs(String text) {
        if (text.equals("0")) return 0;
        long total = 0;
        int lastRank = -1;
        int i = 0;
        int n = text.length();
        if (n == 0) return DURATION_INVALID;
        while (i < n) {
            int start = i;
            while (i < n && text.charAt(i) >= '0' && text.charAt(i) <= '9') i++;
            if (i == start || i == n) return DURATION_INVALID;
            long value;
            try {
                value = Long.parseLong(text, start, i, 10);
            } catch (NumberFormatException e) {
                return DURATION_OVERFLOW;
            }
            int rank;
            long unitMs;
            char c = text.charAt(i);
            if (c == 'm' && i + 1 < n && text.charAt(i + 1) == 's') {
                rank = 6; unitMs = 1; i += 2;
            } else {
                switch (c) {
                    case 'y' -> { rank = 0; unitMs = 365L * 24 * 3600 * 1000; }
                    case 'w' -> { rank = 1; unitMs = 7L * 24 * 3600 * 1000; }
                    case 'd' -> { rank = 2; unitMs = 24L * 3600 * 1000; }
                    case 'h' -> { rank = 3; unitMs = 3600L * 1000; }
                    case 'm' -> { rank = 4; unitMs = 60L * 1000; }
                    case 's' -> { rank = 5; unitMs = 1000; }
                    default -> { return DURATION_INVALID; }
                }
                i++;
            }
            if (rank <= lastRank) return DURATION_INVALID;
            lastRank = rank;
            try {
                total = Math.addExact(total, Math.multiplyExact(value, unitMs));
            } catch (ArithmeticException e) {
                return DURATION_OVERFLOW;
            }
        }
        return total;
    }

    private static IllegalArgumentException invalidDuration(String text) {
        return new IllegalArgumentException("not a valid duration string: \"" + text + "\"");
    }

    /** Seconds (as written in a bare number duration or @ timestamp) to milliseconds, rounded. */
    public static long secondsToMs(double seconds) {
        return Math.round(seconds * 1000.0);
    }

    /**
     * Unquotes a string token with Go's escape semantics: {@code "..."} and {@code '...'} accept
     * {@code \a \b \f \n \r \t \v \\ \' \" \NNN \xNN \\uNNNN \UNNNNNNNN}; backtick strings are raw.
     * Byte escapes ({@code \xNN}, octal) are decoded together as UTF-8.
     */
    public static String unquote(String token) {
        if (token.length() < 2) throw new IllegalArgumentException("invalid string literal");
        char q = token.charAt(0);
        if (token.charAt(token.length() - 1) != q) throw new IllegalArgumentException("unterminated quoted string");
        String body = token.substring(1, token.length() - 1);
        if (q == '`') return body;
        if (body.indexOf('\\') < 0) return body;
        StringBuilder out = new StringBuilder(body.length());
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int i = 0;
        while (i < body.length()) {
            char c = body.charAt(i);
            if (c != '\\') {
                flush(bytes, out);
                out.append(c);
                i++;
                continue;
            }
            if (i + 1 >= body.length()) throw new IllegalArgumentException("escape sequence not terminated");
            char e = body.charAt(i + 1);
            i += 2;
            switch (e) {
                case 'a' -> { flush(bytes, out); out.append('\u0007'); }
                case 'b' -> { flush(bytes, out); out.append('\b'); }
                case 'f' -> { flush(bytes, out); out.append('\f'); }
                case 'n' -> { flush(bytes, out); out.append('\n'); }
                case 'r' -> { flush(bytes, out); out.append('\r'); }
                case 't' -> { flush(bytes, out); out.append('\t'); }
                case 'v' -> { flush(bytes, out); out.append('\u000b'); }
                case '\\' -> { flush(bytes, out); out.append('\\'); }
                case '\'', '"' -> {
                    if (e != q) throw new IllegalArgumentException("unknown escape sequence \\" + e);
                    flush(bytes, out);
                    out.append(e);
                }
                case 'x' -> { bytes.write(hex(body, i, 2)); i += 2; }
                case 'u', 'U' -> {
                    int len = e == 'u' ? 4 : 8;
                    int cp = hex(body, i, len);
                    i += len;
                    if (cp > 0x10FFFF || (cp >= 0xD800 && cp < 0xE000)) {
                        throw new IllegalArgumentException("escape sequence is an invalid Unicode code point");
                    }
                    flush(bytes, out);
                    out.appendCodePoint(cp);
                }
                case '0', '1', '2', '3', '4', '5', '6', '7' -> {
                    if (i + 2 > body.length()) throw new IllegalArgumentException("escape sequence not terminated");
                    int v = 0;
                    for (int k = i - 1; k < i + 2; k++) {
                        char d = body.charAt(k);
                        if (d < '0' || d > '7') throw new IllegalArgumentException("illegal character '" + d + "' in escape sequence");
                        v = v * 8 + (d - '0');
                    }
                    if (v > 255) throw new IllegalArgumentException("octal escape value > 255: " + v);
                    bytes.write(v);
                    i += 2;
                }
                default -> throw new IllegalArgumentException("unknown escape sequence \\" + e);
            }
        }
        flush(bytes, out);
        return out.toString();
    }

    private static int hex(String s, int from, int len) {
        if (from + len > s.length()) throw new IllegalArgumentException("escape sequence not terminated");
        int v = 0;
        for (int k = from; k < from + len; k++) {
            int d = Character.digit(s.charAt(k), 16);
            if (d < 0) throw new IllegalArgumentException("illegal character '" + s.charAt(k) + "' in escape sequence");
            v = v * 16 + d;
        }
        return v;
    }

    /**
     * Appends the escaped bytes decoded as UTF-8. A byte that is not part of valid UTF-8 becomes the lone surrogate
     * U+DC00 + byte (as Python's "surrogateescape"): such a string is no valid label name or value (Go keeps the raw
     * byte, which is no valid UTF-8 either), and {@link #quote} prints the byte back as {@code \xNN} as Go does.
     */
    private static void flush(ByteArrayOutputStream bytes, StringBuilder out) {
        if (bytes.size() == 0) return;
        byte[] b = bytes.toByteArray();
        bytes.reset();
        java.nio.charset.CharsetDecoder dec = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT);
        java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(b);
        java.nio.CharBuffer chars = java.nio.CharBuffer.allocate(b.length * 2 + 2);
        while (in.hasRemaining()) {
            java.nio.charset.CoderResult r = dec.decode(in, chars, true);
            if (r.isError()) {
                for (int k = 0; k < r.length(); k++) chars.put((char) (0xDC00 | (in.get() & 0xff)));
            } else {
                break;
            }
        }
        dec.flush(chars);
        chars.flip();
        out.append(chars);
    }

    /** Quotes a string for printing, with Go {@code %q} escapes. */
    public static String quote(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case '\u0007' -> b.append("\\a");
                case '\b' -> b.append("\\b");
                case '\f' -> b.append("\\f");
                case '\u000b' -> b.append("\\v");
                default -> {
                    if (c < 0x20 || c == 0x7f) b.append(String.format("\\x%02x", (int) c));
                    else if (c >= 0xDC80 && c <= 0xDCFF) b.append(String.format("\\x%02x", c & 0xff)); // an invalid byte, see flush
                    else b.append(c);
                }
            }
        }
        return b.append('"').toString();
    }
}
