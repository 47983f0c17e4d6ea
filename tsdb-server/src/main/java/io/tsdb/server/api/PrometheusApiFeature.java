package io.tsdb.server.api;

import io.tsdb.server.Feature;
import io.tsdb.server.ServerContext;
import io.tsdb.server.http.Request;
import io.tsdb.server.http.Response;
import io.tsdb.server.http.Router;

import java.time.Duration;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * The Prometheus-compatible HTTP API (docs/http-api.md): queries, metadata, status, remote read,
 * export/import, federation. Failures are answered with Prometheus's JSON error envelope (ErrorResponses).
 */
public final class PrometheusApiFeature implements Feature {
    /** Extents whose data window ends within this margin of now are not cached. */
    static final long CACHE_FRESH_MARGIN_MS = 60_000;

    private final LongSupplier nowMs;
    private final long startTimeMs;
    private RangeCache cache;

    public PrometheusApiFeature() { this(System::currentTimeMillis); }

    /** With a clock, for tests. */
    public PrometheusApiFeature(LongSupplier nowMs) {
        this.nowMs = nowMs;
        this.startTimeMs = nowMs.getAsLong();
    }

    /** The range-query cache (after {@link #register}). */
    public RangeCache cache() { return cache; }

    @Override public void register(Router router, ServerContext ctx) {
        // extents older than the shortest retention (a retention rule's) are not cached: expiry never leaves stale answers
        long retention = ctx.config().retention.toMillis();
        for (io.tsdb.core.RetentionRule rule : ctx.config().retentionRules) retention = Math.min(retention, rule.retention().toMillis());
        cache = new RangeCache(ctx.engine(), nowMs, CACHE_FRESH_MARGIN_MS, retention,
                128L << 20, Duration.ofMinutes(30), ctx.registry());
        if (ctx.writeEvents() != null) ctx.writeEvents().addListener(cache);
        QueryApi query = new QueryApi(ctx.tenants(), ctx.config(), nowMs, cache);
        MetaApi meta = new MetaApi(ctx.tenants(), ctx.metadata());
        StatusApi status = new StatusApi(ctx, startTimeMs);

        // small queries answer on the event loop (QueryApi); the rest on workers
        boolean inline = QueryApi.SMALL_QUERY_WORK > 0;
        router.add(Set.of("GET", "HEAD", "POST"), "/api/v1/query", "/api/v1/query", api(query::query), inline);
        router.add(Set.of("GET", "HEAD", "POST"), "/api/v1/query_range", "/api/v1/query_range", api(query::queryRange), inline);
        router.getPost("/api/v1/series", api(meta::series));
        router.getPost("/api/v1/labels", api(meta::labels));
        router.add(Set.of("GET", "HEAD"), "/api/v1/label/*", "/api/v1/label/:name/values", api(meta::labelValues));
        router.get("/api/v1/metadata", api(meta::metadata));
        router.get("/api/v1/status/buildinfo", api(status::buildInfo));
        router.get("/api/v1/status/runtimeinfo", api(status::runtimeInfo));
        router.get("/api/v1/status/flags", api(status::flags));
        router.get("/api/v1/status/config", api(status::config));
        router.get("/api/v1/status/tsdb", api(status::tsdb));
        router.getPost("/api/v1/format_query", api(status::formatQuery));
        router.getPost("/api/v1/query_exemplars", api(status::exemplars));
        router.get("/api/v1/rules", api(status::rules));
        router.get("/api/v1/alerts", api(status::alerts));
        router.get("/api/v1/targets", api(status::targets));
        registerData(router, ctx);
    }

    private void registerData(Router router, ServerContext ctx) {
        RemoteRead read = new RemoteRead(ctx.tenants(), ctx.config());
        ExportApi export = new ExportApi(ctx, nowMs);
        router.post("/api/v1/read", read::handle);
        router.get("/api/v1/export", api(export::export));
        router.post("/api/v1/import", api(export::importJson));
        router.get("/federate", export::federate);
    }

    /** A Prometheus API handler (its failures are answered by {@link io.tsdb.server.http.ErrorResponses}). */
    public interface ApiHandler {
        Response handle(Request r) throws Exception;
    }

    /**
     * An API route's handler. Failures are not caught here: the dispatcher answers them through the one
     * mapping and envelope ({@link io.tsdb.server.http.ErrorResponses}), which gives /api/ paths Prometheus's
     * JSON envelope and keeps internal details in the log.
     */
    public static io.tsdb.server.http.Handler api(ApiHandler h) {
        return h::handle;
    }
}
