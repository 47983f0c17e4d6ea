package io.tsdb.core;

import java.io.IOException;

/**
 * The read/write contract tsdb-core offers to the layers above it (tsdb-query, tsdb-server).
 *
 * <p>Writes go through an {@link Appender}: stage samples, then {@link Appender#commit()} makes them
 * durable according to the WAL fsync policy; only after commit returns may a write be acknowledged.
 * Reads go through a {@link Querier} over a time range.
 */
public interface Storage extends AutoCloseable {

    /** A new appender; appenders are cheap and used by one thread at a time. */
    Appender appender();

    /** A querier over samples with timestamps in [mint, maxt] (milliseconds, inclusive). */
    Querier querier(long mint, long maxt);

    /** Head and block statistics for status pages and /metrics. */
    StorageStats stats();

    /**
     * Why writes are refused right now, or null when they are accepted: a storage error left the write-ahead log
     * without a usable segment, and it is retrying in the background. Shown by {@code /-/ready}.
     */
    default String writeRefusal() { return null; }

    /** Persists the in-memory head to an immutable block now (used by admin flush and benchmarks). */
    void flush() throws IOException;

    /**
     * {@link #flush()}, then the maintenance that follows a cut of the head (compaction of the new block with its
     * neighbours) before returning (admin flush: the disk is settled when it answers).
     */
    default void flushAndMaintain() throws IOException { flush(); }

    /** Flushes and closes; a restart after close replays no WAL. */
    @Override void close() throws IOException;
}
