package io.tsdb.core.registry;

/**
 * Per-series validation limits and cardinality guards. {@code maxSeries <= 0} and
 * {@code maxSeriesPerMetric <= 0} mean unlimited.
 *
 * @param maxLabelsPerSeries  labels per series including {@code __name__}
 * @param maxLabelNameLength  bytes in a label name (and in the metric name; names are ASCII)
 * @param maxLabelValueLength bytes of a label value in UTF-8
 * @param maxSeries           cap on active series (series in the head: with samples since the last flush)
 * @param maxSeriesPerMetric  cap on active series of one metric name
 */
public record Limits(int maxLabelsPerSeries, int maxLabelNameLength, int maxLabelValueLength, long maxSeries, long maxSeriesPerMetric) {
    public static final Limits DEFAULT = new Limits(30, 256, 4096, 0, 0);

    public Limits(int maxLabelsPerSeries, int maxLabelNameLength, int maxLabelValueLength, long maxSeries) {
        this(maxLabelsPerSeries, maxLabelNameLength, maxLabelValueLength, maxSeries, 0);
    }

    public Limits {
        if (maxLabelsPerSeries <= 0 || maxLabelNameLength <= 0 || maxLabelValueLength <= 0)
            throw new IllegalArgumentException("limits must be positive: " + maxLabelsPerSeries + ", "
                    + maxLabelNameLength + ", " + maxLabelValueLength);
    }

    public Limits withMaxSeries(long n) { return new Limits(maxLabelsPerSeries, maxLabelNameLength, maxLabelValueLength, n, maxSeriesPerMetric); }
    public Limits withMaxSeriesPerMetric(long n) { return new Limits(maxLabelsPerSeries, maxLabelNameLength, maxLabelValueLength, maxSeries, n); }
    public Limits withMaxLabelsPerSeries(int n) { return new Limits(n, maxLabelNameLength, maxLabelValueLength, maxSeries, maxSeriesPerMetric); }
    public Limits withMaxLabelNameLength(int n) { return new Limits(maxLabelsPerSeries, n, maxLabelValueLength, maxSeries, maxSeriesPerMetric); }
    public Limits withMaxLabelValueLength(int n) { return new Limits(maxLabelsPerSeries, maxLabelNameLength, n, maxSeries, maxSeriesPerMetric); }
}
