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
}
