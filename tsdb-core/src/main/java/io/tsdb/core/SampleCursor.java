package io.tsdb.core;

/**
 * Iterates samples of one series in ascending timestamp order without allocating per sample.
 * Stale markers are returned as stored (NaN with bits {@link StaleNaN#BITS}).
 *
 * <p>Native histograms: a cursor may return histogram samples; {@link #sampleType()} says what the current sample
 * is, {@link #histogram} / {@link #floatHistogram} copy it into a caller-owned holder. Every existing cursor returns
 * only floats (the defaults below), so float readers are unaffected; a reader that may meet histogram samples
 * checks {@link #sampleType()} before {@link #value()}, which throws {@link IllegalStateException} on them.
 */
public interface SampleCursor {
    /** {@link #sampleType()} of a float sample ({@link #value()}). */
    int FLOAT = 0;
    /** {@link #sampleType()} of an integer native histogram ({@link #histogram}, or {@link #floatHistogram} converted). */
    int HISTOGRAM = 1;
    /** {@link #sampleType()} of a float native histogram ({@link #floatHistogram}). */
    int FLOAT_HISTOGRAM = 2;

    /** Advances; false when exhausted. */
    boolean next();

    /** Advances to the first sample with timestamp >= t (may stay at the current sample); false when exhausted. */
    boolean seek(long t);

    long timestamp();

    double value();

    /** What the current sample is: {@link #FLOAT}, {@link #HISTOGRAM} or {@link #FLOAT_HISTOGRAM}. */
    default int sampleType() { return FLOAT; }

    /** The current integer histogram sample into {@code into} (returned). */
    default io.tsdb.core.histogram.Histogram histogram(io.tsdb.core.histogram.Histogram into) {
        throw new IllegalStateException("the current sample is a float, not a histogram");
    }

    /** The current histogram sample (integer ones converted) into {@code into} (returned). */
    default io.tsdb.core.histogram.FloatHistogram floatHistogram(io.tsdb.core.histogram.FloatHistogram into) {
        throw new IllegalStateException("the current sample is a float, not a histogram");
    }
}
