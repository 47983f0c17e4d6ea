package io.tsdb.server.cli;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Prometheus-style durations ({@code 15d}, {@code 1h30m}, {@code 500ms}; units y w d h m s ms, in that order). */
public final class Durations {
    private static final Pattern P = Pattern.compile(
            "(?:(\\d+)y)?(?:(\\d+)w)?(?:(\\d+)d)?(?:(\\d+)h)?(?:(\\d+)m(?!s))?(?:(\\d+)s)?(?:(\\d+)ms)?");
    private static final long[] UNIT_MS = {365L * 86_400_000, 7L * 86_400_000, 86_400_000, 3_600_000, 60_000, 1000, 1};
    private static final String[] UNIT = {"y", "w", "d", "h", "m", "s", "ms"};

    private Durations() {}

    public static Duration parse(String s) {
        String t = s == null ? "" : s.trim();
        if (t.equals("0")) return Duration.ZERO;
        Matcher m = P.matcher(t);
        if (t.isEmpty() || !m.matches()) {
            throw new IllegalArgumentException("'" + s + "' is not a duration; expected e.g. 15d, 2h, 1h30m, 30s, 500ms");
        }
        long ms = 0;
        for (int i = 0; i < UNIT_MS.length; i++) {
            String g = m.group(i + 1);
            if (g == null) continue;
            try {
                ms = Math.addExact(ms, Math.multiplyExact(Long.parseLong(g), UNIT_MS[i]));
            } catch (ArithmeticException | NumberFormatException e) {
                throw new IllegalArgumentException("duration '" + s + "' is too large");
            }
        }
        return Duration.ofMillis(ms);
    }

    /** The shortest Prometheus-style spelling, e.g. {@code 15d}, {@code 1h30m}, {@code 0s}. */
    public static String format(Duration d) {
        long ms = d.toMillis();
        if (ms == 0) return "0s";
        StringBuilder b = new StringBuilder();
        // years and weeks are not used for output: "15d" reads better than "2w1d".
        for (int i = 2; i < UNIT_MS.length; i++) {
            long n = ms / UNIT_MS[i];
            if (n > 0) {
                b.append(n).append(UNIT[i]);
                ms -= n * UNIT_MS[i];
            }
        }
        return b.toString();
    }
}
