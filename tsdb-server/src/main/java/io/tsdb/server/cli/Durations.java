package io.tsdb.server.cli;

import io.tsdb.query.parser.Literals;
import java.time.Duration;

/** Prometheus-style durations ({@code 15d}, {@code 1h30m}, {@code 500ms}; units y w d h m s ms, in that order). */
public final class Durations {
    private static final long[] UNIT_MS = {365L * 86_400_000, 7L * 86_400_000, 86_400_000, 3_600_000, 60_000, 1000, 1};
    private static final String[] UNIT = {"y", "w", "d", "h", "m", "s", "ms"};

    private Durations() {}

    public static Duration parse(String s) {
        String t = s == null ? "" : s.trim();
        long ms = Literals.tryParseDurationMs(t);
        if (ms == Literals.DURATION_OVERFLOW) throw new IllegalArgumentException("duration '" + s + "' is too large");
        if (ms == Literals.DURATION_INVALID) {
            throw new IllegalArgumentException("'" + s + "' is not a duration; expected e.g. 15d, 2h, 1h30m, 30s, 500ms");
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
