package io.tsdb.query.engine;

import io.tsdb.core.Labels;
import io.tsdb.core.histogram.FloatHistogram;

/**
 * One series of a range result (matrix). Float points: {@code count} of them in the parallel arrays
 * {@code timestamps}/{@code values}; native histogram points: {@code histogramCount} of them in
 * {@code histogramTimestamps}/{@code histograms}. Each kind is in ascending time order and no timestamp is in
 * both (a series may switch between floats and histograms over time): the Prometheus HTTP API writes the first
 * kind as {@code "values"} and the second as {@code "histograms"}. The histograms are owned by the result: readers
 * must not modify them.
 */
public record Series(Labels labels, long[] timestamps, double[] values, int count,
                     long[] histogramTimestamps, FloatHistogram[] histograms, int histogramCount) {
    private static final long[] NO_TIMES = new long[0];
    private static final FloatHistogram[] NO_HISTOGRAMS = new FloatHistogram[0];

    /** A series of float points only. */
    public Series(Labels labels, long[] timestamps, double[] values, int count) {
        this(labels, timestamps, values, count, NO_TIMES, NO_HISTOGRAMS, 0);
    }

    public boolean hasHistograms() { return histogramCount > 0; }

    /** Float points plus histogram points. */
    public int pointCount() { return count + histogramCount; }
}
