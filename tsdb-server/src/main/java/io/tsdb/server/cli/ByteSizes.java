package io.tsdb.server.cli;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Byte sizes: a number with an optional binary unit, {@code 1048576}, {@code 512KiB}, {@code 64MB}, {@code 1GiB}. */
public final class ByteSizes {
    private static final Pattern P = Pattern.compile("(\\d+)\\s*([kmgt]i?b?|b)?", Pattern.CASE_INSENSITIVE);

    private ByteSizes() {}

    /** Parses; K/KB/KiB = 1024, M/MB/MiB = 1024^2, G/GB/GiB = 1024^3, T/TB/TiB = 1024^4. */
    public static long parse(String s) {
        Matcher m = P.matcher(s == null ? "" : s.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + s + "' is not a byte size; expected e.g. 1048576, 512KiB, 64MiB, 1GiB");
        }
        long n = Long.parseLong(m.group(1));
        String u = m.group(2) == null ? "b" : m.group(2).toLowerCase(Locale.ROOT);
        int shift = switch (u.charAt(0)) {
            case 'k' -> 10;
            case 'm' -> 20;
            case 'g' -> 30;
            case 't' -> 40;
            default -> 0;
        };
        if (shift > 0 && n > (Long.MAX_VALUE >> shift)) throw new IllegalArgumentException("byte size '" + s + "' is too large");
        return n << shift;
    }

    public static String format(long bytes) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
        int i = 0;
        while (i < units.length - 1 && bytes != 0 && bytes % 1024 == 0) {
            bytes /= 1024;
            i++;
        }
        return bytes + units[i];
    }
}
