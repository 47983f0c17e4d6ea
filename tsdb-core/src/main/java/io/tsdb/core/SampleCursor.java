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

    /**
     * Bulk read for query evaluation: copies the current sample and the float samples after it, in order, while their
     * timestamps are at most {@code maxt}, into {@code t}/{@code v} from index {@code off}, at most {@code max} of them,
     * and leaves the cursor on the last sample copied ({@link #next()} continues after it). Call it only while the
     * cursor stands on a sample (the last {@link #next()} or {@link #seek} returned true). Returns how many samples it
     * copied: 0 when the current sample is not a float or is later than {@code maxt} (the cursor does not move), and
     * possibly fewer than are left (a cursor copies at most what it holds decoded, e.g. the rest of one chunk), so
     * callers loop. The default copies the current sample only; cursors over decoded arrays copy whole runs.
     */
    default int readFloats(long maxt, long[] t, double[] v, int off, int max) {
        if (max <= 0 || sampleType() != FLOAT) return 0;
        long ts = timestamp();
        if (ts > maxt) return 0;
        t[off] = ts;
        v[off] = value();
        return 1;
    }

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
