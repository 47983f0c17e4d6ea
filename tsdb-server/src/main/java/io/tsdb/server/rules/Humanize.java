package io.tsdb.server.rules;

import io.tsdb.server.rules.template.GoFmt;

import java.util.List;

/** Prometheus's humanize, humanize1024 and humanizeDuration template functions (same rounding, same units). */
final class Humanize {
    private static final String[] BIG = {"k", "M", "G", "T", "P", "E", "Z", "Y"};
    private static final String[] SMALL = {"m", "u", "n", "p", "f", "a", "z", "y"};
    private static final String[] BIN = {"ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"};

    private Humanize() {}

    private static String g4(double v, String suffix) {
        return GoFmt.formatFloat(v, 'g', 4) + suffix;
    }

    static String humanize(double v) {
        if (v == 0 || Double.isNaN(v) || Double.isInfinite(v)) return g4(v, "");
        String prefix = "";
        if (Math.abs(v) >= 1) {
            for (String p : BIG) {
                if (Math.abs(v) < 1000) break;
                prefix = p;
                v /= 1000;
            }
            return g4(v, prefix);
        }
        for (String p : SMALL) {
            if (Math.abs(v) >= 1) break;
            prefix = p;
            v *= 1000;
        }
        return g4(v, prefix);
    }

    static String humanize1024(double v) {
        if (Math.abs(v) <= 1 || Double.isNaN(v) || Double.isInfinite(v)) return g4(v, "");
        String prefix = "";
        for (String p : BIN) {
            if (Math.abs(v) < 1024) break;
            prefix = p;
            v /= 1024;
        }
        return g4(v, prefix);
    }

    static String duration(double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) return g4(v, "");
        if (v == 0) return g4(v, "s");
        if (Math.abs(v) >= 1) {
            String sign = "";
            if (v < 0) {
                sign = "-";
                v = -v;
            }
            long d = (long) v;
            long seconds = d % 60, minutes = (d / 60) % 60, hours = (d / 3600) % 24, days = d / 86400;
            if (days != 0) return GoFmt.sprintf("%s%dd %dh %dm %ds", List.of(sign, days, hours, minutes, seconds));
            if (hours != 0) return GoFmt.sprintf("%s%dh %dm %ds", List.of(sign, hours, minutes, seconds));
            if (minutes != 0) return GoFmt.sprintf("%s%dm %ds", List.of(sign, minutes, seconds));
            return sign + g4(v, "s");
        }
        String prefix = "";
        for (String p : SMALL) {
            if (Math.abs(v) >= 1) break;
            prefix = p;
            v *= 1000;
        }
        return g4(v, prefix + "s");
    }
}
