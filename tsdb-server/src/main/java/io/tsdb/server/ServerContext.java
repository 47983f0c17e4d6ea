package io.tsdb.server;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.tsdb.core.Storage;
import io.tsdb.query.engine.QueryEngine;

import java.util.function.BooleanSupplier;

/**
 * What every feature's handlers share: the configuration, the open storage, the query engine, the
 * metrics registry that /metrics exposes, whether the server is ready (storage open, not stopping),
 * metric metadata seen at ingest, and write notifications (for cache invalidation).
 */
public record ServerContext(ServerConfig config, Storage storage, QueryEngine engine,
                            PrometheusRegistry registry, BooleanSupplier ready,
                            MetadataStore metadata, WriteEvents writeEvents) {
}
