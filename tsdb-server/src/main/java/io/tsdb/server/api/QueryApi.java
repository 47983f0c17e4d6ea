package io.tsdb.server.api;

import io.tsdb.query.engine.QueryDeferred;
import io.tsdb.query.engine.QueryEngine;
import io.tsdb.query.engine.QueryOptions;
import io.tsdb.query.engine.QueryResult;
import io.tsdb.query.engine.Series;
import io.tsdb.query.engine.Value;
import io.tsdb.server.ServerConfig;
import io.tsdb.server.http.Request;
import io.tsdb.server.http.Response;
import io.tsdb.server.http.RunOnWorker;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * /api/v1/query and /api/v1/query_range. Registered as inline routes: a query is first tried on the connection's
 * event loop, limited to small ones ({@link #SMALL_QUERY_WORK}); a larger one is handed to a worker before it reads
 * anything ({@link io.tsdb.server.http.RunOnWorker}).
 */
final class QueryApi {
    /**
     * The most work (samples estimated plus series x steps; at most {@link QueryOptions#SMALL_MAX_SERIES} series) a
     * query may take on the event loop: about a millisecond of evaluation (docs/benchmarks.md, "Small queries on
     * the event loop"). 0 runs every query on a worker ({@code -Dtsdb.query.inline-work=0}).
     */
    static final long SMALL_QUERY_WORK = Long.getLong("tsdb.query.inline-work", 500_000L);

    static final long MAX_POINTS = 11_000;
    static final String TRUNCATED = "results truncated due to limit";

    private final io.tsdb.server.tenant.Tenants tenants;
    private final ServerConfig config;
    private final LongSupplier nowMs;
    private final RangeCache cache;

    QueryApi(io.tsdb.server.tenant.Tenants tenants, ServerConfig config, LongSupplier nowMs, RangeCache cache) {
        this.tenants = tenants;
        this.config = config;
        this.nowMs = nowMs;
        this.cache = cache;
    }

    Response query(Request r) {
        String q = queryParam(r);
        long t = Params.time(r, "time", nowMs.getAsLong());
        QueryOptions opts = options(r);
        int limit = Params.limit(r, "limit");
        QueryEngine engine = tenants.engine(r.tenant());
        QueryResult res = limited(r, () -> engine.instant(q, t, opts));
        List<String> warnings = new ArrayList<>(res.warnings() == null ? List.of() : res.warnings());
        Value v = res.value();
        if (limit > 0 && v instanceof Value.Vector vec && vec.samples().size() > limit) {
            v = new Value.Vector(vec.samples().subList(0, limit), vec.ordered());
            warnings.add(TRUNCATED);
        } else if (limit > 0 && v instanceof Value.Matrix m && m.series().size() > limit) {
            v = new Value.Matrix(m.series().subList(0, limit));
            warnings.add(TRUNCATED);
        }
        Value out = v;
        return ApiJson.success(g -> ApiJson.writeQueryData(g, out, opts.collectStats() ? res.stats() : null),
                warnings, res.infos());
    }

    Response queryRange(Request r) {
        String q = queryParam(r);
        long start = requiredTime(r, "start");
        long end = requiredTime(r, "end");
        if (end < start) throw ApiError.badData("end timestamp must not be before start time");
        String stepStr = r.param("step");
        long step;
        try {
            step = Params.parseDuration(stepStr == null ? "" : stepStr);
        } catch (IllegalArgumentException e) {
            throw ApiError.invalidParam("step", e.getMessage());
        }
        if (step <= 0) {
            throw ApiError.badData("zero or negative query resolution step widths are not accepted. Try a positive integer");
        }
        if ((end - start) / step > MAX_POINTS) {
            throw ApiError.badData("exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)");
        }
        QueryOptions opts = options(r);
        int limit = Params.limit(r, "limit");
        boolean useCache = cache != null && !opts.collectStats() && !Params.flag(r, "nocache");
        QueryEngine engine = tenants.engine(r.tenant());
        String scope = r.tenant().key();
        QueryResult res = limited(r, () -> useCache ? cache.range(engine, scope, q, start, end, step, opts)
                : engine.range(q, start, end, step, opts));
        List<String> warnings = new ArrayList<>(res.warnings() == null ? List.of() : res.warnings());
        Value v = res.value();
        if (v instanceof Value.Matrix m) {
            List<Series> series = new ArrayList<>(m.series());
            series.sort(Comparator.comparing(Series::labels));
            if (limit > 0 && series.size() > limit) {
                series = series.subList(0, limit);
                warnings.add(TRUNCATED);
            }
            v = new Value.Matrix(series);
        }
        Value out = v;
        return ApiJson.success(g -> ApiJson.writeQueryData(g, out, opts.collectStats() ? res.stats() : null),
                warnings, res.infos());
    }

    /**
     * Runs a query under its tenant's concurrency limit (429 beyond it), counting its time in the tenant's usage. A
     * multi-tenant query runs only when every one of its tenants is under its limit, and counts against each of
     * them (it reads each one's data).
     */
    private QueryResult limited(Request r, java.util.function.Supplier<QueryResult> q) {
        List<String> ts = r.tenant().tenants();
        io.tsdb.server.tenant.TenantLimiter l = tenants.limiter();
        int started = 0;
        try {
            for (String t : ts) {
                l.startQuery(t);
                started++;
            }
        } catch (RuntimeException refused) {
            for (int i = 0; i < started; i++) l.endQuery(ts.get(i), 0, false);
            throw refused;
        }
        long t0 = System.nanoTime();
        boolean ok = false, deferred = false;
        try {
            QueryResult res = q.get();
            ok = true;
            return res;
        } catch (QueryDeferred d) {
            deferred = true;
            throw RunOnWorker.INSTANCE;
        } finally {
            long took = System.nanoTime() - t0;
            for (String t : ts) {
                if (deferred) l.endDeferred(t, took);
                else l.endQuery(t, took, ok);
            }
        }
    }

    /** The smallest of the tenants' limits that are set (0: none is), as Mimir limits a query across tenants. */
    private static long smallestSet(List<io.tsdb.server.tenant.TenantLimits> ls, java.util.function.ToLongFunction<io.tsdb.server.tenant.TenantLimits> f) {
        long min = 0;
        for (io.tsdb.server.tenant.TenantLimits l : ls) {
            long v = f.applyAsLong(l);
            if (v > 0 && (min == 0 || v < min)) min = v;
        }
        return min;
    }

    private static String queryParam(Request r) {
        String q = r.param("query");
        if (q == null || q.isBlank()) throw ApiError.invalidParam("query", "no query given");
        return q;
    }

    private static long requiredTime(Request r, String name) {
        String v = r.param(name);
        try {
            return Params.parseTime(v == null ? "" : v);
        } catch (IllegalArgumentException e) {
            throw ApiError.invalidParam(name, e.getMessage());
        }
    }

    private QueryOptions options(Request r) {
        long timeout = config.queryTimeout.toMillis();
        long t = Params.duration(r, "timeout");
        if (t > 0) timeout = timeout > 0 ? Math.min(timeout, t) : t;
        long lookback = config.queryLookbackDelta.toMillis();
        long lb = Params.duration(r, "lookback_delta");
        if (lb > 0) lookback = lb;
        String stats = r.param("stats");
        boolean collect = stats != null && !stats.isEmpty();
        List<io.tsdb.server.tenant.TenantLimits> ls = new java.util.ArrayList<>();
        for (String id : r.tenant().tenants()) ls.add(tenants.limiter().limits(id));
        return new QueryOptions(lookback, timeout, smallestSet(ls, io.tsdb.server.tenant.TenantLimits::maxSamplesPerQuery),
                smallestSet(ls, io.tsdb.server.tenant.TenantLimits::maxFetchedSeriesPerQuery), collect,
                r.onEventLoop() ? SMALL_QUERY_WORK : 0);
    }
}
