package io.tsdb.core;

import java.io.IOException;
import java.util.List;

/**
 * Destructive and copying maintenance operations behind the admin API ({@code /api/v1/admin/tsdb/*}, off unless
 * the server runs with {@code --web.enable-admin-api}). Implemented by {@code io.tsdb.core.db.Tsdb}.
 */
public interface StorageAdmin {
    /**
     * Deletes the samples in [mint, maxt] (inclusive) of every series matching one of the selectors, in the head
     * and in the blocks; durable when this returns, and queriers created afterwards no longer see the data. Blocks
     * keep the data on disk, marked as deleted (tombstones), until {@link #cleanTombstones()} or compaction
     * rewrites them. Returns how many (series, block or head) pairs had data deleted.
     */
    long deleteSeries(List<List<Matcher>> selectors, long mint, long maxt) throws IOException;

    /** Rewrites every block with tombstones without the deleted data; returns the blocks rewritten. */
    int cleanTombstones() throws IOException;

    /**
     * Writes a consistent copy of the data under {@code <data>/snapshots/<name>} (blocks hard-linked, the head
     * written as a block unless {@code skipHead}, the series registry copied) and returns its name. A store
     * opened on that directory answers the same queries.
     */
    String snapshot(boolean skipHead) throws IOException;
}
