package io.tsdb.server;

import io.tsdb.query.ast.Expr;
import io.tsdb.query.engine.QueryEngine;
import io.tsdb.query.engine.QueryOptions;
import io.tsdb.query.engine.QueryResult;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * Remembers the most recent queries that took at least a threshold, for the console's status page. It is a
 * decorator of the {@link QueryEngine}, so every query path (HTTP API, cache misses, rules) is covered
 * without the callers knowing. Bounded: keeps the last {@code capacity} slow queries.
 */
public final class SlowQueryLog {
    /** One slow query: its text, kind ("instant"/"range"), when it started, how long it took, and its tenants' key. */
    public record Entry(String query, String kind, Instant startedAt, long durationMs, boolean failed, String tenant) {}

    private final long thresholdNanos;
    private final int capacity;
    private final ArrayDeque<Entry> entries = new ArrayDeque<>();

    public SlowQueryLog(long thresholdMillis, int capacity) {
        this.thresholdNanos = thresholdMillis * 1_000_000L;
        this.capacity = capacity;
    }

    /** Most recent first. */
    public synchronized List<Entry> recent() {
        List<Entry> out = new ArrayList<>(entries);
        java.util.Collections.reverse(out);
        return out;
    }

    /** The slow queries of one tenant scope (its key), most recent first. */
    public List<Entry> recent(String tenant) {
        List<Entry> out = recent();
        out.removeIf(e -> !e.tenant().equals(tenant));
        return out;
    }

    void record(String query, String kind, long startNanos, long startMillis, boolean failed, String tenant) {
        long took = System.nanoTime() - startNanos;
        if (took < thresholdNanos) return;
        Entry e = new Entry(query, kind, Instant.ofEpochMilli(startMillis), took / 1_000_000L, failed, tenant);
        synchronized (this) {
            entries.addLast(e);
            while (entries.size() > capacity) entries.removeFirst();
        }
    }

    /** Wraps an engine so that its slow queries are recorded here (under the empty tenant key). */
    public QueryEngine wrap(QueryEngine engine) { return wrap(engine, ""); }

    /** Wraps the engine of one tenant scope (its key) so that its slow queries are recorded here. */
    public QueryEngine wrap(QueryEngine engine, String tenant) {
        return new QueryEngine() {
            @Override public QueryResult instant(String query, long timeMs, QueryOptions options) {
                long t0 = System.nanoTime(), w0 = System.currentTimeMillis();
                boolean failed = true;
                try {
                    QueryResult r = engine.instant(query, timeMs, options);
                    failed = false;
                    return r;
                } finally {
                    record(query, "instant", t0, w0, failed, tenant);
                }
            }

            @Override public QueryResult range(String query, long startMs, long endMs, long stepMs, QueryOptions options) {
                long t0 = System.nanoTime(), w0 = System.currentTimeMillis();
                boolean failed = true;
                try {
                    QueryResult r = engine.range(query, startMs, endMs, stepMs, options);
                    failed = false;
                    return r;
                } finally {
                    record(query, "range", t0, w0, failed, tenant);
                }
            }

            @Override public Expr parse(String query) { return engine.parse(query); }
        };
    }
}
