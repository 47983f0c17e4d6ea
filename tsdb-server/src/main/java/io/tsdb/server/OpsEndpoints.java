package io.tsdb.server;

import io.prometheus.metrics.expositionformats.ExpositionFormatWriter;
import io.prometheus.metrics.expositionformats.OpenMetricsTextFormatWriter;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.tsdb.server.http.Response;
import io.tsdb.server.http.Router;

import java.io.ByteArrayOutputStream;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Operational endpoints, registered before storage opens: {@code /-/healthy} (the process is up),
 * {@code /-/ready} (storage open, not shutting down, and accepting writes: 503 naming the reason while storage
 * refuses writes after a storage error, see {@link io.tsdb.core.Storage#writeRefusal()}) and {@code /metrics} (the server's own metrics in
 * Prometheus text format, or OpenMetrics when the scraper asks for it).
 */
final class OpsEndpoints {
    private OpsEndpoints() {}

    /**
     * {@code registered}: starts registering the collectors not registered yet (JVM metrics, in the background) and
     * returns what completes once they are; a scrape waits for it (at most 30 s);
     * {@code writeRefusal}: why storage refuses writes, or null.
     */
    static void register(Router router, PrometheusRegistry registry, BooleanSupplier ready,
                         Supplier<java.util.concurrent.CompletableFuture<Void>> registered, Supplier<String> writeRefusal) {
        PrometheusTextFormatWriter text = PrometheusTextFormatWriter.create();
        OpenMetricsTextFormatWriter openMetrics = OpenMetricsTextFormatWriter.create();
        router.get("/-/healthy", r -> Response.text(200, "tsdb is healthy.\n"));
        router.get("/-/ready", r -> {
            if (!ready.getAsBoolean()) return Response.text(503, "tsdb is not ready.\n").header("Retry-After", "5");
            String refusal = writeRefusal.get();
            if (refusal != null)
                return Response.text(503, "tsdb is not ready: storage refuses writes (queries are answered): " + refusal + "\n")
                        .header("Retry-After", "5");
            return Response.text(200, "tsdb is ready.\n");
        });
        router.get("/metrics", r -> {
            if (!r.tenant().isDefault()) {   // every tenant's usage and the store's figures: the operator's
                throw new io.tsdb.server.http.HttpError(403, "/metrics shows every tenant's usage: it needs the default tenant");
            }
            String accept = r.header("Accept");
            try {
                registered.get().get(30, java.util.concurrent.TimeUnit.SECONDS);
            } catch (Exception e) {
                // scrape what is registered
            }
            ExpositionFormatWriter w = accept != null && openMetrics.accepts(accept) ? openMetrics : text;
            ByteArrayOutputStream out = new ByteArrayOutputStream(64 * 1024);
            w.write(out, registry.scrape());
            return new Response(200, w.getContentType(), out.toByteArray());
        });
    }
}
