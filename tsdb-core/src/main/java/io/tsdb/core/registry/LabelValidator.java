package io.tsdb.core.registry;

import io.tsdb.core.AppendStatus;
import io.tsdb.core.Labels;

/**
 * Validates a label set against the Prometheus naming rules and the configured {@link Limits}.
 * Returns {@code null} when valid, otherwise a {@link Rejection} with the status and a message that
 * names the limit and the metric.
 */
public final class LabelValidator {
    private final Limits limits;

    public LabelValidator(Limits limits) { this.limits = limits; }

    public record Rejection(AppendStatus status, String message) {}

    public Rejection validate(Labels labels) {
        String metric = labels.metricName();
        if (metric == null || !isValidMetricName(metric))
            return new Rejection(AppendStatus.INVALID_METRIC_NAME, metric == null
                    ? "series " + labels + " has no metric name (label __name__)"
                    : "invalid metric name \"" + shorten(metric) + "\": must match [a-zA-Z_:][a-zA-Z0-9_:]*");
        if (labels.size() > limits.maxLabelsPerSeries())
            return new Rejection(AppendStatus.TOO_MANY_LABELS, "metric " + metric + " has " + labels.size()
                    + " labels, more than the limit max_labels_per_series=" + limits.maxLabelsPerSeries());
        if (metric.length() > limits.maxLabelNameLength())   // names are ASCII: characters == bytes
            return new Rejection(AppendStatus.LABEL_NAME_TOO_LONG, "metric name " + shorten(metric) + " is "
                    + metric.length() + " bytes, more than the limit max_label_name_length=" + limits.maxLabelNameLength());
        String prev = null;
        for (int i = 0; i < labels.size(); i++) {
            String name = labels.name(i), value = labels.value(i);
            if (prev != null && prev.compareTo(name) >= 0)
                return new Rejection(AppendStatus.DUPLICATE_LABEL_NAME, "metric " + metric + " has label " + name
                        + (prev.equals(name) ? " more than once" : " out of order"));
            prev = name;
            if (!isValidLabelName(name))
                return new Rejection(AppendStatus.INVALID_LABEL_NAME, "metric " + metric + ": invalid label name \""
                        + shorten(name) + "\": must match [a-zA-Z_][a-zA-Z0-9_]*");
            if (name.length() > limits.maxLabelNameLength())
                return new Rejection(AppendStatus.LABEL_NAME_TOO_LONG, "metric " + metric + ": label name "
                        + shorten(name) + " is " + name.length() + " bytes, more than the limit max_label_name_length="
                        + limits.maxLabelNameLength());
            if (!name.equals(Labels.METRIC_NAME) && value.length() * 3L > limits.maxLabelValueLength()) {
                long bytes = utf8Length(value);
                if (bytes > limits.maxLabelValueLength())
                    return new Rejection(AppendStatus.LABEL_VALUE_TOO_LONG, "metric " + metric + ": value of label "
                            + name + " is " + bytes + " bytes (UTF-8), more than the limit max_label_value_length="
                            + limits.maxLabelValueLength());
            }
            if (!isValidUtf16(value))
                return new Rejection(AppendStatus.INVALID_LABEL_VALUE, "metric " + metric + ": value of label "
                        + name + " is not valid UTF-8 (unpaired surrogate)");
        }
        return null;
    }

    public static boolean isValidMetricName(String s) {
        if (s.isEmpty()) return false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || (i > 0 && c >= '0' && c <= '9');
            if (!ok) return false;
        }
        return true;
    }

    public static boolean isValidLabelName(String s) {
        if (s.isEmpty()) return false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (i > 0 && c >= '0' && c <= '9');
            if (!ok) return false;
        }
        return true;
    }

    /** UTF-8 length of a string (unpaired surrogates count as 3 bytes; they are rejected separately). */
    static long utf8Length(String s) {
        long n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) n += 1;
            else if (c < 0x800) n += 2;
            else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) { n += 4; i++; }
            else n += 3;
        }
        return n;
    }

    /** A Java string encodes to valid UTF-8 iff it has no unpaired surrogates. */
    public static boolean isValidUtf16(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) return false;
                i++;
            } else if (Character.isLowSurrogate(c)) {
                return false;
            }
        }
        return true;
    }

    private static String shorten(String s) { return s.length() <= 64 ? s : s.substring(0, 61) + "..."; }
}
