package io.tsdb.query.engine;

import io.tsdb.core.Labels;
import io.tsdb.core.histogram.FloatHistogram;

/**
 * One element of an instant vector: a float sample ({@code histogram == null}, the value in {@code value}) or a
 * native histogram sample ({@code histogram != null}; then {@code value} is NaN and means nothing). The histogram
 * is owned by the result: readers must not modify it. {@link HistogramBuckets#forEach} lists its buckets the way
 * the Prometheus HTTP API writes them.
 */
public record Sample(Labels labels, long timestampMs, double value, FloatHistogram histogram) {
    /** A float sample. */
    public Sample(Labels labels, long timestampMs, double value) {
        this(labels, timestampMs, value, null);
    }

    /** A native histogram sample. */
    public static Sample ofHistogram(Labels labels, long timestampMs, FloatHistogram histogram) {
        if (histogram == null) throw new IllegalArgumentException("histogram is null");
        return new Sample(labels, timestampMs, Double.NaN, histogram);
    }

    public boolean isHistogram() { return histogram != null; }
}
