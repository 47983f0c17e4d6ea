package io.tsdb.server.rules.template;

/** Go string literal unquoting ({@code "a\tb\u00e9\x41"}) and quoting ({@code %q}). */
final class GoStrings {
    private GoStrings() {}

    static String unquote(String quoted, String name, int line) throws TemplateException {
        StringBuilder sb = new StringBuilder();
        String s = quoted.substring(1, quoted.length() - 1);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != '\\') {
                sb.append(c);
                continue;
            }
            if (++i >= s.length()) throw bad(name, line, quoted);
            char e = s.charAt(i);
            switch (e) {
                case 'a' -> sb.append('\u0007');
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                case 'v' -> sb.append('\u000b');
                case '\\' -> sb.append('\\');
                case '"' -> sb.append('"');
                case '\'' -> sb.append('\'');
                case 'x', 'u', 'U' -> {
                    int n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
                    try {
                        int cp = Integer.parseInt(s.substring(i + 1, i + 1 + n), 16);
                        if (e == 'x') sb.append((char) cp); else sb.appendCodePoint(cp);
                    } catch (RuntimeException ex) {
                        throw bad(name, line, quoted);
                    }
                    i += n;
                }
                default -> {
                    if (e >= '0' && e <= '7' && i + 2 < s.length()) {
                        try {
                            sb.append((char) Integer.parseInt(s.substring(i, i + 3), 8));
                        } catch (NumberFormatException ex) {
                            throw bad(name, line, quoted);
                        }
                        i += 2;
                    } else {
                        throw bad(name, line, quoted);
                    }
                }
            }
        }
        return sb.toString();
    }

    private static TemplateException bad(String name, int line, String q) {
        return new TemplateException("template: " + name + ":" + line + ": invalid syntax: " + q);
    }

    /** Go's strconv.Quote: double-quoted with Go escapes; printable Unicode kept. */
    static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            switch (cp) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\t' -> sb.append("\\t");
                case '\r' -> sb.append("\\r");
                case 7 -> sb.append("\\a");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                case 11 -> sb.append("\\v");
                default -> {
                    if (cp < 0x20 || cp == 0x7f) sb.append(String.format("\\x%02x", cp));
                    else if (!Character.isDefined(cp) || Character.getType(cp) == Character.CONTROL) sb.append(String.format("\\u%04x", cp));
                    else sb.appendCodePoint(cp);
                }
            }
        }
        return sb.append('"').toString();
    }
}
