package io.tsdb.core.registry;

/**
 * Per-series validation limits. {@code maxSeries <= 0} means unlimited.
 *
 * @param maxLabelsPerSeries  labels per series including {@code __name__}
 * @param maxLabelNameLength  bytes in a label name (and in the metric name; names are ASCII)
 * @param maxLabelValueLength bytes of a label value in UTF-8
 * @param maxSeries           cap on active (registered) series
 */
public record Limits(int maxLabelsPerSeries, int maxLabelNameLength, int maxLabelValueLength, long maxSeries) {
    public static final Limits DEFAULT = new Limits(30, 256, 4096, 0);

    public Limits {
        if (maxLabelsPerSeries <= 0 || maxLabelNameLength <= 0 || maxLabelValueLength <= 0)
            throw new IllegalArgumentException("limits must be positive: " + maxLabelsPerSeries + ", "
                    + maxLabelNameLength + ", " + maxLabelValueLength);
    }

    public Limits withMaxSeries(long n) { return new Limits(maxLabelsPerSeries, maxLabelNameLength, maxLabelValueLength, n); }
    public Limits withMaxLabelsPerSeries(int n) { return new Limits(n, maxLabelNameLength, maxLabelValueLength, maxSeries); }
    public Limits withMaxLabelNameLength(int n) { return new Limits(maxLabelsPerSeries, n, maxLabelValueLength, maxSeries); }
    public Limits withMaxLabelValueLength(int n) { return new Limits(maxLabelsPerSeries, maxLabelNameLength, n, maxSeries); }
}
