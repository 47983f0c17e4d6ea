package io.tsdb.core;

import java.io.IOException;

/**
 * Stages samples for one write request. Not thread-safe; one per request or per thread.
 *
 * <p>{@link #append} validates and stages a sample, returning {@link AppendStatus#OK} or the reason it was
 * rejected (never throwing for bad data); {@link #lastError()} then describes the rejection in words
 * naming the limit and the metric. {@link #commit()} writes the staged samples to the WAL (group commit),
 * makes them visible to queries, and returns only when they are durable per the fsync policy. After an
 * append returned {@link AppendStatus#STORAGE_ERROR}, {@code commit()} throws and stores nothing of the batch.
 */
public interface Appender {

    AppendStatus append(Labels labels, long timestampMs, double value);

    /**
     * As {@link #append(Labels, long, double)}, with a reference to the series that this storage handed out for
     * the same label set before ({@link #lastRef()}), or null. A valid reference spares the lookup of the label
     * set; a reference to a series that left the storage's memory since (series garbage collection), one for
     * other labels or one from another storage is ignored, and the series is looked up as without one: the
     * sample is stored either way. After the call {@link #lastRef()} is the reference to keep.
     */
    default AppendStatus append(SeriesRef ref, Labels labels, long timestampMs, double value) {
        return append(labels, timestampMs, value);
    }

    /**
     * The reference to the series of the last {@code append} call, or null when it found no series (the label
     * set was rejected, or this storage hands out no references). Callers may keep it with the label set and
     * pass it to {@link #append(SeriesRef, Labels, long, double)} next time.
     */
    default SeriesRef lastRef() { return null; }

    /** Human-readable description of the last rejection, or null. */
    String lastError();

    /** Number of samples staged and not yet committed. */
    int pending();

    /** Makes staged samples durable and visible. */
    void commit() throws IOException;

    /** Drops staged samples. */
    void rollback();

    /**
     * The storage's own instance of a label set equal to {@code labels} if it holds that series, else
     * {@code labels}. Ingest parsers that cache label sets by their wire bytes keep this instance, so the label
     * strings of a series exist once in memory however many parser caches know it.
     */
    default Labels canonical(Labels labels) { return labels; }
}
