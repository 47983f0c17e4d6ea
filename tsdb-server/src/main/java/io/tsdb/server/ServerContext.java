package io.tsdb.server;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.tsdb.core.Storage;
import io.tsdb.query.engine.QueryEngine;

import java.util.function.BooleanSupplier;

/**
 * What every feature's handlers share: the configuration, the open storage, the query engine, the
 * metrics registry that /metrics exposes, whether the server is ready (storage open, not stopping),
 * metric metadata seen at ingest, write notifications (for cache invalidation), and the log of recent
 * slow queries (for the console's status page).
 */
public record ServerContext(ServerConfig config, Storage storage, QueryEngine engine,
                            PrometheusRegistry registry, BooleanSupplier ready,
                            MetadataStore metadata, WriteEvents writeEvents, SlowQueryLog slowQueries) {

    /** Slow queries at or above this many milliseconds are listed on the console's status page. */
    public static final long SLOW_QUERY_THRESHOLD_MS = 100;

    /** A context with a fresh slow-query log (tests and tools). */
    public ServerContext(ServerConfig config, Storage storage, QueryEngine engine, PrometheusRegistry registry,
                         BooleanSupplier ready, MetadataStore metadata, WriteEvents writeEvents) {
        this(config, storage, engine, registry, ready, metadata, writeEvents, new SlowQueryLog(SLOW_QUERY_THRESHOLD_MS, 50));
    }
}
