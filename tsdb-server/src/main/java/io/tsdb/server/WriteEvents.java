package io.tsdb.server;

import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Tells interested parties (the range-query result cache) which time span a committed write touched, so
 * cached results over that span can be invalidated: a cached answer must never be stale.
 * Ingest handlers call {@link #committed(long, long)} after every successful commit, the admin API after a
 * deletion (delete_series) with the deleted range.
 */
public final class WriteEvents {
    @FunctionalInterface
    public interface Listener {
        void onCommit(long minTimestampMs, long maxTimestampMs);
    }

    private final CopyOnWriteArrayList<Listener> listeners = new CopyOnWriteArrayList<>();

    public void addListener(Listener l) { listeners.add(l); }

    public void committed(long minTimestampMs, long maxTimestampMs) {
        if (minTimestampMs > maxTimestampMs) return;
        for (Listener l : listeners) l.onCommit(minTimestampMs, maxTimestampMs);
    }
}
