package io.tsdb.server.tenant;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.tsdb.core.Storage;
import io.tsdb.query.engine.QueryEngine;
import io.tsdb.server.ServerConfig;

import java.util.function.BiFunction;

/**
 * Every tenant's view of the one storage: a {@link TenantStorage} and a query engine over it per
 * {@link TenantScope}, created on first use and cached (bounded: at most {@value #MAX_VIEWS} scopes; a view is
 * cheap to create again), plus the tenants' limits and usage ({@link TenantLimiter}). One per server, held by
 * the {@code ServerContext}; request handlers reach storage only through {@link #storage} and {@link #engine} of
 * their request's scope. Thread-safe (Caffeine's cache; views are immutable).
 */
public final class Tenants {
    static final int MAX_VIEWS = 4096;

    /** One scope's storage and engine. */
    public record View(TenantStorage storage, QueryEngine engine) {}

    private final Storage root;
    private final String defaultTenant;
    private final BiFunction<Storage, TenantScope, QueryEngine> engines;
    private final TenantLimiter limiter;
    private final Cache<String, View> views = Caffeine.newBuilder().maximumSize(MAX_VIEWS).build();

    /**
     * @param engines creates the query engine of a scope over its storage (the server's engine factory, wrapped in
     *                the slow-query log under the scope's key)
     */
    public Tenants(Storage root, ServerConfig config, BiFunction<Storage, TenantScope, QueryEngine> engines,
                   TenantLimiter limiter) {
        this.root = root;
        this.defaultTenant = config.tenantDefault;
        this.engines = engines;
        this.limiter = limiter;
    }

    public String defaultTenant() { return defaultTenant; }

    /**
     * Registers {@code tsdb_tenant_series{tenant}}: each tenant's series in the head (from the label index, at
     * scrape time), for the default tenant and the tenants {@code tsdb_tenant_*} counters name.
     */
    public Tenants registerSeriesGauge(io.prometheus.metrics.model.registry.PrometheusRegistry registry) {
        io.prometheus.metrics.core.metrics.GaugeWithCallback.builder().name("tsdb_tenant_series")
                .help("Series of a tenant in the head (active series, as the series limits count them).")
                .labelNames("tenant").callback(cb -> {
                    java.util.Set<String> ts = limiter.metricTenants();
                    ts.add(defaultTenant);
                    io.tsdb.core.StorageStats s = root.stats();
                    try (io.tsdb.core.Querier q = root.querier(s.headMinTime(), s.headMaxTime())) {
                        for (String t : ts) {
                            TenantScope scope = TenantScope.of(t, defaultTenant);
                            cb.call(s.activeSeries() == 0 ? 0 : q.seriesCount(java.util.List.of(scope.enforced())), t);
                        }
                    }
                }).register(registry);
        return this;
    }

    /** The scope of the default tenant alone (rules, operator tasks). */
    public TenantScope defaultScope() { return TenantScope.of(defaultTenant, defaultTenant); }

    public TenantLimiter limiter() { return limiter; }

    public View view(TenantScope scope) {
        if (!scope.defaultTenant().equals(defaultTenant)) {
            throw new IllegalArgumentException("scope of another default tenant: " + scope.defaultTenant());
        }
        return views.get(scope.key(), k -> {
            String limitsOf = scope.multi() ? defaultTenant : scope.single();
            SeriesGuard guard = scope.multi() ? null
                    : new SeriesGuard(root, scope, () -> limiter.limits(limitsOf), limiter.flags(), System::currentTimeMillis);
            TenantStorage s = new TenantStorage(root, scope, () -> limiter.limits(limitsOf).labelNamesLimit(), guard);
            return new View(s, engines.apply(s, scope));
        });
    }

    public TenantStorage storage(TenantScope scope) { return view(scope).storage(); }

    public QueryEngine engine(TenantScope scope) { return view(scope).engine(); }
}
