package io.tsdb.server.rules;

import java.nio.charset.StandardCharsets;

/** Go's net/url and net helpers that templates and alert generator URLs need. */
final class GoUrl {
    private GoUrl() {}

    /** url.QueryEscape: space as '+', everything but letters, digits and {@code -_.~} percent-encoded. */
    static String queryEscape(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 16);
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~') {
                sb.append((char) c);
            } else if (c == ' ') {
                sb.append('+');
            } else {
                sb.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
            }
        }
        return sb.toString();
    }

    /** net.SplitHostPort: {host, port}, or null when s is not host:port. */
    static String[] splitHostPort(String s) {
        if (s.startsWith("[")) {
            int close = s.indexOf(']');
            if (close < 0 || close + 1 >= s.length() || s.charAt(close + 1) != ':') return null;
            return new String[]{s.substring(1, close), s.substring(close + 2)};
        }
        int colon = s.lastIndexOf(':');
        if (colon < 0 || s.indexOf(':') != colon) return null;
        return new String[]{s.substring(0, colon), s.substring(colon + 1)};
    }

    static String joinHostPort(String host, String port) {
        return host.contains(":") ? "[" + host + "]:" + port : host + ":" + port;
    }

    /** A literal IPv4 or IPv6 address (no name resolution). */
    static boolean isIp(String host) {
        if (host.matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
            for (String p : host.split("\\.")) if (Integer.parseInt(p) > 255) return false;
            return true;
        }
        return host.contains(":") && host.matches("[0-9a-fA-F:.]+");
    }
}
