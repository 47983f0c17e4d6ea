package io.tsdb.server.ingest;

import io.tsdb.server.Feature;
import io.tsdb.server.ServerContext;
import io.tsdb.server.http.Router;
import io.tsdb.server.ingest.influx.InfluxHandler;
import io.tsdb.server.ingest.prom.PromImportHandler;
import io.tsdb.server.ingest.prom.PushHandler;
import io.tsdb.server.ingest.remotewrite.RemoteWriteHandler;

import java.util.Set;

/**
 * Ingest over HTTP: Prometheus remote write 1.0/2.0, Influx line protocol v1/v2, Prometheus text and
 * OpenMetrics import, Pushgateway-style push and OTLP/HTTP metrics. See docs/ingest.md.
 */
public final class IngestFeature implements Feature {
    private IngestContext ctx;

    @Override public void register(Router router, ServerContext context) {
        ctx = IngestContext.create(context);
        register(router, ctx);
    }

    /** Registers all ingest routes with an explicit context (tests use a fixed clock). */
    public static void register(Router router, IngestContext ctx) {
        router.post("/api/v1/write", new RemoteWriteHandler(ctx));
        InfluxHandler v1 = new InfluxHandler(ctx, false);
        router.post("/write", v1);
        router.post("/api/v2/write", new InfluxHandler(ctx, true));
        router.post("/api/v1/import/prometheus", new PromImportHandler(ctx));
        // GET /metrics is the server's own metrics endpoint; only PUT/POST under /metrics/job/ are pushes.
        router.add(Set.of("PUT", "POST"), PushHandler.PREFIX + "*", "/metrics/job", new PushHandler(ctx));
        registerOtlp(router, ctx);
    }

    private static void registerOtlp(Router router, IngestContext ctx) {
        router.post("/api/v1/otlp/v1/metrics", new io.tsdb.server.ingest.otlp.OtlpHandler(ctx));
    }

    /** The context created by {@link #register(Router, ServerContext)} (limits, metrics), for tests and status. */
    public IngestContext context() { return ctx; }
}
