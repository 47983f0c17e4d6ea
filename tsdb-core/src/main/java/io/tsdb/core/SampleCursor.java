package io.tsdb.core;

/**
 * Iterates samples of one series in ascending timestamp order without allocating per sample.
 * Stale markers are returned as stored (NaN with bits {@link StaleNaN#BITS}).
 */
public interface SampleCursor {
    /** Advances; false when exhausted. */
    boolean next();

    /** Advances to the first sample with timestamp >= t (may stay at the current sample); false when exhausted. */
    boolean seek(long t);

    long timestamp();

    double value();
}
