package io.tsdb.core.head;

/**
 * In-order sample storage of one head series. This is the seam between the head and the chunk
 * encoding: implementations may be raw or compressed; the head only relies on this contract.
 * Not thread-safe; the head serialises access per series.
 */
public interface SeriesSamples {
    /** Appends a sample; {@code t} is strictly greater than {@link #maxTime()} (or this is the first). */
    void append(long t, double v);

    int count();

    /** Timestamp of the first sample (Long.MAX_VALUE when empty). */
    long minTime();

    /** Timestamp of the last sample (Long.MIN_VALUE when empty). */
    long maxTime();

    /** Appends samples with {@code mint <= t <= maxt} to {@code out}, in order. */
    void read(long mint, long maxt, SampleBuffer out);

    /** Off-heap plus on-heap bytes used, approximately. */
    long memoryBytes();

    /** Number of chunks (open and closed) held. */
    int chunks();

    /** Frees everything; the instance is empty afterwards and may be reused. */
    /**
     * Closes the chunk being appended to, if any (a series that went quiet): its samples move to the closed chunks and
     * the memory held for appending is freed; a later append starts a new chunk. Returns whether a chunk was closed.
     */
    default boolean closeOpenChunk() { return false; }

    void clear();
}
