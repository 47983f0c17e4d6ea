package io.tsdb.server.ingest;

import io.tsdb.core.AppendStatus;
import io.tsdb.core.Labels;
import io.tsdb.core.registry.LabelValidator;

/**
 * Collects name/value pairs of one series (reused across series), then validates and builds immutable
 * {@link Labels}: Prometheus naming rules (metric name {@code [a-zA-Z_:][a-zA-Z0-9_:]*}, label name
 * {@code [a-zA-Z_][a-zA-Z0-9_]*}), no duplicate names, and the configured limits on labels per series and
 * name/value length. Empty values drop the label (as in Prometheus). On failure {@link #build} returns null
 * and {@link #reason()} / {@link #message()} say why, naming the limit and the metric.
 */
public final class LabelSetBuilder {
    private final LabelRules rules;
    private String[] kv = new String[32];
    private int n; // number of pairs
    private AppendStatus reason;
    private String message;

    public LabelSetBuilder(LabelRules rules) { this.rules = rules; }

    public LabelSetBuilder reset() { n = 0; reason = null; message = null; return this; }

    public LabelSetBuilder add(String name, String value) {
        if ((n + 1) * 2 > kv.length) kv = java.util.Arrays.copyOf(kv, kv.length * 2);
        kv[2 * n] = name;
        kv[2 * n + 1] = value;
        n++;
        return this;
    }

    public int size() { return n; }
    public String name(int i) { return kv[2 * i]; }
    public String value(int i) { return kv[2 * i + 1]; }

    /** Value of a label added so far, or null. */
    public String get(String name) {
        for (int i = 0; i < n; i++) if (kv[2 * i].equals(name)) return kv[2 * i + 1];
        return null;
    }

    /** Replaces the value of an existing label or adds it. */
    public LabelSetBuilder set(String name, String value) {
        for (int i = 0; i < n; i++) if (kv[2 * i].equals(name)) { kv[2 * i + 1] = value; return this; }
        return add(name, value);
    }

    public AppendStatus reason() { return reason; }
    public String message() { return message; }

    /** Records a rejection found by the caller (e.g. invalid UTF-8 in the raw bytes); returns null. */
    public Labels reject(AppendStatus r, String msg) { return fail(r, msg); }

    private Labels fail(AppendStatus r, String msg) {
        reason = r;
        message = msg + " in series " + describe();
        return null;
    }

    /** The collected pairs in Prometheus text form, for error messages. */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        String metric = get(Labels.METRIC_NAME);
        if (metric != null) sb.append(truncate(metric));
        sb.append('{');
        boolean first = true;
        for (int i = 0; i < n; i++) {
            if (kv[2 * i].equals(Labels.METRIC_NAME)) continue;
            if (!first) sb.append(", ");
            first = false;
            sb.append(truncate(kv[2 * i])).append("=\"").append(truncate(kv[2 * i + 1])).append('"');
            if (sb.length() > 400) { sb.append(", ..."); break; }
        }
        return sb.append('}').toString();
    }

    private static String truncate(String s) { return s.length() <= 64 ? s : s.substring(0, 64) + "...(" + s.length() + " chars)"; }

    /** Validates and builds; null when invalid (see {@link #reason()}). */
    public Labels build() {
        // insertion sort by name (series have few labels)
        for (int i = 1; i < n; i++) {
            String kn = kv[2 * i], kval = kv[2 * i + 1];
            int j = i - 1;
            while (j >= 0 && kv[2 * j].compareTo(kn) > 0) {
                kv[2 * j + 2] = kv[2 * j];
                kv[2 * j + 3] = kv[2 * j + 1];
                j--;
            }
            kv[2 * j + 2] = kn;
            kv[2 * j + 3] = kval;
        }
        int kept = 0;
        String metric = null;
        for (int i = 0; i < n; i++) {
            String name = kv[2 * i], value = kv[2 * i + 1];
            if (i > 0 && name.equals(kv[2 * i - 2])) return fail(AppendStatus.DUPLICATE_LABEL_NAME, "duplicate label name \"" + truncate(name) + "\"");
            if (name.length() > rules.maxNameLength()) {
                return fail(AppendStatus.LABEL_NAME_TOO_LONG, "label name of " + name.length() + " chars exceeds the limit of "
                        + rules.maxNameLength() + " (--storage.max-label-name-length)");
            }
            if (value.length() > rules.maxValueLength()) {
                return fail(AppendStatus.LABEL_VALUE_TOO_LONG, "value of label \"" + truncate(name) + "\" has " + value.length()
                        + " chars, exceeding the limit of " + rules.maxValueLength() + " (--storage.max-label-value-length)");
            }
            if (name.equals(Labels.METRIC_NAME)) {
                if (!LabelValidator.isValidMetricName(value)) return fail(AppendStatus.INVALID_METRIC_NAME, "invalid metric name \"" + truncate(value) + "\" (must match [a-zA-Z_:][a-zA-Z0-9_:]*)");
                metric = value;
            } else if (!LabelValidator.isValidLabelName(name)) {
                return fail(AppendStatus.INVALID_LABEL_NAME, "invalid label name \"" + truncate(name) + "\" (must match [a-zA-Z_][a-zA-Z0-9_]*)");
            }
            if (!value.isEmpty()) kept++;
        }
        if (metric == null) return fail(AppendStatus.INVALID_METRIC_NAME, "missing metric name (__name__)");
        if (kept > rules.maxLabels()) {
            return fail(AppendStatus.TOO_MANY_LABELS, kept + " labels exceed the limit of " + rules.maxLabels()
                    + " per series (--storage.max-labels-per-series) for metric \"" + truncate(metric) + "\"");
        }
        String[] out = new String[kept * 2];
        int o = 0;
        for (int i = 0; i < n; i++) {
            if (kv[2 * i + 1].isEmpty()) continue;
            out[o++] = kv[2 * i];
            out[o++] = kv[2 * i + 1];
        }
        return Labels.fromSortedUnsafe(out);
    }
}
