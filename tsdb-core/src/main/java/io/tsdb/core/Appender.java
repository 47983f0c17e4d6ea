package io.tsdb.core;

import io.tsdb.core.histogram.FloatHistogram;
import io.tsdb.core.histogram.Histogram;

import java.io.IOException;

/**
 * Stages samples for one write request. Not thread-safe; one per request or per thread.
 *
 * <p>{@link #append} validates and stages a sample, returning {@link AppendStatus#OK} or the reason it was
 * rejected (never throwing for bad data); {@link #lastError()} then describes the rejection in words
 * naming the limit and the metric. {@link #commit()} writes the staged samples to the WAL (group commit),
 * makes them visible to queries, and returns only when they are durable per the fsync policy. After an
 * append returned {@link AppendStatus#STORAGE_ERROR}, {@code commit()} throws and stores nothing of the batch.
 *
 * <p>Native histograms ({@link #appendHistogram}, {@link #appendFloatHistogram}) follow the same rules as float
 * samples (out of order, too old, duplicates, too far in the future) and are in addition validated before anything
 * is staged ({@link AppendStatus#INVALID_HISTOGRAM}, {@link #lastError()} naming the series and the rule). A
 * series may switch between float and histogram samples over time. A float stale marker (StaleNaN) ends a
 * histogram series as it ends a float one. The appender keeps no reference to a histogram passed in after the
 * call returns (callers may reuse it). An appender that does not store histograms rejects them with
 * {@link AppendStatus#HISTOGRAMS_UNSUPPORTED}.
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
     * Stages an integer native histogram sample (counter or gauge histogram, per its counter-reset hint). The
     * default, for storages that do not keep histograms, rejects it with {@link AppendStatus#HISTOGRAMS_UNSUPPORTED}
     * (and does not change {@link #lastError()}: the status says it all).
     */
    default AppendStatus appendHistogram(Labels labels, long timestampMs, Histogram h) {
        return AppendStatus.HISTOGRAMS_UNSUPPORTED;
    }

    /** As {@link #appendHistogram(Labels, long, Histogram)} with a series reference, see {@link #append(SeriesRef, Labels, long, double)}. */
    default AppendStatus appendHistogram(SeriesRef ref, Labels labels, long timestampMs, Histogram h) {
        return appendHistogram(labels, timestampMs, h);
    }

    /** Stages a float native histogram sample; as {@link #appendHistogram(Labels, long, Histogram)}. */
    default AppendStatus appendFloatHistogram(Labels labels, long timestampMs, FloatHistogram h) {
        return AppendStatus.HISTOGRAMS_UNSUPPORTED;
    }

    /** As {@link #appendFloatHistogram(Labels, long, FloatHistogram)} with a series reference. */
    default AppendStatus appendFloatHistogram(SeriesRef ref, Labels labels, long timestampMs, FloatHistogram h) {
        return appendFloatHistogram(labels, timestampMs, h);
    }

    /**
     * The reference to the series of the last {@code append} call, or null when it found no series (the label
     * set was rejected, or this storage hands out no references). Callers may keep it with the label set and
     * pass it to {@link #append(SeriesRef, Labels, long, double)} next time.
     */
    default SeriesRef lastRef() { return null; }

    /**
     * Whether the last {@code append} call found no series for its label set in the storage's memory and made one
     * (new, or back from the registry): a caller's cache of series may skip it, as a series seen once (a burst of
     * brand-new series) may never come again, and a series that does is cached the next time it is seen.
     */
    default boolean lastCreated() { return false; }

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
