package io.tsdb.server.rules;

import io.tsdb.query.parser.Literals;

/** Prometheus durations in rule files ({@code 5m}, {@code 1h30m}, {@code 1d}; model.Duration syntax). */
public final class RuleDurations {
    private RuleDurations() {}

    /** Milliseconds; throws IllegalArgumentException worded as Prometheus's parser words it. */
    public static long parse(String s) {
        long ms = Literals.tryParseDurationMs(s);
        if (ms == Literals.DURATION_INVALID) throw new IllegalArgumentException("not a valid duration string: \"" + s + "\"");
        if (ms == Literals.DURATION_OVERFLOW) throw new IllegalArgumentException("duration out of range: \"" + s + "\"");
        return ms;
    }

    /** model.Duration's String(): the largest units first, e.g. 1h30m, 5m, 1d, 1w, 0s. */
    public static String format(long ms) {
        if (ms == 0) return "0s";
        StringBuilder sb = new StringBuilder();
        long[] unit = {365L * 86_400_000, 7L * 86_400_000, 86_400_000, 3_600_000, 60_000, 1000, 1};
        String[] name = {"y", "w", "d", "h", "m", "s", "ms"};
        for (int i = 0; i < unit.length; i++) {
            long n = ms / unit[i];
            if (n > 0) {
                sb.append(n).append(name[i]);
                ms -= n * unit[i];
            }
        }
        return sb.toString();
    }
}
