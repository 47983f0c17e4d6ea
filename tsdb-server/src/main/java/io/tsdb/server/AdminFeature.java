package io.tsdb.server;

import io.tsdb.server.admin.AdminApi;
import io.tsdb.server.http.HttpError;
import io.tsdb.server.http.Response;
import io.tsdb.server.http.Router;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;

/**
 * Administrative endpoints. {@code POST /api/v1/admin/flush} persists the in-memory head to an immutable
 * block now (benchmarks call it before measuring bytes on disk; operators before a backup), then runs storage
 * maintenance (compaction merges the new block with its neighbours) as after any cut of the head. It answers
 * 204 once the flush is durable and that maintenance run is done, 503 with Retry-After while the server is not ready. It is always on, for the
 * default tenant only (it acts on every tenant's data; 403 for another tenant).
 * Prometheus's TSDB admin API (delete_series, clean_tombstones, snapshot) is {@link AdminApi}: off unless
 * {@code --web.enable-admin-api}.
 */
public final class AdminFeature implements Feature {
    private static final Logger log = LoggerFactory.getLogger(AdminFeature.class);

    @Override
    public void register(Router router, ServerContext ctx) {
        router.post("/api/v1/admin/flush", req -> {
            if (!ctx.ready().getAsBoolean()) throw new HttpError(503, "not ready: storage is opening or closing", "5");
            long t0 = System.nanoTime();
            try {
                ctx.tenants().storage(req.tenant()).flushAndMaintain();   // 403 unless the default tenant's
            } catch (IOException e) {
                throw new java.io.UncheckedIOException("flush failed", e); // internal: logged, not shown
            }
            log.atInfo().addKeyValue("ms", (System.nanoTime() - t0) / 1_000_000).log("head flushed on request");
            return Response.noContent();
        });
        new AdminApi(ctx).register(router);
    }
}
