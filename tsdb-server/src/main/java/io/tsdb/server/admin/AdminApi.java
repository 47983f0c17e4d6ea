package io.tsdb.server.admin;

import io.tsdb.core.Matcher;
import io.tsdb.core.StorageAdmin;
import io.tsdb.server.ServerContext;
import io.tsdb.server.api.ApiError;
import io.tsdb.server.api.ApiJson;
import io.tsdb.server.api.Params;
import io.tsdb.server.api.PrometheusApiFeature;
import io.tsdb.server.http.HttpError;
import io.tsdb.server.http.Request;
import io.tsdb.server.http.Response;
import io.tsdb.server.http.Router;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Prometheus's TSDB admin API (docs/http-api.md#admin-api), POST or PUT like Prometheus:
 * <ul>
 *   <li>{@code /api/v1/admin/tsdb/delete_series?match[]=...&start=...&end=...}: 204 once the deletion is durable;</li>
 *   <li>{@code /api/v1/admin/tsdb/clean_tombstones}: 204 once the blocks are rewritten;</li>
 *   <li>{@code /api/v1/admin/tsdb/snapshot?skip_head=false}: {@code {"status":"success","data":{"name":...}}}.</li>
 * </ul>
 * They delete or copy data, so they answer 403 (errorType {@code unavailable}, as Prometheus's refusal) unless the
 * server runs with {@value #FLAG}; 503 while the server starts or stops; 400 with the reason for bad parameters,
 * before anything is changed.
 */
public final class AdminApi {
    private static final Logger log = LoggerFactory.getLogger(AdminApi.class);
    public static final String FLAG = "--web.enable-admin-api";
    static final String DELETE_SERIES = "/api/v1/admin/tsdb/delete_series";
    static final String CLEAN_TOMBSTONES = "/api/v1/admin/tsdb/clean_tombstones";
    static final String SNAPSHOT = "/api/v1/admin/tsdb/snapshot";

    private final ServerContext ctx;

    public AdminApi(ServerContext ctx) { this.ctx = ctx; }

    public void register(Router router) {
        Set<String> methods = Set.of("POST", "PUT");
        router.add(methods, DELETE_SERIES, DELETE_SERIES, PrometheusApiFeature.api(this::deleteSeries));
        router.add(methods, CLEAN_TOMBSTONES, CLEAN_TOMBSTONES, PrometheusApiFeature.api(this::cleanTombstones));
        router.add(methods, SNAPSHOT, SNAPSHOT, PrometheusApiFeature.api(this::snapshot));
    }

    /**
     * The admin operations of the request's tenant scope (delete_series is limited to its series; clean_tombstones
     * and snapshot need the default tenant), or the refusal: flag off (403), not ready (503), not supported (501).
     */
    private StorageAdmin admin(String endpoint, Request r) {
        if (!ctx.config().enableAdminApi) {
            throw new HttpError(403, "admin APIs are disabled: " + endpoint + " deletes or copies data; start the server with "
                    + FLAG + " to enable it", null, "unavailable");
        }
        if (!ctx.ready().getAsBoolean()) throw new HttpError(503, "not ready: storage is opening or closing", "5");
        if (!(ctx.storage() instanceof StorageAdmin)) {
            throw new HttpError(501, "the storage " + ctx.storage().getClass().getSimpleName() + " does not support " + endpoint);
        }
        return ctx.tenants().storage(r.tenant());
    }

    Response deleteSeries(Request r) {
        StorageAdmin a = admin(DELETE_SERIES, r);
        if (r.params("match[]").isEmpty()) throw ApiError.badData("no match[] parameter provided");
        List<List<Matcher>> selectors = Params.matchers(r, "match[]");
        long start = Params.time(r, "start", Params.MIN_TIME);
        long end = Params.time(r, "end", Params.MAX_TIME);
        if (end < start) throw ApiError.invalidParam("end", "end timestamp must not be before start time");
        long t0 = System.nanoTime(), n;
        try {
            n = a.deleteSeries(selectors, start, end);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("delete_series failed", e); // internal: logged, not shown
        }
        if (ctx.writeEvents() != null) ctx.writeEvents().committed(start, end);   // cached query results over the range
        log.atInfo().addKeyValue("match", r.params("match[]")).addKeyValue("start", start).addKeyValue("end", end)
                .addKeyValue("deleted", n).addKeyValue("ms", (System.nanoTime() - t0) / 1_000_000).log("series deleted on request");
        return Response.noContent();
    }

    Response cleanTombstones(Request r) {
        StorageAdmin a = admin(CLEAN_TOMBSTONES, r);
        long t0 = System.nanoTime();
        int n;
        try {
            n = a.cleanTombstones();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("clean_tombstones failed", e);
        }
        log.atInfo().addKeyValue("blocks", n).addKeyValue("ms", (System.nanoTime() - t0) / 1_000_000).log("tombstones cleaned on request");
        return Response.noContent();
    }

    Response snapshot(Request r) {
        StorageAdmin a = admin(SNAPSHOT, r);
        boolean skipHead = bool(r, "skip_head");
        String name;
        try {
            name = a.snapshot(skipHead);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("snapshot failed", e);
        }
        log.atInfo().addKeyValue("name", name).addKeyValue("skip_head", skipHead).log("snapshot taken on request");
        return ApiJson.success(g -> {
            g.writeStartObject();
            g.writeStringField("name", name);
            g.writeEndObject();
        });
    }

    /** Go's strconv.ParseBool, as Prometheus parses skip_head; absent or empty is false. */
    static boolean bool(Request r, String name) {
        String v = r.param(name);
        if (v == null || v.isEmpty()) return false;
        return switch (v) {
            case "1", "t", "T", "TRUE", "true", "True" -> true;
            case "0", "f", "F", "FALSE", "false", "False" -> false;
            default -> throw ApiError.invalidParam(name, "cannot parse \"" + v.toLowerCase(Locale.ROOT).replace("\"", "") + "\" as a boolean (true or false)");
        };
    }
}
