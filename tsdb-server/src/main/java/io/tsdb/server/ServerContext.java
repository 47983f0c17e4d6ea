package io.tsdb.server;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.tsdb.core.Storage;
import io.tsdb.query.engine.PromqlEngine;
import io.tsdb.query.engine.QueryEngine;
import io.tsdb.server.tenant.TenantLimiter;
import io.tsdb.server.tenant.TenantLimitsFile;
import io.tsdb.server.tenant.Tenants;

import java.util.function.BooleanSupplier;

/**
 * What every feature's handlers share: the configuration, the open storage, the query engine, the
 * metrics registry that /metrics exposes, whether the server is ready (storage open, not stopping),
 * metric metadata seen at ingest, write notifications (for cache invalidation), the log of recent
 * slow queries (for the console's status page), and the tenants' views of storage.
 * <p>Request handlers read and write data only through {@link #tenants()} with their request's scope
 * ({@code Request.tenant()}): {@link #storage()} and {@link #engine()} see every tenant's series, with the hidden
 * tenant label, and serve only operator statistics and start-up.
 */
public record ServerContext(ServerConfig config, Storage storage, QueryEngine engine,
                            PrometheusRegistry registry, BooleanSupplier ready,
                            MetadataStore metadata, WriteEvents writeEvents, SlowQueryLog slowQueries,
                            Tenants tenants) {

    /** Slow queries at or above this many milliseconds are listed on the console's status page. */
    public static final long SLOW_QUERY_THRESHOLD_MS = 100;

    /**
     * A context with a fresh slow-query log (tests and tools): the default tenant is served by {@code engine} (which
     * reads {@code storage} directly: only for stores without other tenants' series), other tenants by PromqlEngine.
     */
    public ServerContext(ServerConfig config, Storage storage, QueryEngine engine, PrometheusRegistry registry,
                         BooleanSupplier ready, MetadataStore metadata, WriteEvents writeEvents) {
        this(config, storage, engine, registry, ready, metadata, writeEvents,
                new SlowQueryLog(SLOW_QUERY_THRESHOLD_MS, 50));
    }

    private ServerContext(ServerConfig config, Storage storage, QueryEngine engine, PrometheusRegistry registry,
                          BooleanSupplier ready, MetadataStore metadata, WriteEvents writeEvents, SlowQueryLog slow) {
        this(config, storage, engine, registry, ready, metadata, writeEvents, slow, new Tenants(storage, config,
                tenantEngines(config, engine), limiter(config, registry)));
    }

    /** The default tenant's engine, or one per scope sharing the default engine's threads (or the flag's when it has none). */
    private static java.util.function.BiFunction<Storage, io.tsdb.server.tenant.TenantScope, QueryEngine> tenantEngines(
            ServerConfig config, QueryEngine engine) {
        io.tsdb.query.engine.QueryShards shards = engine instanceof PromqlEngine p ? p.shards() : Defaults.queryShards(config);
        return (s, scope) -> scope.isDefault() ? engine : new PromqlEngine(s, Defaults.queryOptions(config), 60_000L, shards);
    }

    private static TenantLimiter limiter(ServerConfig config, PrometheusRegistry registry) {
        try {
            return new TenantLimiter(config, registry, System::nanoTime);
        } catch (TenantLimitsFile.LimitsException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /** The tenants' views over {@code storage}, each with an engine from {@code engines} recorded in {@code slow}. */
    public static Tenants tenants(Storage storage, ServerConfig config, PrometheusRegistry registry, SlowQueryLog slow,
                                  EngineFactory engines) {
        return new Tenants(storage, config, (s, scope) -> slow.wrap(engines.create(s, config), scope.key()),
                limiter(config, registry)).registerSeriesGauge(registry);
    }
}
