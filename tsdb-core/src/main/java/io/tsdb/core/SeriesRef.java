package io.tsdb.core;

/**
 * An opaque reference to a series held by a storage, handed out by {@link Appender#lastRef()} (the counterpart
 * of Prometheus's {@code storage.SeriesRef}). A caller that sees the same label set again and again (an ingest
 * parser's cache of series by their wire bytes) keeps the reference beside the label set and passes it to
 * {@link Appender#append(SeriesRef, Labels, long, double)}: a known series then costs no lookup in the storage.
 *
 * <p>A reference stays safe to pass forever: when its series has left the storage's memory (it went quiet and
 * was garbage-collected) the appender finds the series again from the label set, and hands out a new reference.
 */
public interface SeriesRef {
    /** The storage's own instance of the series' label set (keep it rather than an equal copy). */
    Labels labels();
}
