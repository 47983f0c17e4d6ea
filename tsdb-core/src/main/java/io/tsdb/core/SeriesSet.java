package io.tsdb.core;

/**
 * A forward-only iteration over series. {@link #cursor()} returns a cursor positioned before the first
 * sample of the current series within the querier's range; the cursor object may be reused between
 * series, so callers must finish with it before calling {@link #next()}.
 */
public interface SeriesSet {
    boolean next();
    Labels labels();
    SampleCursor cursor();

    /**
     * Storage-wide id of the current series (the series registry's id, stable across head, blocks and
     * restarts), or -1 when the source does not know it (e.g. blocks written before index version 2).
     */
    default int seriesId() { return -1; }
}
